/**
 * Exit codes scripts can rely on, and the one error type commands throw: a message that says
 * what to do next, and the code the process ends with.
 */
import { RpcCallError } from '@flowline/rpc';

export const ExitCode = {
  ok: 0,
  /** The service refused the request, or the work failed (invalid definitions, a refused action). */
  failed: 1,
  /** The command line was wrong: an unknown command or option, a missing argument, a bad value. */
  usage: 2,
  /** A service (or Kafka) could not be reached. */
  unreachable: 3,
  /** No token, or a token without the role the call needs. */
  unauthorized: 4,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.failed,
    /** The error code of the service's refusal, when there is one. */
    readonly code?: string,
    readonly violations: ReadonlyArray<{ field: string; description: string }> = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, ExitCode.usage, 'USAGE');

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Turns what a call threw into a CliError naming the service and what to try. */
export function fromCallError(error: unknown, service: string, where: string): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof RpcCallError) {
    // grpc status: 14 UNAVAILABLE, 4 DEADLINE_EXCEEDED, 16 UNAUTHENTICATED, 7 PERMISSION_DENIED
    if (error.grpcCode === 14 || error.grpcCode === 4)
      return new CliError(unreachableMessage(service, where), ExitCode.unreachable, 'UNREACHABLE');
    const message = error.message.replace(/^[\w./]+ failed: /, '');
    if (error.grpcCode === 16 || error.grpcCode === 7)
      return new CliError(`${service}: ${message}\n${tokenHint(error.grpcCode === 16)}`, ExitCode.unauthorized, error.code, error.violations);
    return new CliError(`${service}: ${message}`, ExitCode.failed, error.code, error.violations);
  }
  const cause = (error as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code;
  if ((code && UNREACHABLE_CODES.has(code)) || (error instanceof TypeError && error.message === 'fetch failed'))
    return new CliError(unreachableMessage(service, where), ExitCode.unreachable, 'UNREACHABLE');
  return new CliError(`${service}: ${(error as Error).message ?? String(error)}`, ExitCode.failed);
}

export function unreachableMessage(service: string, where: string): string {
  const key = ({ 'process-registry': 'REGISTRY', 'event-gateway': 'GATEWAY', 'async-executor': 'EXECUTOR', 'session-service': 'SESSIONS' } as Record<string, string>)[service] ?? service.toUpperCase();
  const variable = `FLOWLINE_${key}_${where.startsWith('http') ? 'URL' : 'GRPC'}`;
  return `${service} cannot be reached at ${where}: is Flowline running (npm start)? Point the CLI at it with ${variable} or the matching flag (flowline --help).`;
}

export function tokenHint(missing: boolean): string {
  return missing
    ? 'Give a valid token with --token, FLOWLINE_TOKEN or the config file (npm start saves an admin token in .data/admin-token; flowline token --role admin mints one).'
    : 'Use a token with a role that may do this (flowline token --role admin, or ask an administrator).';
}
