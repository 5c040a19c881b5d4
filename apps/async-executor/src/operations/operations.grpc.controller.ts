/** gRPC: flowline.executor.v1.AsyncOperationService, for operators (operator or admin role). */
import { Ctx, GrpcMethod, Payload } from '@nestjs/microservices';
import { Roles, type Principal } from '@flowline/auth';
import { pageWindow, type ExecutorProto, type Metadata } from '@flowline/rpc';
import { CurrentPrincipal, GrpcController, RequireRoles } from '@flowline/service-kit';
import { OperationCommands } from './operation-commands.service';
import { operationToProto, outputsOf, stepsToProto } from './operation.mapper';

const SERVICE = 'AsyncOperationService';

@GrpcController()
export class OperationsGrpcController {
  constructor(private readonly commands: OperationCommands) {}

  @GrpcMethod(SERVICE, 'ListOperations')
  @RequireRoles(Roles.operator)
  async listOperations(@Payload() request: ExecutorProto.ListOperationsRequest): Promise<ExecutorProto.ListOperationsResponse> {
    const { rows, page } = await this.commands.list(pageWindow(request.page), {
      states: request.states,
      statuses: request.statuses,
      ...(request.definitionId ? { definitionId: request.definitionId } : {}),
      ...(request.name ? { name: request.name } : {}),
      ...(request.primaryEntity ? { primaryEntity: request.primaryEntity } : {}),
      ...(request.regardingId ? { regardingId: request.regardingId } : {}),
      ...(request.correlationId ? { correlationId: request.correlationId } : {}),
      ...(request.createdAfter ? { createdAfter: request.createdAfter } : {}),
      ...(request.createdBefore ? { createdBefore: request.createdBefore } : {}),
    });
    return { operations: rows.map(operationToProto), page };
  }

  @GrpcMethod(SERVICE, 'GetOperation')
  // The gateway reads a webhook run's outcome with its service token.
  @RequireRoles(Roles.operator, Roles.service)
  async getOperation(@Payload() request: ExecutorProto.OperationRequest): Promise<ExecutorProto.OperationDetail> {
    const { operation, steps } = await this.commands.get(request.id);
    return { operation: operationToProto(operation), steps: stepsToProto(steps), outputs: outputsOf(operation) };
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
