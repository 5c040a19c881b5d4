/**
 * REST for bulk actions on system jobs (operator or admin):
 * - `POST /api/v1/operations/bulk` with `{"action": "cancel|pause|resume|postpone|retry|delete", "filter": {<the list filters>}, "dryRun": true, "until": "<RFC 3339, for postpone>"}`:
 *   a dry run answers how many operations match (by state); otherwise the bulk action starts as an async operation (type 13) and is answered (202)
 * - `GET /api/v1/operations/bulk/{id}`: its operation, progress (done/total, applied, refused) and the first refusals
 * - `GET /api/v1/operations/bulk/{id}/items?outcome=applied|refused|pending&pageSize=&pageToken=`: every target's outcome
 * Cancel or pause a bulk action like any operation (`POST /api/v1/operations/{id}/cancel`).
 * Requests are read by the routes' schemas (bulk-actions.http.routes.ts), which the OpenAPI document shows.
 */
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { Roles, type Principal } from '@flowline/auth';
import { CurrentPrincipal, RequireRoles } from '@flowline/service-kit';
import { BulkActionRoutes as R } from './bulk-actions.http.routes';
import { BulkActionsService } from './bulk-actions.service';

@Controller('api/v1/operations/bulk')
export class BulkActionsHttpController {
  constructor(private readonly bulk: BulkActionsService) {}

  @Post()
  @HttpCode(202)
  @RequireRoles(Roles.operator, Roles.admin)
  request(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Headers() headers: unknown) {
    // The route's schema reads the shape (BULK_INVALID); the service checks the filter's values and the postpone time.
    return this.bulk.request(R.start.parseBody(body ?? {}), principal.subject, R.start.parseHeaders(headers)['x-correlation-id']);
  }

  @Get(':id')
  @RequireRoles(Roles.operator)
  get(@Param() params: unknown) {
    return this.bulk.get(R.get.parseParams(params).id);
  }

  @Get(':id/items')
  @RequireRoles(Roles.operator)
  items(@Param() params: unknown, @Query() query: unknown) {
    const { id } = R.items.parseParams(params);
    const { outcome, pageSize, pageToken } = R.items.parseQuery(query);
    return this.bulk.items(id, outcome || undefined, {
      ...(pageSize !== undefined ? { pageSize } : {}),
      ...(pageToken ? { pageToken } : {}),
    });
  }
}
