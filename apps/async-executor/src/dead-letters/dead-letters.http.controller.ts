/**
 * REST for dead letters (operator to read, operator or admin to act):
 * - `GET /api/v1/dead-letters?topic=&reasonCode=&key=&consumerGroup=&status=pending|replayed|discarded&failedAfter=&failedBefore=&text=&pageSize=&pageToken=`
 * - `GET /api/v1/dead-letters/{id}`: the letter, its edit and replays, and its audit
 * - `PATCH /api/v1/dead-letters/{id}` with `{"value": <text or JSON>, "headers": {..}}` (either or both)
 * - `POST /api/v1/dead-letters/{id}/replay` (`{"force": true}` to replay one replayed or discarded)
 * - `POST /api/v1/dead-letters/{id}/discard`
 */
import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { Roles, type Principal } from '@flowline/auth';
import { invalidArgument } from '@flowline/rpc';
import { CurrentPrincipal, RequireRoles } from '@flowline/service-kit';
import { DeadLettersService } from './dead-letters.service';

@Controller('api/v1/dead-letters')
export class DeadLettersHttpController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Get()
  @RequireRoles(Roles.operator)
  list(@Query() query: Record<string, string | string[] | undefined>) {
    const one = (name: string): string | undefined => {
      const value = query[name];
      return (Array.isArray(value) ? value[0] : value) || undefined;
    };
    const pageSize = one('pageSize');
    if (pageSize !== undefined && !/^\d+$/.test(pageSize))
      throw invalidArgument('PAGE_SIZE_INVALID', `pageSize must be a whole number, got '${pageSize}'`, [
        { field: 'pageSize', description: 'expected a whole number' },
      ]);
    const fields = ['topic', 'reasonCode', 'key', 'consumerGroup', 'status', 'failedAfter', 'failedBefore', 'text', 'pageToken'] as const;
    return this.deadLetters.list({
      ...Object.fromEntries(fields.filter((field) => one(field) !== undefined).map((field) => [field, one(field)])),
      ...(pageSize !== undefined ? { pageSize: Number(pageSize) } : {}),
    });
  }

  @Get(':id')
  @RequireRoles(Roles.operator)
  get(@Param('id') id: string) {
    return this.deadLetters.get(id);
  }

  @Patch(':id')
  @RequireRoles(Roles.operator, Roles.admin)
  edit(
    @Param('id') id: string,
    @Body() body: { value?: unknown; headers?: unknown } | undefined,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.deadLetters.edit(id, body ?? {}, principal.subject);
  }

  @Post(':id/replay')
  @HttpCode(200)
  @RequireRoles(Roles.operator, Roles.admin)
  replay(@Param('id') id: string, @Body() body: { force?: unknown } | undefined, @CurrentPrincipal() principal: Principal) {
    return this.deadLetters.replay(id, body?.force === true, principal.subject);
  }

  @Post(':id/discard')
  @HttpCode(200)
  @RequireRoles(Roles.operator, Roles.admin)
  discard(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    return this.deadLetters.discard(id, principal.subject);
  }
}
