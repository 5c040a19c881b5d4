/**
 * Async operations: the store that moves them, their change events, the clients to the
 * registry and gateway that runs use, metrics, the management API (gRPC and REST), and the
 * recent health history the console charts.
 * Global, so the dispatcher and the workers share one of each.
 */
import { SERVICE_CREDENTIAL, type ServiceCredential } from '@flowline/auth';
import { Global, Inject, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DefinitionVersions } from '../definitions/definition-versions';
import { ExecutorMetrics } from '../worker/executor-metrics';
import { GatewayClient } from '../worker/gateway-client';
import { OperationCommands, OPERATIONS_OPTIONS, type OperationsOptions } from './operation-commands.service';
import { OperationEvents } from './operation-events';
import { OperationRepository } from './operation-repository';
import { OperationStore } from './operation-store';
import { OperationsGrpcController } from './operations.grpc.controller';
import { OperationsHttpController } from './operations.http.controller';
import { HealthHistory, HEALTH_HISTORY_OPTIONS } from './health-history';
import { HealthHistoryHttpController } from './health-history.http.controller';
import { RetentionSweeper } from './retention-sweeper';

@Global()
@Module({})
export class OperationsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(OPERATIONS_OPTIONS) private readonly options: OperationsOptions,
    private readonly versions: DefinitionVersions,
    private readonly gateway: GatewayClient,
    @Inject(SERVICE_CREDENTIAL) private readonly credential: ServiceCredential,
  ) {}

  static forRoot(options: OperationsOptions & { healthSampleMs: number }): DynamicModule {
    const providers = [
      { provide: OPERATIONS_OPTIONS, useValue: options },
      { provide: HEALTH_HISTORY_OPTIONS, useValue: { sampleMs: options.healthSampleMs } },
      HealthHistory,
      OperationEvents,
      OperationStore,
      OperationRepository,
      OperationCommands,
      DefinitionVersions,
      GatewayClient,
      ExecutorMetrics,
      RetentionSweeper,
    ];
    return {
      module: OperationsModule,
      controllers: [OperationsHttpController, OperationsGrpcController, HealthHistoryHttpController],
      providers,
      exports: [
        OperationEvents,
        OperationStore,
        OperationRepository,
        OperationCommands,
        DefinitionVersions,
        GatewayClient,
        ExecutorMetrics,
      ],
    };
  }

  onApplicationBootstrap(): void {
    this.versions.configure(this.options.registryAddress, this.credential);
    this.gateway.configure(this.options.gatewayAddress, this.credential);
  }

  onApplicationShutdown(): void {
    this.versions.close();
    this.gateway.close();
  }
}
