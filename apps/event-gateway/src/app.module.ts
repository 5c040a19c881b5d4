/** Root module of event-gateway: the message pipeline, business records and the transactional outbox. */
import { Module, type DynamicModule } from '@nestjs/common';
import { MetadataCacheModule } from '@flowline/metadata-cache';
import { MessagingModule } from '@flowline/messaging';
import {
  AuthModule,
  HealthModule,
  OpenApiModule,
  OutboundPolicyModule,
  RateLimitModule,
  ServiceDatabaseModule,
} from '@flowline/service-kit';
import { SERVICE, type GatewayConfig } from './config';
import { GatewayEntities } from './database/entities';
import { GatewayMigrations } from './database/migrations';
import { GATEWAY_OPENAPI } from './openapi';
import { PipelineModule } from './pipeline/pipeline.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        HealthModule.forService(SERVICE.name),
        AuthModule.forRoot(config, SERVICE.name),
        RateLimitModule.forRoot(config),
        OutboundPolicyModule.forRoot(config),
        ServiceDatabaseModule.forRoot({
          serviceName: SERVICE.name,
          url: config.DATABASE_URL,
          schema: SERVICE.schema,
          poolSize: config.DB_POOL_SIZE,
          httpPort: config.HTTP_PORT,
          entities: GatewayEntities,
          migrations: GatewayMigrations,
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
          refreshIntervalMs: config.METADATA_REFRESH_INTERVAL_MS,
        }),
        PipelineModule.forRoot({
          loopProtection: { maxDepth: config.LOOP_MAX_DEPTH, windowMs: config.LOOP_DEPTH_WINDOW_MS },
        }),
        WebhooksModule.forRoot({
          executorAddress: config.EXECUTOR_ADDRESS,
          maxWaitMs: config.WEBHOOK_MAX_WAIT_MS,
          deliveryRetentionMs: config.WEBHOOK_DELIVERY_RETENTION_MS,
        }),
        OpenApiModule.forDocument(GATEWAY_OPENAPI),
      ],
    };
  }
}
