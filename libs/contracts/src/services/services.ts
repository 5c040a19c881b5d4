/**
 * The four Flowline services: their names, the PostgreSQL schema each owns and their default
 * ports. The launcher, the deployment manifests and the services read them from here.
 */
export interface ServiceDescriptor {
  readonly name: 'event-gateway' | 'process-registry' | 'async-executor' | 'session-service';
  readonly schema: 'gateway' | 'registry' | 'executor' | 'session';
  readonly httpPort: number;
  readonly grpcPort: number;
  /** Prefix of the launcher's per-service port variables, e.g. EVENT_GATEWAY_HTTP_PORT. */
  readonly envPrefix: string;
  /**
   * V8's old-space limit (`--max-old-space-size`, MB) the service runs with, in the launcher, the
   * Kubernetes manifests (NODE_OPTIONS), docker compose and the benches; unset: V8's default. On a
   * machine with much memory V8 otherwise lets the heap grow far past what the service keeps alive
   * before it collects (the executor draining a backlog: about 400 MB RSS without, 240 MB with 256).
   */
  readonly maxOldSpaceMb?: number;
}

export const Services = {
  eventGateway: { name: 'event-gateway', schema: 'gateway', httpPort: 8080, grpcPort: 50052, envPrefix: 'EVENT_GATEWAY' },
  processRegistry: { name: 'process-registry', schema: 'registry', httpPort: 8081, grpcPort: 50051, envPrefix: 'PROCESS_REGISTRY' },
  asyncExecutor: {
    name: 'async-executor',
    schema: 'executor',
    httpPort: 8082,
    grpcPort: 50053,
    envPrefix: 'ASYNC_EXECUTOR',
    maxOldSpaceMb: 256,
  },
  sessionService: { name: 'session-service', schema: 'session', httpPort: 8083, grpcPort: 50054, envPrefix: 'SESSION_SERVICE' },
} as const satisfies Record<string, ServiceDescriptor>;

/** The V8 flags a service runs with (its heap limit), for the launcher and the benches; NODE_OPTIONS elsewhere. */
export function nodeFlagsOf(descriptor: ServiceDescriptor): string[] {
  return descriptor.maxOldSpaceMb ? [`--max-old-space-size=${descriptor.maxOldSpaceMb}`] : [];
}

/** In start order: the registry first, since the others read metadata from it. */
export const ALL_SERVICES: readonly ServiceDescriptor[] = [
  Services.processRegistry,
  Services.eventGateway,
  Services.asyncExecutor,
  Services.sessionService,
];

export const DEV_INFRA_PORTS = { kafka: 9092, postgres: 5433 } as const;
