/**
 * REST for dead letters (operator to read, operator or admin to act):
 * - `GET /api/v1/dead-letters?topic=&reasonCode=&key=&consumerGroup=&status=pending|replayed|discarded&failedAfter=&failedBefore=&text=&pageSize=&pageToken=`
 * - `GET /api/v1/dead-letters/{id}`: the letter, its edit and replays, and its audit
 * - `PATCH /api/v1/dead-letters/{id}` with `{"value": <text or JSON>, "headers": {..}}` (either or both)
 * - `POST /api/v1/dead-letters/{id}/replay` (`{"force": true}` to replay one replayed or discarded)
 * - `POST /api/v1/dead-letters/{id}/discard`
 * Requests are read by the routes' schemas (dead-letters.http.routes.ts), which the OpenAPI document shows.
 */
import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { Roles, type Principal } from '@flowline/auth';
import { CurrentPrincipal, RequireRoles } from '@flowline/service-kit';
import { DeadLetterRoutes as R } from './dead-letters.http.routes';
import { DeadLettersService } from './dead-letters.service';

@Controller('api/v1/dead-letters')
export class DeadLettersHttpController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Get()
  @RequireRoles(Roles.operator)
  list(@Query() query: unknown) {
    // The route's schema reads the types (pageSize); the filters' values are checked by the service, as over gRPC.
    const { pageSize, ...filters } = R.list.parseQuery(query);
    return this.deadLetters.list({ ...filters, ...(pageSize !== undefined ? { pageSize } : {}) });
  }

  @Get(':id')
  @RequireRoles(Roles.operator)
  get(@Param() params: unknown) {
    return this.deadLetters.get(R.get.parseParams(params).id);
  }

  @Patch(':id')
  @RequireRoles(Roles.operator, Roles.admin)
  edit(@Param() params: unknown, @Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    return this.deadLetters.edit(R.edit.parseParams(params).id, R.edit.parseBody(body ?? {}), principal.subject);
  }

  @Post(':id/replay')
  @HttpCode(200)
  @RequireRoles(Roles.operator, Roles.admin)
  replay(@Param() params: unknown, @Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    const { id } = R.replay.parseParams(params);
    return this.deadLetters.replay(id, R.replay.parseBody(body ?? {}).force === true, principal.subject);
  }

  @Post(':id/discard')
  @HttpCode(200)
  @RequireRoles(Roles.operator, Roles.admin)
  discard(@Param() params: unknown, @CurrentPrincipal() principal: Principal) {
    return this.deadLetters.discard(R.discard.parseParams(params).id, principal.subject);
  }
}
