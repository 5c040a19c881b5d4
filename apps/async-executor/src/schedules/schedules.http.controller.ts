/**
 * REST for schedules (operators): `GET /api/v1/schedules`, `GET /api/v1/schedules/{id}`,
 * `POST /api/v1/schedules/{id}/pause|resume|trigger`. Thin: SchedulerService acts, as over gRPC.
 */
import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { Roles, type Principal } from '@flowline/auth';
import { CurrentPrincipal, RequireRoles } from '@flowline/service-kit';
import { scheduleToJson } from './schedule.mapper';
import { SchedulerService } from './scheduler.service';
import { ScheduleRoutes as R } from './schedules.http.routes';

@Controller('api/v1/schedules')
export class SchedulesHttpController {
  constructor(private readonly scheduler: SchedulerService) {}

  @Get()
  @RequireRoles(Roles.operator)
  async list() {
    return { schedules: (await this.scheduler.list()).map(scheduleToJson) };
  }

  @Get(':id')
  @RequireRoles(Roles.operator)
  async get(@Param() params: unknown) {
    return scheduleToJson(await this.scheduler.get(R.get.parseParams(params).id));
  }

  @Post(':id/pause')
  @HttpCode(200)
  @RequireRoles(Roles.operator)
  async pause(@Param() params: unknown, @CurrentPrincipal() principal: Principal) {
    return scheduleToJson(await this.scheduler.pause(R.pause.parseParams(params).id, principal.subject));
  }

  @Post(':id/resume')
  @HttpCode(200)
  @RequireRoles(Roles.operator)
  async resume(@Param() params: unknown, @CurrentPrincipal() principal: Principal) {
    return scheduleToJson(await this.scheduler.resume(R.resume.parseParams(params).id, principal.subject));
  }

  @Post(':id/trigger')
  @HttpCode(200)
  @RequireRoles(Roles.operator)
  async trigger(@Param() params: unknown, @CurrentPrincipal() principal: Principal) {
    const { schedule, operationIds } = await this.scheduler.triggerNow(R.trigger.parseParams(params).id, principal.subject);
    return { schedule: scheduleToJson(schedule), operationIds };
  }
}
