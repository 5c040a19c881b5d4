/**
 * The body of every service's `database/migrate.ts` (the Nx targets migration-run, -revert,
 * -show and -generate): a DataSource on the service's schema from DATABASE_URL, then the verb.
 */
import { createServiceDataSource, runMigrationCommand } from '@flowline/persistence';
import { serviceEntities, serviceMigrations } from './database.module';

export interface MigrationCliOptions {
  serviceName: string;
  schema: string;
  entities: Array<new () => unknown>;
  migrations: Array<new () => unknown>;
  /** Where generated migrations are written. */
  migrationsDir: string;
}

export async function runMigrationCli(options: MigrationCliOptions, argv: string[] = process.argv.slice(2)): Promise<void> {
  const url = process.env['DATABASE_URL'];
  const fail = (message: string) => {
    process.stderr.write(`${options.serviceName} migrations: ${message}\n`);
    process.exitCode = 1;
  };
  if (!url) return fail('DATABASE_URL is required, e.g. postgres://postgres:postgres@127.0.0.1:5433/flowline');
  const [verb, ...rest] = argv;
  const name = rest.find((arg) => arg.startsWith('--name='))?.slice('--name='.length);
  const dataSource = createServiceDataSource({
    url,
    schema: options.schema,
    entities: serviceEntities(options.entities),
    migrations: serviceMigrations(options.migrations),
    applicationName: `${options.serviceName}-migrations`,
  });
  try {
    const report = await runMigrationCommand(dataSource, verb, { ...(name ? { name } : {}), migrationsDir: options.migrationsDir });
    process.stdout.write(`${options.serviceName}: ${report}\n`);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}
