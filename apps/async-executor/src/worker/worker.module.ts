/** Workers that run async operations. */
import { Module, type DynamicModule } from '@nestjs/common';
import { WORKER_OPTIONS, WorkerService, type WorkerOptions } from './worker.service';

@Module({})
export class WorkerModule {
  static forRoot(options: WorkerOptions): DynamicModule {
    return {
      module: WorkerModule,
      providers: [{ provide: WORKER_OPTIONS, useValue: options }, WorkerService],
      exports: [WorkerService],
    };
  }
}
