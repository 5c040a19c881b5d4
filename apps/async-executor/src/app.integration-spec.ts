import { describeServiceFoundation, startServiceForTest } from '@flowline/service-testing';
import { SERVICE } from './config';
import { ExecutorEntities } from './database/entities';
import { ExecutorMigrations } from './database/migrations';

describeServiceFoundation({
  serviceName: SERVICE.name,
  schema: SERVICE.schema,
  mainPath: 'apps/async-executor/src/main.ts',
  entities: ExecutorEntities,
  migrations: ExecutorMigrations,
  grpcServices: ['flowline.executor.v1.AsyncOperationService', 'flowline.executor.v1.DeadLetterService'],
  // Ready means the entity metadata and subscriptions are loaded from the registry.
  dependencies: async () => {
    const registry = await startServiceForTest('apps/process-registry/src/main.ts');
    return { env: { REGISTRY_ADDRESS: registry.grpcAddress }, stop: () => registry.stop() };
  },
});
