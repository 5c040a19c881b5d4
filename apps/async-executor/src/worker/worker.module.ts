/** Workers that run async operations. */
import { Module, type DynamicModule } from '@nestjs/common';
import { EFFECT_HANDLER_PROVIDERS, EffectHandlers } from './effects/effect-handlers';
import { RecordReader } from './record-reader';
import { WORKER_OPTIONS, WorkerService, type WorkerOptions } from './worker.service';

@Module({})
export class WorkerModule {
  static forRoot(options: WorkerOptions): DynamicModule {
    return {
      module: WorkerModule,
      providers: [{ provide: WORKER_OPTIONS, useValue: options }, ...EFFECT_HANDLER_PROVIDERS, EffectHandlers, RecordReader, WorkerService],
      exports: [WorkerService],
    };
  }
}
