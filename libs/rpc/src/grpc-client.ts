/**
 * Typed, promise-based gRPC clients for calling Flowline services from other services and
 * tests: bearer token and deadline on every call, errors with their Flowline code and field
 * violations attached.
 */
import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS } from './proto-files';
import { readRpcFailure, type RpcFailure } from './rpc-error';

/** The promise form of a generated `XxxClient` interface (which returns Observables). */
export type PromiseClient<T> = {
  [K in keyof T]: T[K] extends (request: infer Req, ...rest: infer _Rest) => unknown
    ? (request: Req, options?: CallOptions) => Promise<ResponseOf<T[K]>>
    : never;
};
type ResponseOf<F> = F extends (...args: never[]) => { subscribe(observer: (value: infer R) => void): unknown } ? R : never;

export interface CallOptions {
  deadlineMs?: number;
  metadata?: Record<string, string>;
}

export interface GrpcClientOptions {
  address: string;
  /** Bearer token sent as `authorization: Bearer <token>`. */
  token?: string;
  defaultDeadlineMs?: number;
}

export class RpcCallError extends Error implements RpcFailure {
  readonly grpcCode: number;
  readonly code: string;
  readonly violations: RpcFailure['violations'];
  constructor(failure: RpcFailure, method: string) {
    super(`${method} failed: ${failure.message}`);
    this.name = 'RpcCallError';
    this.grpcCode = failure.grpcCode;
    this.code = failure.code;
    this.violations = failure.violations;
  }
}

type UnaryMethod = (
  request: unknown,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (error: ServiceError | null, response: unknown) => void,
) => unknown;

export interface GrpcClientHandle<T> {
  client: PromiseClient<T>;
  close(): void;
}

/**
 * @param protoFile path under libs/contracts/proto, e.g. `flowline/registry/v1/registry.proto`
 * @param serviceName fully qualified, e.g. `flowline.registry.v1.SubscriptionService`
 */
export function createGrpcClient<T>(protoFile: string, serviceName: string, options: GrpcClientOptions): GrpcClientHandle<T> {
  const definition = loadPackageDefinition(loadSync(protoFile, PROTO_LOADER_OPTIONS));
  const Constructor = serviceName.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], definition) as
    (new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client) | undefined;
  if (typeof Constructor !== 'function') throw new Error(`no gRPC service ${serviceName} in ${protoFile}`);
  const raw = new Constructor(options.address, credentials.createInsecure());
  const client = new Proxy({} as PromiseClient<T>, {
    get: (_target, property) => {
      if (typeof property !== 'string') return undefined;
      const method = (raw as unknown as Record<string, UnaryMethod | undefined>)[property];
      if (typeof method !== 'function') return undefined;
      return (request: unknown, callOptions: CallOptions = {}) =>
        new Promise((resolve, reject) => {
          const metadata = new Metadata();
          if (options.token) metadata.set('authorization', `Bearer ${options.token}`);
          for (const [key, value] of Object.entries(callOptions.metadata ?? {})) metadata.set(key, value);
          const deadline = new Date(Date.now() + (callOptions.deadlineMs ?? options.defaultDeadlineMs ?? 10_000));
          method.call(raw, request, metadata, { deadline }, (error, response) => {
            if (error) reject(new RpcCallError(readRpcFailure(error), `${serviceName}/${property}`));
            else resolve(response);
          });
        });
    },
  });
  return { client, close: () => raw.close() };
}
