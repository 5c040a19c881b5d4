/**
 * The gateway's Execute, as dialogs use it: every record a session reads or changes goes
 * through the pipeline (so plug-ins and workflows see it), as a service acting for the person,
 * with an idempotency key for everything that changes data.
 */
import { Injectable } from '@nestjs/common';
import { Roles, signToken } from '@flowline/auth';
import { createGrpcClient, ProtoFiles, RpcCallError, type GatewayProto, type GrpcClientHandle } from '@flowline/rpc';
import { SERVICE } from '../config';

export interface ExecuteCall {
  message: string;
  entity: string;
  recordId?: string;
  target: Record<string, unknown>;
  parameters: Record<string, unknown>;
  idempotencyKey: string;
  depth: number;
  correlationId: string;
  /** The person the session acts for. */
  initiatingUserId: string;
}

export type ExecuteOutcome =
  | { ok: true; id: string; record: Record<string, unknown> | null; records: unknown[] | null; replayed: boolean }
  | { ok: false; transient: boolean; grpcCode: number; code: string; message: string };

/** What a session needs from the gateway: an injectable port, so the session runner is testable without I/O. */
export abstract class RecordGateway {
  abstract execute(call: ExecuteCall): Promise<ExecuteOutcome>;
}

/** gRPC status codes worth a second try by the person: the gateway or its database was briefly unavailable. */
const TRANSIENT = new Set([4, 8, 13, 14]); // DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (not loops: see code), INTERNAL, UNAVAILABLE

@Injectable()
export class GatewayClient extends RecordGateway {
  private handle: GrpcClientHandle<GatewayProto.ExecuteServiceClient> | undefined;
  private secret = '';

  configure(address: string, secret: string): void {
    this.secret = secret;
    this.handle = createGrpcClient(ProtoFiles.gateway, 'flowline.gateway.v1.ExecuteService', { address, defaultDeadlineMs: 15_000 });
  }

  async execute(call: ExecuteCall): Promise<ExecuteOutcome> {
    if (!this.handle) throw new Error('GatewayClient.configure was not called');
    const token = signToken(this.secret, { subject: SERVICE.name, roles: [Roles.service], expiresInSeconds: 300 });
    try {
      const response = await this.handle.client.execute(
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
        replayed: response.replayed,
      };
    } catch (error) {
      if (error instanceof RpcCallError) {
        const loop = error.code === 'LOOP_DETECTED';
        return {
          ok: false,
          transient: TRANSIENT.has(error.grpcCode) && !loop,
          grpcCode: error.grpcCode,
          code: error.code || `GRPC_${error.grpcCode}`,
          message: error.message.replace(/^\S+ failed: /, ''),
        };
      }
      return { ok: false, transient: true, grpcCode: 14, code: 'GATEWAY_UNREACHABLE', message: String(error) };
    }
  }

  close(): void {
    this.handle?.close();
  }
}
