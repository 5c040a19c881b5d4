/**
 * Migration command of the process-registry schema, behind the Nx targets migration-run,
 * migration-revert, migration-show and migration-generate (--name=<Name>). Reads DATABASE_URL.
 */
import * as path from 'node:path';
import { runMigrationCli } from '@flowline/service-kit';
import { SERVICE } from '../config';
import { RegistryEntities } from './entities';
import { RegistryMigrations } from './migrations';

void runMigrationCli({
  serviceName: SERVICE.name,
  schema: SERVICE.schema,
  entities: RegistryEntities,
  migrations: RegistryMigrations,
  migrationsDir: path.join(__dirname, 'migrations'),
});
