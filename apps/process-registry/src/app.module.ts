/** Root module of process-registry: entity metadata, process definitions and plug-in step registrations. */
import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@flowline/messaging';
import { AuthModule, HealthModule, OpenApiModule, ServiceDatabaseModule } from '@flowline/service-kit';
import { SERVICE, type RegistryConfig } from './config';
import { RegistryEntities } from './database/entities';
import { RegistryMigrations } from './database/migrations';
import { EntityMetadataModule } from './entity-metadata/entity-metadata.module';
import { StepRegistrationModule } from './step-registrations/step-registration.module';
import { SubscriptionModule } from './subscriptions/subscription.module';
import { ProcessDefinitionModule } from './process-definitions/process-definition.module';
import { REGISTRY_OPENAPI } from './openapi';

@Module({})
export class AppModule {
  static forRoot(config: RegistryConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        HealthModule.forService(SERVICE.name),
        AuthModule.forRoot(config, SERVICE.name),
        ServiceDatabaseModule.forRoot({
          serviceName: SERVICE.name,
          url: config.DATABASE_URL,
          schema: SERVICE.schema,
          poolSize: config.DB_POOL_SIZE,
          httpPort: config.HTTP_PORT,
          entities: RegistryEntities,
          migrations: RegistryMigrations,
        }),
        MessagingModule.forRoot({
          serviceName: SERVICE.name,
          brokers: config.KAFKA_BROKERS,
          topicPrefix: config.KAFKA_TOPIC_PREFIX,
          outbox: { schema: SERVICE.schema, databaseUrl: config.DATABASE_URL },
        }),
        EntityMetadataModule,
        StepRegistrationModule,
        SubscriptionModule,
        ProcessDefinitionModule,
        OpenApiModule.forDocument(REGISTRY_OPENAPI),
      ],
    };
  }
}
