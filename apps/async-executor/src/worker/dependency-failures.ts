/**
 * Which failures mean that a dependency (the gateway, the registry, the executor's own
 * PostgreSQL) is unavailable for now, as opposed to a step that failed. Unavailability is waited
 * out with back-off up to the dependency patience and never counts as a failure of the
 * definition; the messages say what failed, the attempt, and when the run tries again.
 */
import { RpcCallError } from '@flowline/rpc';

export type Dependency = 'gateway' | 'registry' | 'database';

/** gRPC codes that say the other side is not there (or not answering) rather than refusing. */
const UNAVAILABLE_GRPC = new Set([4, 8, 14]); // DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE

/** PostgreSQL and socket errors of a database that is down or restarting. */
const UNAVAILABLE_PG = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/** A dependency answered that it is unavailable: the run is put back and tried again later. */
export class DependencyUnavailable extends Error {
  constructor(
    readonly dependency: Dependency,
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

/** Classifies an error thrown while running: unavailability of which dependency, or undefined. */
export function unavailabilityOf(error: unknown): DependencyUnavailable | undefined {
  if (error instanceof DependencyUnavailable) return error;
  if (error instanceof RpcCallError && UNAVAILABLE_GRPC.has(error.grpcCode)) {
    // Calls the executor makes by RpcCallError (not through the gateway client) go to the registry.
    return new DependencyUnavailable('registry', error.code || `GRPC_${error.grpcCode}`, error.message);
  }
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (
    (typeof code === 'string' && UNAVAILABLE_PG.has(code)) ||
    /Connection terminated|connection (?:refused|lost)|the database system is/i.test(message)
  ) {
    return new DependencyUnavailable('database', typeof code === 'string' ? code : 'DATABASE_UNAVAILABLE', message);
  }
  return undefined;
}

/** `in 4 s (at 19:52:10Z)`, for log lines and operation errors an operator reads. */
export function describeNextAttempt(at: Date, now: Date = new Date()): string {
  const seconds = Math.max(0, Math.round((at.getTime() - now.getTime()) / 100) / 10);
  return `in ${seconds} s (at ${at.toISOString()})`;
}
