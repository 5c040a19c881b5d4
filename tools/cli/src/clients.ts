/**
 * The CLI's connections: the generated gRPC clients of libs/rpc where a service has a gRPC
 * API, plain HTTP for health, metrics and OpenAPI. Every failure becomes a CliError.
 */
import { createGrpcClient, ExecutorProto, GatewayProto, ProtoFiles, RegistryProto, SessionProto, type GrpcClientHandle, type PromiseClient } from '@flowline/rpc';
import { SERVICE_NAMES, type CliConfig, type ServiceKey } from './config';
import { CliError, ExitCode, fromCallError, tokenHint } from './errors';

type Clients = {
  definitions: PromiseClient<RegistryProto.ProcessDefinitionServiceClient>;
  operations: PromiseClient<ExecutorProto.AsyncOperationServiceClient>;
  deadLetters: PromiseClient<ExecutorProto.DeadLetterServiceClient>;
  schedules: PromiseClient<ExecutorProto.ScheduleServiceClient>;
  sessions: PromiseClient<SessionProto.SessionServiceClient>;
  execute: PromiseClient<GatewayProto.ExecuteServiceClient>;
};

const CLIENTS: { [K in keyof Clients]: { service: ServiceKey; proto: string; name: string } } = {
  definitions: { service: 'registry', proto: ProtoFiles.registry, name: 'flowline.registry.v1.ProcessDefinitionService' },
  operations: { service: 'executor', proto: ProtoFiles.executor, name: 'flowline.executor.v1.AsyncOperationService' },
  deadLetters: { service: 'executor', proto: ProtoFiles.executor, name: 'flowline.executor.v1.DeadLetterService' },
  schedules: { service: 'executor', proto: ProtoFiles.executor, name: 'flowline.executor.v1.ScheduleService' },
  sessions: { service: 'sessions', proto: ProtoFiles.session, name: 'flowline.session.v1.SessionService' },
  execute: { service: 'gateway', proto: ProtoFiles.gateway, name: 'flowline.gateway.v1.ExecuteService' },
};

export class Connections {
  private readonly handles: Array<GrpcClientHandle<unknown>> = [];

  constructor(readonly config: CliConfig) {}

  /** A client whose every call's failure is a CliError naming the service. */
  grpc<K extends keyof Clients>(kind: K): Clients[K] {
    const spec = CLIENTS[kind];
    const endpoint = this.config.services[spec.service];
    if (!this.config.token) throw new CliError(`no token to call ${SERVICE_NAMES[spec.service]} with.\n${tokenHint(true)}`, ExitCode.unauthorized, 'UNAUTHENTICATED');
    const handle = createGrpcClient<Clients[K]>(spec.proto, spec.name, {
      address: endpoint.grpc,
      token: this.config.token,
      defaultDeadlineMs: this.config.timeoutMs,
    });
    this.handles.push(handle as GrpcClientHandle<unknown>);
    const raw = handle.client as unknown as Record<string, (request: unknown) => Promise<unknown>>;
    return new Proxy({} as Clients[K], {
      get: (_target, method) => {
        if (typeof method !== 'string') return undefined;
        return async (request: unknown) => {
          try {
            return await raw[method]!(request);
          } catch (error) {
            throw fromCallError(error, SERVICE_NAMES[spec.service], endpoint.grpc);
          }
        };
      },
    });
  }

  /** GET on a service's HTTP port; answers the status and the body (JSON when it is). */
  async http(service: ServiceKey, pathname: string): Promise<{ status: number; body: unknown; text: string }> {
    const url = `${this.config.services[service].url}${pathname}`;
    try {
      const response = await fetch(url, {
        headers: this.config.token ? { authorization: `Bearer ${this.config.token}` } : {},
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      const text = await response.text();
      let body: unknown = text;
      if ((response.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text) as unknown;
      return { status: response.status, body, text };
    } catch (error) {
      if ((error as Error).name === 'TimeoutError')
        throw new CliError(`${SERVICE_NAMES[service]} did not answer ${url} within ${this.config.timeoutMs} ms (--timeout)`, ExitCode.unreachable, 'UNREACHABLE');
      throw fromCallError(error, SERVICE_NAMES[service], this.config.services[service].url);
    }
  }

  close(): void {
    for (const handle of this.handles) handle.close();
  }
}
