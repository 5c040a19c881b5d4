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
});
