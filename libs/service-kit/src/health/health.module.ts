/** Health endpoints, readiness checks and the service's Prometheus registry. */
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { GrpcHealthController } from '../grpc/grpc-health.controller';
import { HealthController } from './health.controller';
import { ReadinessRegistry } from './readiness.registry';
import { METRICS_REGISTRY, SERVICE_NAME } from './tokens';
import { exportPrometheusRegistry } from '@flowline/observability';

@Global()
@Module({})
export class HealthModule {
  static forService(serviceName: string): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController, GrpcHealthController],
      providers: [
        ReadinessRegistry,
        { provide: SERVICE_NAME, useValue: serviceName },
        {
          provide: METRICS_REGISTRY,
          useFactory: () => {
            const registry = new Registry();
            registry.setDefaultLabels({ service: serviceName });
            collectDefaultMetrics({ register: registry, prefix: 'flowline_' });
            // Exported over OTLP as well when an endpoint is configured.
            exportPrometheusRegistry(registry);
            return registry;
          },
        },
      ],
      exports: [ReadinessRegistry, SERVICE_NAME, METRICS_REGISTRY],
    };
  }
}
