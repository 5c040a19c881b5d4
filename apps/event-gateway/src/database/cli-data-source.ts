/**
 * DataSource for the TypeORM CLI (migration:generate, migration:run, migration:revert) on the
 * event-gateway schema. Reads DATABASE_URL.
 */
import { createServiceDataSource } from '@flowline/persistence';
import { serviceEntities, serviceMigrations } from '@flowline/service-kit';
import { SERVICE } from '../config';
import { GatewayEntities } from './entities';
import { GatewayMigrations } from './migrations';

const url = process.env['DATABASE_URL'];
if (!url) throw new Error('DATABASE_URL is required, e.g. postgres://postgres:postgres@127.0.0.1:5433/flowline');

export default createServiceDataSource({
  url,
  schema: SERVICE.schema,
  entities: serviceEntities(GatewayEntities),
  migrations: serviceMigrations(GatewayMigrations),
  applicationName: `${SERVICE.name}-cli`,
});
