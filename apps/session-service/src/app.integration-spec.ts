import { describeServiceFoundation } from '@flowline/service-testing';
import { SERVICE } from './config';
import { SessionEntities } from './database/entities';
import { SessionMigrations } from './database/migrations';

describeServiceFoundation({
  serviceName: SERVICE.name,
  schema: SERVICE.schema,
  mainPath: 'apps/session-service/src/main.ts',
  entities: SessionEntities,
  migrations: SessionMigrations,
  grpcServices: ['flowline.session.v1.SessionService'],
});
