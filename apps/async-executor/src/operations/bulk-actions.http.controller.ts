/**
 * REST for bulk actions on system jobs (operator or admin):
 * - `POST /api/v1/operations/bulk` with `{"action": "cancel|pause|resume|postpone|retry|delete", "filter": {<the list filters>}, "dryRun": true, "until": "<RFC 3339, for postpone>"}`:
 *   a dry run answers how many operations match (by state); otherwise the bulk action starts as an async operation (type 13) and is answered (202)
 * - `GET /api/v1/operations/bulk/{id}`: its operation, progress (done/total, applied, refused) and the first refusals
 * - `GET /api/v1/operations/bulk/{id}/items?outcome=applied|refused|pending&pageSize=&pageToken=`: every target's outcome
 * Cancel or pause a bulk action like any operation (`POST /api/v1/operations/{id}/cancel`).
 */
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { Roles, type Principal } from '@flowline/auth';
import { CORRELATION_ID_HEADER } from '@flowline/rpc';
import { CurrentPrincipal, RequireRoles } from '@flowline/service-kit';
import { BulkActionsService, type BulkRequest } from './bulk-actions.service';

@Controller('api/v1/operations/bulk')
export class BulkActionsHttpController {
  constructor(private readonly bulk: BulkActionsService) {}

  @Post()
  @HttpCode(202)
  @RequireRoles(Roles.operator, Roles.admin)
  request(
    @Body() body: BulkRequest | undefined,
    @CurrentPrincipal() principal: Principal,
    @Headers(CORRELATION_ID_HEADER) correlationId: string | undefined,
  ) {
    return this.bulk.request(body ?? {}, principal.subject, correlationId);
  }

  @Get(':id')
  @RequireRoles(Roles.operator)
  get(@Param('id') id: string) {
    return this.bulk.get(id);
  }

  @Get(':id/items')
  @RequireRoles(Roles.operator)
  items(
    @Param('id') id: string,
    @Query('outcome') outcome: string | undefined,
    @Query('pageSize') pageSize: string | undefined,
    @Query('pageToken') pageToken: string | undefined,
  ) {
    return this.bulk.items(id, outcome || undefined, {
      ...(pageSize ? { pageSize: Number(pageSize) } : {}),
      ...(pageToken ? { pageToken } : {}),
    });
  }
}
