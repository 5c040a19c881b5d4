import { describeServiceFoundation, startServiceForTest } from '@flowline/service-testing';
import { SERVICE } from './config';
import { GatewayEntities } from './database/entities';
import { GatewayMigrations } from './database/migrations';

describeServiceFoundation({
  serviceName: SERVICE.name,
  schema: SERVICE.schema,
  mainPath: 'apps/event-gateway/src/main.ts',
  entities: GatewayEntities,
  migrations: GatewayMigrations,
  grpcServices: ['flowline.gateway.v1.ExecuteService'],
  // Ready means the entity metadata is loaded from the registry.
  dependencies: async () => {
    const registry = await startServiceForTest('apps/process-registry/src/main.ts');
    return { env: { REGISTRY_ADDRESS: registry.grpcAddress }, stop: () => registry.stop() };
  },
});
