/** gRPC: flowline.executor.v1.AsyncOperationService/StartWorkflow, for people (role user; admin always). */
import { Ctx, GrpcMethod, Payload } from '@nestjs/microservices';
import { Roles, type Principal } from '@flowline/auth';
import { invalidArgument, type ExecutorProto, type Metadata } from '@flowline/rpc';
import { CurrentPrincipal, GrpcController, RequireRoles } from '@flowline/service-kit';
import { operationToProto } from '../operations/operation.mapper';
import { StartWorkflow } from './start-workflow.use-case';

@GrpcController()
export class OnDemandGrpcController {
  constructor(private readonly startWorkflow: StartWorkflow) {}

  @GrpcMethod('AsyncOperationService', 'StartWorkflow')
  @RequireRoles(Roles.user)
  async start(
    @Payload() request: ExecutorProto.StartWorkflowRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExecutorProto.AsyncOperation> {
    let inputs: unknown;
    if (request.inputsJson) {
      try {
        inputs = JSON.parse(request.inputsJson);
      } catch (error) {
        throw invalidArgument('START_INVALID', 'cannot start the workflow', [
          { field: 'inputs_json', description: `is not valid JSON: ${(error as Error).message}` },
        ]);
      }
    }
    return operationToProto(
      await this.startWorkflow.execute({
        definition: request.definition,
        entity: request.entity,
        recordId: request.recordId,
        ...(inputs !== undefined ? { inputs } : {}),
        ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
        userId: principal.subject,
      }),
    );
  }
}
