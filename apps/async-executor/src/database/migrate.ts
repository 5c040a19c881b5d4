/**
 * Migration command of the async-executor schema, behind the Nx targets migration-run,
 * migration-revert, migration-show and migration-generate (--name=<Name>). Reads DATABASE_URL.
 */
import * as path from 'node:path';
import { runMigrationCli } from '@flowline/service-kit';
import { SERVICE } from '../config';
import { ExecutorEntities } from './entities';
import { ExecutorMigrations } from './migrations';

void runMigrationCli({
  serviceName: SERVICE.name,
  schema: SERVICE.schema,
  entities: ExecutorEntities,
  migrations: ExecutorMigrations,
  migrationsDir: path.join(__dirname, 'migrations'),
});
