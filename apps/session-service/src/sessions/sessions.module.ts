/** Dialog sessions: the use cases, their REST and gRPC APIs, and the registry and gateway clients they use. */
import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { SERVICE_CREDENTIAL, type ServiceCredential } from '@flowline/auth';
import { DialogDefinitions } from '../clients/dialog-definitions';
import { GatewayClient, RecordGateway } from '../clients/gateway-client';
import { RequestReplay } from './request-replay';
import { LookupRecords } from './lookup-records';
import { SessionAccess } from './session-access';
import { SessionEvents } from './session-events';
import { SessionMetrics } from './session-metrics';
import { SessionProgress } from './session-progress';
import { SessionRunner } from './session-runner';
import { SessionStore } from './session-store';
import { SessionsGrpcController } from './sessions.grpc.controller';
import { SessionsHttpController } from './sessions.http.controller';
import { CancelSessionUseCase } from './use-cases/cancel-session.use-case';
import { PreviousPageUseCase } from './use-cases/previous-page.use-case';
import { SessionQueries } from './use-cases/session-queries';
import { StartSessionUseCase } from './use-cases/start-session.use-case';
import { SubmitPageUseCase } from './use-cases/submit-page.use-case';

export interface SessionsModuleOptions {
  registryAddress: string;
  gatewayAddress: string;
}

/** Closes the gRPC channels to the registry and the gateway when the service stops. */
class ClientChannels implements OnApplicationShutdown {
  constructor(
    private readonly gateway: GatewayClient,
    private readonly definitions: DialogDefinitions,
  ) {}

  onApplicationShutdown(): void {
    this.gateway.close();
    this.definitions.close();
  }
}

@Module({})
export class SessionsModule {
  static forRoot(options: SessionsModuleOptions): DynamicModule {
    return {
      module: SessionsModule,
      controllers: [SessionsHttpController, SessionsGrpcController],
      providers: [
        {
          provide: GatewayClient,
          inject: [SERVICE_CREDENTIAL],
          useFactory: (credential: ServiceCredential) => {
            const client = new GatewayClient();
            client.configure(options.gatewayAddress, credential);
            return client;
          },
        },
        { provide: RecordGateway, useExisting: GatewayClient },
        {
          provide: DialogDefinitions,
          inject: [SERVICE_CREDENTIAL],
          useFactory: (credential: ServiceCredential) => {
            const definitions = new DialogDefinitions();
            definitions.configure(options.registryAddress, credential);
            return definitions;
          },
        },
        {
          provide: ClientChannels,
          useFactory: (gateway: GatewayClient, definitions: DialogDefinitions) => new ClientChannels(gateway, definitions),
          inject: [GatewayClient, DialogDefinitions],
        },
        SessionStore,
        SessionAccess,
        SessionEvents,
        SessionMetrics,
        SessionProgress,
        SessionRunner,
        RequestReplay,
        StartSessionUseCase,
        SubmitPageUseCase,
        PreviousPageUseCase,
        CancelSessionUseCase,
        SessionQueries,
        LookupRecords,
      ],
    };
  }
}
