/** Workers that run async operations. */
import { Module, type DynamicModule } from '@nestjs/common';
import { DispatcherModule } from '../dispatcher/dispatcher.module';
import { DefinitionVersions } from './definition-versions';
import { GatewayClient } from './gateway-client';
import { WORKER_OPTIONS, WorkerService, type WorkerOptions } from './worker.service';

@Module({})
export class WorkerModule {
  static forRoot(options: WorkerOptions): DynamicModule {
    return {
      module: WorkerModule,
      imports: [DispatcherModule],
      providers: [{ provide: WORKER_OPTIONS, useValue: options }, DefinitionVersions, GatewayClient, WorkerService],
    };
  }
}
