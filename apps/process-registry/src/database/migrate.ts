/**
 * Migration command of the process-registry schema, behind the Nx targets migration-run,
 * migration-revert, migration-show and migration-generate (--name=<Name>). Reads DATABASE_URL.
 */
import * as path from 'node:path';
import { createServiceDataSource, runMigrationCommand } from '@flowline/persistence';
import { serviceEntities, serviceMigrations } from '@flowline/service-kit';
import { SERVICE } from '../config';
import { RegistryEntities } from './entities';
import { RegistryMigrations } from './migrations';

async function main(): Promise<void> {
  const url = process.env['DATABASE_URL'];
  if (!url) throw new Error('DATABASE_URL is required, e.g. postgres://postgres:postgres@127.0.0.1:5433/flowline');
  const [verb, ...rest] = process.argv.slice(2);
  const name = rest.find((arg) => arg.startsWith('--name='))?.slice('--name='.length);
  const dataSource = createServiceDataSource({
    url,
    schema: SERVICE.schema,
    entities: serviceEntities(RegistryEntities),
    migrations: serviceMigrations(RegistryMigrations),
    applicationName: `${SERVICE.name}-migrations`,
  });
  try {
    const report = await runMigrationCommand(dataSource, verb, { name, migrationsDir: path.join(__dirname, 'migrations') });
    process.stdout.write(`${SERVICE.name}: ${report}\n`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${SERVICE.name} migrations: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
