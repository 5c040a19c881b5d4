/** Record messages a workflow executes, through the gateway's Execute (depth + 1, idempotency key per step). */
import { Injectable } from '@nestjs/common';
import { Roles, signToken } from '@flowline/auth';
import { createGrpcClient, ProtoFiles, RpcCallError, type GatewayProto, type GrpcClientHandle } from '@flowline/rpc';

export interface ExecuteCall {
  message: string;
  entity: string;
  recordId?: string;
  target: Record<string, unknown>;
  parameters: Record<string, unknown>;
  idempotencyKey: string;
  depth: number;
  correlationId: string;
  initiatingUserId: string;
}

export type ExecuteOutcome =
  | { ok: true; id: string; record: Record<string, unknown> | null; records: unknown[] | null }
  | { ok: false; transient: boolean; code: string; message: string };

/** gRPC status codes worth retrying: the gateway or its database was briefly unavailable. */
const TRANSIENT = new Set([4, 8, 13, 14]); // DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (not loops: see code), INTERNAL, UNAVAILABLE

@Injectable()
export class GatewayClient {
  private handle: GrpcClientHandle<GatewayProto.ExecuteServiceClient> | undefined;
  private secret = '';

  configure(address: string, secret: string): void {
    this.secret = secret;
    this.handle = createGrpcClient(ProtoFiles.gateway, 'flowline.gateway.v1.ExecuteService', { address, defaultDeadlineMs: 30_000 });
  }

  async execute(call: ExecuteCall): Promise<ExecuteOutcome> {
    const token = signToken(this.secret, { subject: 'async-executor', roles: [Roles.service], expiresInSeconds: 300 });
    try {
      const response = await this.handle!.client.execute(
        {
          message: call.message,
          entity: call.entity,
          id: call.recordId ?? '',
          targetJson: JSON.stringify(call.target),
          parametersJson: JSON.stringify(call.parameters),
          expectedVersion: 0,
          idempotencyKey: call.idempotencyKey,
          depth: call.depth,
          correlationId: call.correlationId,
          columns: [],
        },
        { metadata: { authorization: `Bearer ${token}`, 'x-flowline-initiating-user': call.initiatingUserId } },
      );
      return {
        ok: true,
        id: response.id,
        record: response.recordJson ? (JSON.parse(response.recordJson) as Record<string, unknown>) : null,
        records: response.recordsJson ? (JSON.parse(response.recordsJson) as unknown[]) : null,
      };
    } catch (error) {
      if (error instanceof RpcCallError) {
        const loop = error.code === 'LOOP_DETECTED';
        return {
          ok: false,
          transient: TRANSIENT.has(error.grpcCode) && !loop,
          code: error.code || `GRPC_${error.grpcCode}`,
          message: error.message,
        };
      }
      return { ok: false, transient: true, code: 'GATEWAY_UNREACHABLE', message: String(error) };
    }
  }

  close(): void {
    this.handle?.close();
  }
}
