/**
 * DataSource for the TypeORM CLI (migration:generate, migration:run, migration:revert) on the
 * session-service schema. Reads DATABASE_URL.
 */
import { createServiceDataSource } from '@flowline/persistence';
import { serviceEntities, serviceMigrations } from '@flowline/service-kit';
import { SERVICE } from '../config';
import { SessionEntities } from './entities';
import { SessionMigrations } from './migrations';

const url = process.env['DATABASE_URL'];
if (!url) throw new Error('DATABASE_URL is required, e.g. postgres://postgres:postgres@127.0.0.1:5433/flowline');

export default createServiceDataSource({
  url,
  schema: SERVICE.schema,
  entities: serviceEntities(SessionEntities),
  migrations: serviceMigrations(SessionMigrations),
  applicationName: `${SERVICE.name}-cli`,
});
