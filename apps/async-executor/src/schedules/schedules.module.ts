/**
 * Schedules: the scheduler that fires schedule triggers, their table, metrics and the operators'
 * REST and gRPC APIs. The operation repository it starts runs with is the operations module's
 * (global), so one claim connection and one set of prepared statements serve the process.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { ScheduleClock } from './schedule-clock';
import { ScheduleRepository } from './schedule-repository';
import { SCHEDULER_OPTIONS, SchedulerService, type SchedulerOptions } from './scheduler.service';
import { SchedulesGrpcController } from './schedules.grpc.controller';
import { SchedulesHttpController } from './schedules.http.controller';
import { ScheduleMetrics } from './schedules.metrics';

@Module({})
export class SchedulesModule {
  static forRoot(options: SchedulerOptions): DynamicModule {
    return {
      module: SchedulesModule,
      controllers: [SchedulesHttpController, SchedulesGrpcController],
      providers: [{ provide: SCHEDULER_OPTIONS, useValue: options }, ScheduleClock, ScheduleRepository, ScheduleMetrics, SchedulerService],
      exports: [SchedulerService],
    };
  }
}
