/** gRPC: flowline.executor.v1.AsyncOperationService, for operators (operator or admin role). */
import { Ctx, GrpcMethod, Payload } from '@nestjs/microservices';
import { Roles, type Principal } from '@flowline/auth';
import type { ExecutorProto, Metadata } from '@flowline/rpc';
import { CurrentPrincipal, GrpcController, RequireRoles } from '@flowline/service-kit';
import { OperationCommands } from './operation-commands.service';
import type { OperationFilter } from './operation-filter';
import { detailToProto, listToProto, operationToProto } from './operation.mapper';

const SERVICE = 'AsyncOperationService';

/** The filter of a ListOperations request (empty fields: no filter). */
function listFilterOf(request: ExecutorProto.ListOperationsRequest): OperationFilter {
  return {
    states: request.states,
    statuses: request.statuses,
    ...(request.definitionId ? { definitionId: request.definitionId } : {}),
    ...(request.name ? { name: request.name } : {}),
    ...(request.primaryEntity ? { primaryEntity: request.primaryEntity } : {}),
    ...(request.regardingId ? { regardingId: request.regardingId } : {}),
    ...(request.correlationId ? { correlationId: request.correlationId } : {}),
    ...(request.createdAfter ? { createdAfter: request.createdAfter } : {}),
    ...(request.createdBefore ? { createdBefore: request.createdBefore } : {}),
    ...(request.text ? { text: request.text } : {}),
  };
}

@GrpcController()
export class OperationsGrpcController {
  constructor(private readonly commands: OperationCommands) {}

  @GrpcMethod(SERVICE, 'ListOperations')
  @RequireRoles(Roles.operator)
  async listOperations(@Payload() request: ExecutorProto.ListOperationsRequest): Promise<ExecutorProto.ListOperationsResponse> {
    const list = await this.commands.list({
      filter: listFilterOf(request),
      sort: request.sort,
      pageSize: request.page?.pageSize,
      pageToken: request.page?.pageToken,
    });
    return listToProto(list);
  }

  @GrpcMethod(SERVICE, 'GetOperation')
  // The gateway reads a webhook run's outcome with its service token.
  @RequireRoles(Roles.operator, Roles.service)
  async getOperation(@Payload() request: ExecutorProto.OperationRequest): Promise<ExecutorProto.OperationDetail> {
    return detailToProto(await this.commands.get(request.id));
  }

  @GrpcMethod(SERVICE, 'CancelOperation')
  @RequireRoles(Roles.operator)
  async cancelOperation(
    @Payload() request: ExecutorProto.OperationRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExecutorProto.AsyncOperation> {
    return operationToProto((await this.commands.cancel(request.id, principal.subject)).operation);
  }

  @GrpcMethod(SERVICE, 'PauseOperation')
  @RequireRoles(Roles.operator)
  async pauseOperation(
    @Payload() request: ExecutorProto.OperationRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExecutorProto.AsyncOperation> {
    return operationToProto(await this.commands.pause(request.id, principal.subject));
  }

  @GrpcMethod(SERVICE, 'ResumeOperation')
  @RequireRoles(Roles.operator)
  async resumeOperation(
    @Payload() request: ExecutorProto.OperationRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExecutorProto.AsyncOperation> {
    return operationToProto(await this.commands.resume(request.id, principal.subject));
  }

  @GrpcMethod(SERVICE, 'PostponeOperation')
  @RequireRoles(Roles.operator)
  async postponeOperation(
    @Payload() request: ExecutorProto.PostponeOperationRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExecutorProto.AsyncOperation> {
    return operationToProto(await this.commands.postpone(request.id, request.until, principal.subject));
  }

  @GrpcMethod(SERVICE, 'RetryOperation')
  @RequireRoles(Roles.operator)
  async retryOperation(
    @Payload() request: ExecutorProto.OperationRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExecutorProto.AsyncOperation> {
    return operationToProto(await this.commands.retry(request.id, principal.subject));
  }

  @GrpcMethod(SERVICE, 'DeleteCompletedOperations')
  @RequireRoles(Roles.admin)
  async deleteCompletedOperations(
    @Payload() request: ExecutorProto.DeleteCompletedOperationsRequest,
  ): Promise<ExecutorProto.DeleteCompletedOperationsResponse> {
    const result = await this.commands.deleteCompleted(request.completedBefore || undefined);
    return { deleted: result.deleted, completedBefore: result.completedBefore.toISOString() };
  }
}
