/**
 * Which failures mean that a dependency (PostgreSQL, the registry, the gateway, Kafka) is
 * unavailable for now, as opposed to work that failed. Unavailability is waited out: a consumer
 * keeps the message and tries it again, never sends it to the dead letters for it; the executor
 * puts a run back. Every service classifies the same way, here.
 */

/** gRPC codes that say the other side is not there (or not answering) rather than refusing. */
const UNAVAILABLE_GRPC = new Set([4, 8, 14]); // DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE

/** PostgreSQL and socket errors of a database that is down, restarting or out of connections. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection (?:refused|lost)|the database system is|timeout exceeded when trying to connect|Client has encountered a connection error|Driver not Connected/i;

/** A dependency is unavailable: what was being done is put back and tried again later. */
export class DependencyUnavailable extends Error {
  constructor(
    readonly dependency: string,
    readonly code: string,
    readonly detail: string,
  ) {
    super(`the ${dependency} is unavailable (${code}): ${detail}`);
    this.name = 'DependencyUnavailable';
  }
}

export function isUnavailableGrpcCode(grpcCode: number): boolean {
  return UNAVAILABLE_GRPC.has(grpcCode);
}

export interface UnavailabilityOptions {
  /** Which dependency a gRPC failure is from (a service calls one gRPC dependency per call site); default `registry`. */
  grpcDependency?: string;
}

/** Classifies an error: unavailability of which dependency, or undefined when it is not one. */
export function unavailabilityOf(error: unknown, options: UnavailabilityOptions = {}): DependencyUnavailable | undefined {
  if (error instanceof DependencyUnavailable) return error;
  if (error === null || typeof error !== 'object') return undefined;
  const failure = error as {
    name?: unknown;
    code?: unknown;
    grpcCode?: unknown;
    details?: unknown;
    driverError?: unknown;
    cause?: unknown;
  };
  const message = error instanceof Error ? error.message : String(error);
  // RpcCallError (grpcCode) or a raw grpc-js ServiceError (numeric code with details).
  const grpcCode =
    typeof failure.grpcCode === 'number'
      ? failure.grpcCode
      : typeof failure.code === 'number' && 'details' in failure
        ? failure.code
        : undefined;
  if (grpcCode !== undefined) {
    if (!UNAVAILABLE_GRPC.has(grpcCode)) return undefined;
    const code = typeof failure.code === 'string' && failure.code ? failure.code : `GRPC_${grpcCode}`;
    return new DependencyUnavailable(options.grpcDependency ?? 'registry', code, message);
  }
  if ((typeof failure.code === 'string' && UNAVAILABLE_CODES.has(failure.code)) || UNAVAILABLE_MESSAGE.test(message)) {
    return new DependencyUnavailable('database', typeof failure.code === 'string' ? failure.code : 'DATABASE_UNAVAILABLE', message);
  }
  // TypeORM wraps the driver's error; Node wraps causes.
  for (const inner of [failure.driverError, failure.cause]) {
    if (inner && inner !== error) {
      const found = unavailabilityOf(inner, options);
      if (found) return found;
    }
  }
  return undefined;
}
