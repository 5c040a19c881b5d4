import { describeServiceFoundation } from '@flowline/service-testing';
import { SERVICE } from './config';
import { RegistryEntities } from './database/entities';
import { RegistryMigrations } from './database/migrations';

describeServiceFoundation({
  serviceName: SERVICE.name,
  schema: SERVICE.schema,
  mainPath: 'apps/process-registry/src/main.ts',
  entities: RegistryEntities,
  migrations: RegistryMigrations,
  grpcServices: [
    'flowline.registry.v1.EntityMetadataService',
    'flowline.registry.v1.ProcessDefinitionService',
    'flowline.registry.v1.StepRegistrationService',
    'flowline.registry.v1.SubscriptionService',
  ],
});
