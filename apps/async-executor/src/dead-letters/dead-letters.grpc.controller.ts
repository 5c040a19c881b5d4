/** gRPC: flowline.executor.v1.DeadLetterService (operator to read, operator or admin to act), over the same service as REST. */
import { Ctx, GrpcMethod, Payload } from '@nestjs/microservices';
import { Roles, type Principal } from '@flowline/auth';
import type { ExecutorProto, Metadata } from '@flowline/rpc';
import { CurrentPrincipal, GrpcController, RequireRoles } from '@flowline/service-kit';
import { deadLetterToProto } from './dead-letters.mapper';
import { DeadLettersService } from './dead-letters.service';

const SERVICE = 'DeadLetterService';

@GrpcController()
export class DeadLettersGrpcController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @GrpcMethod(SERVICE, 'ListDeadLetters')
  @RequireRoles(Roles.operator)
  async listDeadLetters(@Payload() request: ExecutorProto.ListDeadLettersRequest): Promise<ExecutorProto.ListDeadLettersResponse> {
    const { page, ...filters } = request;
    const given = Object.fromEntries(Object.entries(filters).filter(([, value]) => typeof value === 'string' && value !== ''));
    const result = await this.deadLetters.list({
      ...given,
      ...(page?.pageSize ? { pageSize: page.pageSize } : {}),
      ...(page?.pageToken ? { pageToken: page.pageToken } : {}),
    });
    return { deadLetters: result.deadLetters.map(deadLetterToProto), page: result.page };
  }

  @GrpcMethod(SERVICE, 'GetDeadLetter')
  @RequireRoles(Roles.operator)
  async getDeadLetter(@Payload() request: ExecutorProto.DeadLetterRequest): Promise<ExecutorProto.DeadLetter> {
    return deadLetterToProto(await this.deadLetters.get(request.id));
  }

  @GrpcMethod(SERVICE, 'EditDeadLetter')
  @RequireRoles(Roles.operator, Roles.admin)
  async editDeadLetter(
    @Payload() request: ExecutorProto.EditDeadLetterRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExecutorProto.DeadLetter> {
    return deadLetterToProto(
      await this.deadLetters.edit(
        request.id,
        {
          ...(request.replaceValue ? { value: request.value } : {}),
          ...(request.replaceHeaders ? { headers: request.headers } : {}),
        },
        principal.subject,
      ),
    );
  }

  @GrpcMethod(SERVICE, 'ReplayDeadLetter')
  @RequireRoles(Roles.operator, Roles.admin)
  async replayDeadLetter(
    @Payload() request: ExecutorProto.ReplayDeadLetterRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExecutorProto.DeadLetter> {
    return deadLetterToProto(await this.deadLetters.replay(request.id, request.force, principal.subject));
  }

  @GrpcMethod(SERVICE, 'DiscardDeadLetter')
  @RequireRoles(Roles.operator, Roles.admin)
  async discardDeadLetter(
    @Payload() request: ExecutorProto.DeadLetterRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExecutorProto.DeadLetter> {
    return deadLetterToProto(await this.deadLetters.discard(request.id, principal.subject));
  }
}
