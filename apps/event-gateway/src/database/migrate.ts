/**
 * Migration command of the event-gateway schema, behind the Nx targets migration-run,
 * migration-revert, migration-show and migration-generate (--name=<Name>). Reads DATABASE_URL.
 */
import * as path from 'node:path';
import { runMigrationCli } from '@flowline/service-kit';
import { SERVICE } from '../config';
import { GatewayEntities } from './entities';
import { GatewayMigrations } from './migrations';

void runMigrationCli({
  serviceName: SERVICE.name,
  schema: SERVICE.schema,
  entities: GatewayEntities,
  migrations: GatewayMigrations,
  migrationsDir: path.join(__dirname, 'migrations'),
});
