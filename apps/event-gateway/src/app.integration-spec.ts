import { describeServiceFoundation } from '@flowline/service-testing';
import { SERVICE } from './config';
import { GatewayEntities } from './database/entities';
import { GatewayMigrations } from './database/migrations';

describeServiceFoundation({
  serviceName: SERVICE.name,
  schema: SERVICE.schema,
  mainPath: 'apps/event-gateway/src/main.ts',
  entities: GatewayEntities,
  migrations: GatewayMigrations,
});
