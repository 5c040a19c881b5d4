/** gRPC: StartBulkAction and GetBulkAction of flowline.executor.v1.AsyncOperationService, over the same service as REST. */
import { Ctx, GrpcMethod, Payload } from '@nestjs/microservices';
import { Roles, type Principal } from '@flowline/auth';
import { correlationIdOf, type ExecutorProto, type Metadata } from '@flowline/rpc';
import { CurrentPrincipal, GrpcController, RequireRoles } from '@flowline/service-kit';
import { BulkActionsService } from './bulk-actions.service';

const SERVICE = 'AsyncOperationService';

type BulkView = Awaited<ReturnType<BulkActionsService['get']>>;

function bulkToProto(view: BulkView): ExecutorProto.BulkAction {
  return {
    operation: view.operation,
    action: view.action,
    filterJson: JSON.stringify(view.filter),
    until: view.until ?? '',
    requestedBy: view.requestedBy,
    ...view.progress,
    refusals: view.refusals.map((refusal) => ({ ...refusal, message: refusal.message ?? '' })),
  };
}

@GrpcController()
export class BulkActionsGrpcController {
  constructor(private readonly bulk: BulkActionsService) {}

  @GrpcMethod(SERVICE, 'StartBulkAction')
  @RequireRoles(Roles.operator, Roles.admin)
  async startBulkAction(
    @Payload() request: ExecutorProto.StartBulkActionRequest,
    @Ctx() metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExecutorProto.StartBulkActionResponse> {
    const f = request.filter;
    // The ListOperations filter under the public names the list filter parsing reads.
    const filter = Object.fromEntries(
      Object.entries({
        state: f?.states ?? [],
        status: f?.statuses ?? [],
        definitionId: f?.definitionId,
        name: f?.name,
        entity: f?.primaryEntity,
        recordId: f?.regardingId,
        correlationId: f?.correlationId,
        createdAfter: f?.createdAfter,
        createdBefore: f?.createdBefore,
        text: f?.text,
      }).filter(([, value]) => (Array.isArray(value) ? value.length > 0 : Boolean(value))),
    );
    const result = await this.bulk.request(
      { action: request.action, filter, dryRun: request.dryRun, ...(request.until ? { until: request.until } : {}) },
      principal.subject,
      correlationIdOf(metadata),
    );
    if ('dryRun' in result)
      return {
        dryRun: true,
        matching: result.matching,
        byState: Object.fromEntries(Object.entries(result.byState).map(([state, count]) => [Number(state), count])),
      };
    return { dryRun: false, matching: result.progress.total, byState: {}, bulkAction: bulkToProto(result) };
  }

  @GrpcMethod(SERVICE, 'GetBulkAction')
  @RequireRoles(Roles.operator)
  async getBulkAction(@Payload() request: ExecutorProto.OperationRequest): Promise<ExecutorProto.BulkAction> {
    return bulkToProto(await this.bulk.get(request.id));
  }
}
