/** Root module of async-executor: async operations (system jobs) and durable workflow execution. */
import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@flowline/messaging';
import { MetadataCacheModule } from '@flowline/metadata-cache';
import { AuthModule, HealthModule, OpenApiModule, OutboundPolicyModule, ServiceDatabaseModule } from '@flowline/service-kit';
import { SERVICE, type ExecutorConfig } from './config';
import { ExecutorEntities } from './database/entities';
import { ExecutorMigrations } from './database/migrations';
import { DeadLettersModule } from './dead-letters/dead-letters.module';
import { DispatcherModule } from './dispatcher/dispatcher.module';
import { OnDemandModule } from './on-demand/on-demand.module';
import { EXECUTOR_OPENAPI } from './openapi';
import { BulkActionsModule } from './operations/bulk-actions.module';
import { OperationsModule } from './operations/operations.module';
import { SchedulesModule } from './schedules/schedules.module';
import { WorkerModule } from './worker/worker.module';

@Module({})
export class AppModule {
  static forRoot(config: ExecutorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        HealthModule.forService(SERVICE.name),
        AuthModule.forRoot(config, SERVICE.name),
        OutboundPolicyModule.forRoot(config),
        ServiceDatabaseModule.forRoot({
          serviceName: SERVICE.name,
          url: config.DATABASE_URL,
          schema: SERVICE.schema,
          poolSize: config.DB_POOL_SIZE,
          httpPort: config.HTTP_PORT,
          entities: ExecutorEntities,
          migrations: ExecutorMigrations,
        }),
        MessagingModule.forRoot({
          serviceName: SERVICE.name,
          brokers: config.KAFKA_BROKERS,
          topicPrefix: config.KAFKA_TOPIC_PREFIX,
          outbox: { schema: SERVICE.schema, databaseUrl: config.DATABASE_URL },
        }),
        MetadataCacheModule.forRoot({
          serviceName: SERVICE.name,
          registryAddress: config.REGISTRY_ADDRESS,
        }),
        OperationsModule.forRoot({
          registryAddress: config.REGISTRY_ADDRESS,
          gatewayAddress: config.GATEWAY_ADDRESS,
          retentionDays: config.OPERATION_RETENTION_DAYS,
          healthSampleMs: config.HEALTH_SAMPLE_MS,
        }),
        // Bulk actions run as async operations of type 13, carried out by their own runner.
        BulkActionsModule.forRoot({ leaseMs: config.LEASE_MS, pollMs: config.WORKER_POLL_MS }),
        DispatcherModule,
        DeadLettersModule,
        OnDemandModule,
        SchedulesModule.forRoot({ pollMs: config.SCHEDULER_POLL_MS, misfireGraceMs: config.SCHEDULE_MISFIRE_GRACE_MS }),
        OpenApiModule.forDocument(EXECUTOR_OPENAPI),
        WorkerModule.forRoot({
          databaseUrl: config.DATABASE_URL,
          concurrency: config.WORKER_CONCURRENCY,
          prefetch: config.WORKER_PREFETCH ?? 'paced',
          definitionConcurrency: config.DEFINITION_CONCURRENCY,
          leaseMs: config.LEASE_MS,
          pollMs: config.WORKER_POLL_MS,
          maxRetries: config.MAX_RETRIES,
          retryBaseMs: config.RETRY_BASE_MS,
          retryMaxMs: config.RETRY_MAX_MS,
          throttleAfterFailures: config.THROTTLE_AFTER_FAILURES,
          throttleBaseMs: config.THROTTLE_BASE_MS,
          throttleMaxMs: config.THROTTLE_MAX_MS,
          shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
          dependencyPatienceMs: config.EXECUTOR_DEPENDENCY_PATIENCE_MS,
          dependencyRetryMaxMs: config.EXECUTOR_DEPENDENCY_RETRY_MAX_MS,
          loopMaxRuns: config.LOOP_MAX_RUNS,
          loopWindowMs: config.LOOP_WINDOW_MS,
        }),
      ],
    };
  }
}
