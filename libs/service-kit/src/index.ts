// What every Flowline service shares: configuration, health, database module, start-up.
export * from './config/config';
export * from './health/readiness.registry';
export * from './health/health.module';
export * from './health/tokens';
export * from './database/database.module';
export * from './database/service-instance.entity';
export * from './database/service-instance.migration';
export * from './database/service-instance.registry';
export * from './bootstrap/start-service';
export * from './grpc/rpc-exception.filter';
export * from './grpc/grpc-health.controller';
export * from './auth/auth.guard';
export * from './auth/auth.module';
export * from './errors/http-error.filter';
export * from './database/migration-cli';
export * from './grpc/gateway-execute-client';
