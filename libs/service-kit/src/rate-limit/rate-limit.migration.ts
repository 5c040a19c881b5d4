/**
 * The `rate_limit` table in the service's own schema: the per-caller counters when
 * RATE_LIMIT_STORE=postgres, shared by every replica of the service (rate-limiter-flexible's
 * RateLimiterPostgres with `tableCreated: true`; the columns are the ones it reads and
 * upserts: key, points, expire in epoch milliseconds). Listed by ServiceDatabaseModule for
 * every service, so a service can switch stores by configuration alone.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The table RATE_LIMIT_STORE=postgres counts in. */
export const RATE_LIMIT_TABLE = 'rate_limit';

function schemaOf(queryRunner: QueryRunner): string {
  const schema = (queryRunner.connection.options as { schema?: string }).schema;
  if (!schema) throw new Error('service migrations need the DataSource schema');
  return schema;
}

export class RateLimitCounters1796200000000 implements MigrationInterface {
  name = 'RateLimitCounters1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = schemaOf(queryRunner);
    await queryRunner.query(
      `CREATE TABLE "${schema}"."${RATE_LIMIT_TABLE}" (
        "key" varchar(255) NOT NULL,
        "points" integer NOT NULL DEFAULT 0,
        "expire" bigint,
        CONSTRAINT "PK_rate_limit" PRIMARY KEY ("key")
      )`,
    );
    // The periodic sweep deletes by expiry (DELETE ... WHERE expire < $1).
    await queryRunner.query(`CREATE INDEX "IDX_rate_limit_expire" ON "${schema}"."${RATE_LIMIT_TABLE}" ("expire")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "${schemaOf(queryRunner)}"."${RATE_LIMIT_TABLE}"`);
  }
}
