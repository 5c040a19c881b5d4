/**
 * Migration command of the session-service schema, behind the Nx targets migration-run,
 * migration-revert, migration-show and migration-generate (--name=<Name>). Reads DATABASE_URL.
 */
import * as path from 'node:path';
import { runMigrationCli } from '@flowline/service-kit';
import { SERVICE } from '../config';
import { SessionEntities } from './entities';
import { SessionMigrations } from './migrations';

void runMigrationCli({
  serviceName: SERVICE.name,
  schema: SERVICE.schema,
  entities: SessionEntities,
  migrations: SessionMigrations,
  migrationsDir: path.join(__dirname, 'migrations'),
});
