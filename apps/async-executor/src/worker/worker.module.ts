/**
 * Workers that run async operations: the claim loop (WorkerService), the run driver and how runs
 * end (RunDriver, RunEnds), one handler per effect type (effects/), the statements they issue
 * (OperationRepository) and the group commit of boundaries and ends (RunCompleter).
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OperationEvents } from '../operations/operation-events';
import { OperationStore } from '../operations/operation-store';
import { EFFECT_HANDLER_PROVIDERS, EffectHandlers } from './effects/effect-handlers';
import { RecordReader } from './record-reader';
import { RunCompleter } from './run-completer';
import { RunDriver } from './run-driver';
import { RunEnds } from './run-ends';
import { WORKER_HOST, WORKER_OPTIONS, workerHost, type WorkerOptions } from './worker-options';
import { WorkerService } from './worker.service';

@Module({})
export class WorkerModule {
  static forRoot(options: WorkerOptions): DynamicModule {
    return {
      module: WorkerModule,
      providers: [
        { provide: WORKER_OPTIONS, useValue: options },
        // One per executor (an application), like the leases it holds.
        { provide: WORKER_HOST, useFactory: workerHost },
        {
          provide: RunCompleter,
          useFactory: (dataSource: DataSource, store: OperationStore, events: OperationEvents, host: string) =>
            new RunCompleter(dataSource, store, events, host, options.leaseMs),
          inject: [DataSource, OperationStore, OperationEvents, WORKER_HOST],
        },
        ...EFFECT_HANDLER_PROVIDERS,
        EffectHandlers,
        RecordReader,
        RunEnds,
        RunDriver,
        WorkerService,
      ],
      exports: [WorkerService],
    };
  }
}
