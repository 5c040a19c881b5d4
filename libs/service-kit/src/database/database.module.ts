/**
 * The service's database: a TypeORM DataSource on its own schema, migrated at start-up
 * (never synchronized), registered as the `database` readiness check.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';
import { createServiceDataSource, initializeAndMigrate, pingDatabase } from '@flowline/persistence';
import { ReadinessRegistry } from '../health/readiness.registry';
import { ServiceInstanceEntity } from './service-instance.entity';
import { RateLimitCounters1796200000000 } from '../rate-limit/rate-limit.migration';
import { ServiceInstances1764028800000 } from './service-instance.migration';
import { ServiceInstanceRegistry } from './service-instance.registry';

export interface ServiceDatabaseOptions {
  serviceName: string;
  url: string;
  schema: string;
  poolSize: number;
  httpPort: number;
  entities: Array<(new () => unknown) | EntitySchema>;
  /** The service's own migrations, after the shared first one. */
  migrations: Array<new () => unknown>;
}

/** Every migration a service runs: the shared first one, its own in order, the shared rate-limit counters. */
export function serviceMigrations(own: Array<new () => unknown>): MixedList<new () => unknown> {
  return [ServiceInstances1764028800000, ...own, RateLimitCounters1796200000000];
}

export function serviceEntities(own: Array<(new () => unknown) | EntitySchema>): Array<(new () => unknown) | EntitySchema> {
  return [ServiceInstanceEntity, ...own];
}

class DatabaseReadiness {
  constructor(readiness: ReadinessRegistry, dataSource: DataSource) {
    readiness.register('database', () => pingDatabase(dataSource));
  }
}

@Module({})
export class ServiceDatabaseModule {
  static forRoot(options: ServiceDatabaseOptions): DynamicModule {
    const entities = serviceEntities(options.entities);
    return {
      module: ServiceDatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          // One attempt: a database that is down at start is reported at once, not retried for minutes.
          useFactory: () => ({ type: 'postgres', url: options.url, schema: options.schema, entities, retryAttempts: 0 }),
          dataSourceFactory: async () => {
            const dataSource = createServiceDataSource({
              url: options.url,
              schema: options.schema,
              entities,
              migrations: serviceMigrations(options.migrations),
              applicationName: options.serviceName,
              poolSize: options.poolSize,
            });
            await initializeAndMigrate(dataSource);
            return dataSource;
          },
        }),
        TypeOrmModule.forFeature([ServiceInstanceEntity]),
      ],
      providers: [
        {
          provide: DatabaseReadiness,
          useFactory: (r: ReadinessRegistry, d: DataSource) => new DatabaseReadiness(r, d),
          inject: [ReadinessRegistry, DataSource],
        },
        { provide: 'SERVICE_DATABASE_OPTIONS', useValue: options },
        ServiceInstanceRegistry,
      ],
      exports: [TypeOrmModule, ServiceInstanceRegistry],
    };
  }
}
