/** Root module of session-service: dialog process sessions, the dialog runner page and the operator console. */
import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@flowline/messaging';
import { AuthModule, HealthModule, OpenApiModule, RateLimitModule, ServiceDatabaseModule } from '@flowline/service-kit';
import { SERVICE, type SessionConfig } from './config';
import { SessionEntities } from './database/entities';
import { SessionMigrations } from './database/migrations';
import { ConsoleModule } from './console/console.module';
import { SESSION_OPENAPI } from './openapi';
import { RunnerModule } from './runner/runner.module';
import { SessionsModule } from './sessions/sessions.module';

@Module({})
export class AppModule {
  static forRoot(config: SessionConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        HealthModule.forService(SERVICE.name),
        AuthModule.forRoot(config, SERVICE.name),
        RateLimitModule.forRoot(config),
        ServiceDatabaseModule.forRoot({
          serviceName: SERVICE.name,
          url: config.DATABASE_URL,
          schema: SERVICE.schema,
          poolSize: config.DB_POOL_SIZE,
          httpPort: config.HTTP_PORT,
          entities: SessionEntities,
          migrations: SessionMigrations,
        }),
        MessagingModule.forRoot({
          serviceName: SERVICE.name,
          brokers: config.KAFKA_BROKERS,
          topicPrefix: config.KAFKA_TOPIC_PREFIX,
          // Session changes go to flowline.sessions.v1 through the outbox, in the change's transaction.
          outbox: { schema: SERVICE.schema, databaseUrl: config.DATABASE_URL },
        }),
        SessionsModule.forRoot({
          registryAddress: config.REGISTRY_ADDRESS,
          gatewayAddress: config.GATEWAY_ADDRESS,
        }),
        RunnerModule,
        ConsoleModule.forRoot({
          directory: config.CONSOLE_DIR,
          upstreams: { registry: config.REGISTRY_HTTP_URL, gateway: config.GATEWAY_HTTP_URL, executor: config.EXECUTOR_HTTP_URL },
          ...(config.CONSOLE_TRACE_DIR ? { traceDirectory: config.CONSOLE_TRACE_DIR } : {}),
          ...(config.CONSOLE_TRACE_URL ? { traceUrl: config.CONSOLE_TRACE_URL } : {}),
        }),
        OpenApiModule.forDocument(SESSION_OPENAPI),
      ],
    };
  }
}
