import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the operator console's list of system jobs (keyset paging, operation-page.ts):
 * each sort and each common filter walks an index in order and stops after a page, however many
 * operations the table holds. Built with CREATE INDEX CONCURRENTLY, so a running executor keeps
 * inserting and claiming while they are built; that cannot run inside a transaction, hence
 * `transaction = false` (the data source runs each migration on its own, 'each'). Where a
 * transaction is open anyway (TypeORM reverts a migration inside one whatever it says), the same
 * statements run without CONCURRENTLY.
 *
 * - created_on, sequence: the default sort (newest first) and the created range.
 * - state / status / definition_id / name, then created_on, sequence: a filter by one of them in
 *   the default sort; the name one also serves the name sort.
 * - completed_on, sequence over Completed operations: the completedOn sort and the retention
 *   sweep (it replaces IDX_async_operation_completed, completed_on alone).
 * - a trigram index (pg_trgm) over name, error code and message: the text filter.
 *
 * An index left invalid by an interrupted build is dropped and built again.
 */
const TABLE = '"executor"."async_operation"';

const BTREE: Array<[name: string, definition: string]> = [
  ['IDX_async_operation_created', '("created_on", "sequence")'],
  ['IDX_async_operation_state_created', '("state", "created_on", "sequence")'],
  ['IDX_async_operation_status_created', '("status", "created_on", "sequence")'],
  ['IDX_async_operation_definition_created', '("definition_id", "created_on", "sequence")'],
  ['IDX_async_operation_name_created', '("name", "created_on", "sequence")'],
  ['IDX_async_operation_completed_sequence', '("completed_on", "sequence") WHERE "state" = 3'],
];

/** The text filter's expression: the same as OPERATION_TEXT_SQL in operation-filter.ts, without the alias. */
const TEXT = `("name" || ' ' || coalesce("error_code", '') || ' ' || coalesce("friendly_message", ''))`;

export class ConsoleListIndexes1796400000000 implements MigrationInterface {
  name = 'ConsoleListIndexes1796400000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    const concurrently = concurrentlyIn(queryRunner);
    await queryRunner.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    const [trgm] = (await queryRunner.query(
      `SELECT n."nspname" AS "schema" FROM pg_extension e JOIN pg_namespace n ON n."oid" = e."extnamespace" WHERE e."extname" = 'pg_trgm'`,
    )) as Array<{ schema: string }>;
    const opclass = `"${trgm!.schema.replace(/"/g, '""')}".gin_trgm_ops`;
    const indexes: Array<[string, string]> = [...BTREE, ['IDX_async_operation_text', `USING gin (${TEXT} ${opclass})`]];
    for (const [name, definition] of indexes) {
      await dropInvalid(queryRunner, name);
      await queryRunner.query(`CREATE INDEX ${concurrently}IF NOT EXISTS "${name}" ON ${TABLE} ${definition}`);
    }
    await queryRunner.query(`DROP INDEX ${concurrently}IF EXISTS "executor"."IDX_async_operation_completed"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const concurrently = concurrentlyIn(queryRunner);
    await dropInvalid(queryRunner, 'IDX_async_operation_completed');
    await queryRunner.query(
      `CREATE INDEX ${concurrently}IF NOT EXISTS "IDX_async_operation_completed" ON ${TABLE} ("completed_on") WHERE "state" = 3`,
    );
    for (const [name] of [...BTREE, ['IDX_async_operation_text']]) {
      await queryRunner.query(`DROP INDEX ${concurrently}IF EXISTS "executor"."${name}"`);
    }
    // pg_trgm stays: other schemas of the database may use it.
  }
}

/** CONCURRENTLY where it may run: outside a transaction. */
const concurrentlyIn = (queryRunner: QueryRunner): string => (queryRunner.isTransactionActive ? '' : 'CONCURRENTLY ');

async function dropInvalid(queryRunner: QueryRunner, name: string): Promise<void> {
  const invalid = (await queryRunner.query(
    `SELECT 1 FROM pg_index i JOIN pg_class c ON c."oid" = i."indexrelid" JOIN pg_namespace n ON n."oid" = c."relnamespace"
      WHERE n."nspname" = 'executor' AND c."relname" = $1 AND NOT i."indisvalid"`,
    [name],
  )) as unknown[];
  if (invalid.length > 0) await queryRunner.query(`DROP INDEX ${concurrentlyIn(queryRunner)}IF EXISTS "executor"."${name}"`);
}
