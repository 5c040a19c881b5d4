/**
 * The gateway's Execute as other services call it (the executor's workflows, the session
 * service's dialogs): every record they read or change goes through the pipeline, as a service
 * acting for a person (the initiating user), with the caller's idempotency key and depth.
 * Failures come back classified: transient (worth retrying) or not.
 */
import { TokenError, TokenIssuerUnavailable, type ServiceCredential } from '@flowline/auth';
import { createGrpcClient, ProtoFiles, RpcCallError, type GatewayProto, type GrpcClientHandle } from '@flowline/rpc';

export interface ExecuteCall {
  message: string;
  entity: string;
  recordId?: string;
  target: Record<string, unknown>;
  /** Update: relative changes the gateway applies to the stored record (see the proto). */
  operations?: Record<string, { op: string; value: unknown }>;
  parameters: Record<string, unknown>;
  idempotencyKey: string;
  depth: number;
  correlationId: string;
  /** The person the call acts for. */
  initiatingUserId: string;
}

export type ExecuteOutcome =
  | { ok: true; id: string; record: Record<string, unknown> | null; records: unknown[] | null; replayed: boolean }
  | { ok: false; transient: boolean; grpcCode: number; code: string; message: string };

/** gRPC status codes worth retrying: the gateway or its database was briefly unavailable. */
const TRANSIENT = new Set([4, 8, 13, 14]); // DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (not loops: see below), INTERNAL, UNAVAILABLE

export class GatewayExecuteClient {
  private handle: GrpcClientHandle<GatewayProto.ExecuteServiceClient> | undefined;
  private credential: ServiceCredential | undefined;

  /** @param subject the calling service (its credential names it in the tokens it sends) */
  constructor(
    private readonly subject: string,
    private readonly deadlineMs = 30_000,
  ) {}

  configure(address: string, credential: ServiceCredential): void {
    this.credential = credential;
    this.handle = createGrpcClient(ProtoFiles.gateway, 'flowline.gateway.v1.ExecuteService', {
      address,
      defaultDeadlineMs: this.deadlineMs,
    });
  }

  async execute(call: ExecuteCall): Promise<ExecuteOutcome> {
    if (!this.handle || !this.credential) throw new Error('GatewayExecuteClient.configure was not called');
    try {
      const token = await this.credential.token();
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
          operationsJson: call.operations && Object.keys(call.operations).length > 0 ? JSON.stringify(call.operations) : '',
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
        // A loop the gateway refused (too deep) will be refused again: not transient.
        const loop = error.code === 'LOOP_DETECTED';
        return {
          ok: false,
          transient: TRANSIENT.has(error.grpcCode) && !loop,
          grpcCode: error.grpcCode,
          code: error.code || `GRPC_${error.grpcCode}`,
          message: error.message.replace(/^\S+ failed: /, ''),
        };
      }
      if (error instanceof TokenError || error instanceof TokenIssuerUnavailable)
        // Waited out: a credential fixed (or an issuer back) lets the run go on where it stopped.
        return {
          ok: false,
          transient: true,
          grpcCode: 16,
          code: 'SERVICE_CREDENTIAL_UNAVAILABLE',
          message: `${this.subject} has no token to call the gateway with: ${error.message}`,
        };
      return { ok: false, transient: true, grpcCode: 14, code: 'GATEWAY_UNREACHABLE', message: String(error) };
    }
  }

  close(): void {
    this.handle?.close();
  }
}
