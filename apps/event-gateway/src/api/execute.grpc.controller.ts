/** gRPC: flowline.gateway.v1.ExecuteService. */
import { Ctx, GrpcMethod, Payload } from '@nestjs/microservices';
import type { Principal } from '@flowline/auth';
import { CORRELATION_ID_HEADER, GatewayProto, type Metadata } from '@flowline/rpc';
import { CurrentPrincipal, GrpcController } from '@flowline/service-kit';
import { PipelineService } from '../pipeline/pipeline.service';
import { INITIATING_USER_HEADER, parseJsonObject, toExecuteInput } from './execute-input';

const header = (metadata: Metadata, name: string): string | undefined => {
  const value = metadata.get(name)[0];
  return typeof value === 'string' ? value : undefined;
};

@GrpcController()
export class ExecuteGrpcController {
  constructor(private readonly pipeline: PipelineService) {}

  @GrpcMethod('ExecuteService', 'Execute')
  async execute(
    @Payload() request: GatewayProto.ExecuteRequest,
    @Ctx() metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<GatewayProto.ExecuteResponse> {
    const input = toExecuteInput(
      {
        message: request.message,
        entity: request.entity,
        id: request.id,
        target: parseJsonObject(request.targetJson, 'targetJson'),
        operations: parseJsonObject(request.operationsJson, 'operationsJson'),
        parameters: parseJsonObject(request.parametersJson, 'parametersJson'),
        expectedVersion: request.expectedVersion,
        idempotencyKey: request.idempotencyKey,
        depth: request.depth,
        correlationId: request.correlationId || header(metadata, CORRELATION_ID_HEADER) || '',
        columns: request.columns,
      },
      principal,
      header(metadata, INITIATING_USER_HEADER),
    );
    const result = await this.pipeline.execute(input);
    return {
      id: result.id,
      version: result.version,
      recordJson: result.record ? JSON.stringify(result.record) : '',
      recordsJson: result.records ? JSON.stringify(result.records) : '',
      outputJson: JSON.stringify(result.output),
      eventId: result.eventId ?? '',
      totalCount: result.totalCount ?? 0,
      nextPageToken: result.nextPageToken ?? '',
      replayed: result.replayed,
    };
  }
}
