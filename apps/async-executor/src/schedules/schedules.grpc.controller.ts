/** gRPC: flowline.executor.v1.ScheduleService (operators), over the same SchedulerService as REST. */
import { Ctx, GrpcMethod, Payload } from '@nestjs/microservices';
import { Roles, type Principal } from '@flowline/auth';
import { invalidArgument, type ExecutorProto, type Metadata } from '@flowline/rpc';
import { CurrentPrincipal, GrpcController, RequireRoles } from '@flowline/service-kit';
import { scheduleToProto } from './schedule.mapper';
import { SchedulerService } from './scheduler.service';

const SERVICE = 'ScheduleService';

function idOf(request: ExecutorProto.ScheduleRequest): string {
  if (!request.id)
    throw invalidArgument('SCHEDULE_ID_REQUIRED', 'name the schedule', [
      { field: 'id', description: 'is required: <definition id>:<trigger index>' },
    ]);
  return request.id;
}

@GrpcController()
export class SchedulesGrpcController {
  constructor(private readonly scheduler: SchedulerService) {}

  @GrpcMethod(SERVICE, 'ListSchedules')
  @RequireRoles(Roles.operator)
  async listSchedules(): Promise<ExecutorProto.ListSchedulesResponse> {
    return { schedules: (await this.scheduler.list()).map(scheduleToProto) };
  }

  @GrpcMethod(SERVICE, 'GetSchedule')
  @RequireRoles(Roles.operator)
  async getSchedule(@Payload() request: ExecutorProto.ScheduleRequest): Promise<ExecutorProto.Schedule> {
    return scheduleToProto(await this.scheduler.get(idOf(request)));
  }

  @GrpcMethod(SERVICE, 'PauseSchedule')
  @RequireRoles(Roles.operator)
  async pauseSchedule(
    @Payload() request: ExecutorProto.ScheduleRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExecutorProto.Schedule> {
    return scheduleToProto(await this.scheduler.pause(idOf(request), principal.subject));
  }

  @GrpcMethod(SERVICE, 'ResumeSchedule')
  @RequireRoles(Roles.operator)
  async resumeSchedule(
    @Payload() request: ExecutorProto.ScheduleRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExecutorProto.Schedule> {
    return scheduleToProto(await this.scheduler.resume(idOf(request), principal.subject));
  }

  @GrpcMethod(SERVICE, 'TriggerSchedule')
  @RequireRoles(Roles.operator)
  async triggerSchedule(
    @Payload() request: ExecutorProto.ScheduleRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExecutorProto.TriggerScheduleResponse> {
    const { schedule, operationIds } = await this.scheduler.triggerNow(idOf(request), principal.subject);
    return { schedule: scheduleToProto(schedule), operationIds };
  }
}
