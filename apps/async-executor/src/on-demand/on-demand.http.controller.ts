/**
 * REST for on-demand workflows (role user; admin always):
 * - `POST /api/v1/workflows/{idOrUniqueName}/start` with `{"entity": "account", "recordId": "<id>",
 *   "inputs": {...}, "idempotencyKey": "..."}` (the key may also come as an `Idempotency-Key`
 *   header): 200 with the operation, the same one for a repeat with the same key.
 * The body is read by the route's schema (on-demand.http.routes.ts), which the OpenAPI document shows.
 */
import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { Roles, type Principal } from '@flowline/auth';
import { CurrentPrincipal, RequireRoles } from '@flowline/service-kit';
import { operationToProto } from '../operations/operation.mapper';
import { OnDemandRoutes as R } from './on-demand.http.routes';
import { StartWorkflow } from './start-workflow.use-case';

@Controller('api/v1/workflows')
export class OnDemandHttpController {
  constructor(private readonly startWorkflow: StartWorkflow) {}

  @Post(':definition/start')
  @HttpCode(200)
  @RequireRoles(Roles.user)
  async start(
    @Param('definition') definition: string,
    @Body() raw: unknown,
    @Headers() rawHeaders: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    const body = R.start.parseBody(raw ?? {});
    const headers = R.start.parseHeaders(rawHeaders);
    const key = body.idempotencyKey || headers['idempotency-key'] || '';
    const operation = await this.startWorkflow.execute({
      definition,
      entity: body.entity ?? '',
      recordId: body.recordId ?? '',
      ...(body.inputs !== undefined ? { inputs: body.inputs } : {}),
      ...(key ? { idempotencyKey: key } : {}),
      userId: principal.subject,
      ...(headers['x-correlation-id'] ? { correlationId: headers['x-correlation-id'] } : {}),
    });
    return operationToProto(operation);
  }
}
