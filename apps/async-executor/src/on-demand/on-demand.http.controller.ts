/**
 * REST for on-demand workflows (role user; admin always):
 * - `POST /api/v1/workflows/{idOrUniqueName}/start` with `{"entity": "account", "recordId": "<id>",
 *   "inputs": {...}, "idempotencyKey": "..."}` (the key may also come as an `Idempotency-Key`
 *   header): 200 with the operation, the same one for a repeat with the same key.
 */
import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { Roles, type Principal } from '@flowline/auth';
import { CurrentPrincipal, RequireRoles } from '@flowline/service-kit';
import { operationToProto } from '../operations/operation.mapper';
import { StartWorkflow } from './start-workflow.use-case';

interface StartBody {
  entity?: unknown;
  recordId?: unknown;
  inputs?: unknown;
  idempotencyKey?: unknown;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

@Controller('api/v1/workflows')
export class OnDemandHttpController {
  constructor(private readonly startWorkflow: StartWorkflow) {}

  @Post(':definition/start')
  @HttpCode(200)
  @RequireRoles(Roles.user)
  async start(
    @Param('definition') definition: string,
    @Body() body: StartBody | undefined,
    @Headers('idempotency-key') headerKey: string | undefined,
    @Headers('x-correlation-id') correlationId: string | undefined,
    @CurrentPrincipal() principal: Principal,
  ) {
    const key = text(body?.idempotencyKey) || headerKey || '';
    const operation = await this.startWorkflow.execute({
      definition,
      entity: text(body?.entity),
      recordId: text(body?.recordId),
      ...(body?.inputs !== undefined ? { inputs: body.inputs } : {}),
      ...(key ? { idempotencyKey: key } : {}),
      userId: principal.subject,
      ...(correlationId ? { correlationId } : {}),
    });
    return operationToProto(operation);
  }
}
