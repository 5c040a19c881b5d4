/**
 * The migration command of every service (`nx run <service>:migration-<verb>`): apply, revert
 * the newest, list, or generate a new migration from the difference between the entities and
 * the migrated schema. Generation first applies the existing migrations to the target
 * database, so what it writes is exactly what is missing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import { initializeAndMigrate, MIGRATIONS_TABLE, schemaOf } from './service-data-source';

export type MigrationVerb = 'run' | 'revert' | 'show' | 'generate';

function migrationSource(className: string, up: string[], down: string[]): string {
  const lines = (queries: string[]) => queries.map((query) => `    await queryRunner.query(${JSON.stringify(query)});`).join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${lines(up)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${lines(down)}
  }
}
`;
}

export async function runMigrationCommand(
  dataSource: DataSource,
  verb: string | undefined,
  options: { name?: string; migrationsDir: string; now?: () => number },
): Promise<string> {
  switch (verb) {
    case 'run': {
      const { applied } = await initializeAndMigrate(dataSource);
      return applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply: the schema is up to date';
    }
    case 'revert': {
      if (!dataSource.isInitialized) await dataSource.initialize();
      await dataSource.undoLastMigration({ transaction: 'each' });
      return 'reverted the newest migration';
    }
    case 'show': {
      if (!dataSource.isInitialized) await dataSource.initialize();
      const table = `"${schemaOf(dataSource)}"."${MIGRATIONS_TABLE}"`;
      const [{ exists }] = (await dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [table])) as Array<{ exists: boolean }>;
      const rows: Array<{ name: string }> = exists ? await dataSource.query(`SELECT name FROM ${table} ORDER BY id`) : [];
      const applied = new Set(rows.map((row) => row.name));
      return dataSource.migrations
        .map((migration) => `${applied.has(migration.name ?? '') ? 'applied' : 'pending'}  ${migration.name ?? migration.constructor.name}`)
        .join('\n');
    }
    case 'generate': {
      if (!options.name || !/^[A-Z][A-Za-z0-9]*$/.test(options.name)) {
        throw new Error('generate needs --name=<PascalCaseName>, e.g. --name=AddOutbox');
      }
      await initializeAndMigrate(dataSource);
      const sql = await dataSource.driver.createSchemaBuilder().log();
      if (sql.upQueries.length === 0) return 'no changes: the entities match the migrations';
      const timestamp = (options.now ?? Date.now)();
      const className = `${options.name}${timestamp}`;
      const file = path.join(options.migrationsDir, `${timestamp}-${options.name}.ts`);
      await mkdir(options.migrationsDir, { recursive: true });
      await writeFile(
        file,
        migrationSource(
          className,
          sql.upQueries.map((query) => query.query),
          sql.downQueries.map((query) => query.query).reverse(),
        ),
      );
      return `wrote ${file}: add ${className} to the list in migrations/index.ts`;
    }
    default:
      throw new Error(`unknown migration command '${verb ?? ''}': expected run, revert, show or generate --name=<Name>`);
  }
}
