import { describeServiceFoundation } from '@flowline/service-testing';
import { SERVICE } from './config';
import { ExecutorEntities } from './database/entities';
import { ExecutorMigrations } from './database/migrations';

describeServiceFoundation({
  serviceName: SERVICE.name,
  schema: SERVICE.schema,
  mainPath: 'apps/async-executor/src/main.ts',
  entities: ExecutorEntities,
  migrations: ExecutorMigrations,
});
