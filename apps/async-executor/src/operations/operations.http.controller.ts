/**
 * REST for operators (operator or admin role):
 * - `GET /api/v1/operations?state=0&state=1&status=31&definitionId=&name=&entity=&recordId=&correlationId=&createdAfter=&createdBefore=&text=&sort=&pageSize=&pageToken=`
 * - `GET /api/v1/operations/{id}`: the operation, its step log, parent, children and trace id
 * - `POST /api/v1/operations/{id}/cancel|pause|resume|retry`, `POST /api/v1/operations/{id}/postpone` with `{"until": "<RFC 3339>"}`
 * - `DELETE /api/v1/operations?completedBefore=<RFC 3339>` (admin): completed operations finished before then (default: the retention setting)
 * Requests are read by the routes' schemas (operations.http.routes.ts), which the OpenAPI document shows.
 */
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { Roles, type Principal } from '@flowline/auth';
import { CurrentPrincipal, RequireRoles } from '@flowline/service-kit';
import { OperationCommands } from './operation-commands.service';
import { operationFilterOf } from './operation-filter';
import { detailToProto, listToProto, operationToProto } from './operation.mapper';
import { OperationRoutes as R } from './operations.http.routes';

@Controller('api/v1/operations')
export class OperationsHttpController {
  constructor(private readonly commands: OperationCommands) {}

  @Get()
  @RequireRoles(Roles.operator)
  async list(@Query() query: unknown) {
    // The route's schema checks the types (and documents them); the filter is the one bulk actions use too.
    const { pageSize, pageToken, sort, ...filter } = R.list.parseQuery(query);
    const list = await this.commands.list({ filter: operationFilterOf(filter), sort, pageSize, pageToken });
    return listToProto(list);
  }

  @Get(':id')
  @RequireRoles(Roles.operator)
  async get(@Param('id') id: string) {
    return detailToProto(await this.commands.get(id));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @RequireRoles(Roles.operator)
  async cancel(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    const { operation, childrenCanceled } = await this.commands.cancel(id, principal.subject);
    // The Operation message, plus how many waited-for children were canceled with it (REST only).
    return { ...operationToProto(operation), childrenCanceled };
  }

  @Post(':id/pause')
  @HttpCode(200)
  @RequireRoles(Roles.operator)
  async pause(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    return operationToProto(await this.commands.pause(id, principal.subject));
  }

  @Post(':id/resume')
  @HttpCode(200)
  @RequireRoles(Roles.operator)
  async resume(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    return operationToProto(await this.commands.resume(id, principal.subject));
  }

  @Post(':id/postpone')
  @HttpCode(200)
  @RequireRoles(Roles.operator)
  async postpone(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    return operationToProto(await this.commands.postpone(id, R.postpone.parseBody(body ?? {}).until ?? '', principal.subject));
  }

  @Post(':id/retry')
  @HttpCode(200)
  @RequireRoles(Roles.operator)
  async retry(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    return operationToProto(await this.commands.retry(id, principal.subject));
  }

  @Delete()
  @RequireRoles(Roles.admin)
  async deleteCompleted(@Query() query: unknown) {
    const { completedBefore } = R.deleteCompleted.parseQuery(query);
    const result = await this.commands.deleteCompleted(completedBefore || undefined);
    return { deleted: result.deleted, completedBefore: result.completedBefore.toISOString() };
  }
}
