/** The workers' settings and the identity this process claims and holds leases with. */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

export const WORKER_OPTIONS = Symbol('WORKER_OPTIONS');
/** This process's lease owner (`host` of the operations it holds): host name, pid and a random suffix. */
export const WORKER_HOST = Symbol('WORKER_HOST');

export function workerHost(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export interface WorkerOptions {
  databaseUrl: string;
  /** Operations this process runs at once (0: dispatch only). */
  concurrency: number;
  /**
   * Operations claimed ahead of free slots, waiting in a local queue (0: claim only for free slots);
   * 'paced' (WORKER_PREFETCH unset): as many as this process finished lately (worker.service.ts).
   */
  prefetch: number | 'paced';
  /** Operations of one definition Locked at once across all executors (0: no limit). */
  definitionConcurrency: number;
  leaseMs: number;
  pollMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Failures in a row after which a definition's operations are held back. */
  throttleAfterFailures: number;
  throttleBaseMs: number;
  throttleMaxMs: number;
  /** How long in-flight steps may take to finish on SIGTERM before their leases are released anyway. */
  shutdownGraceMs: number;
  /** How long a run waits out an unavailable dependency before it fails (never counted for the throttle). */
  dependencyPatienceMs: number;
  /** The longest pause between two attempts while a dependency is unavailable. */
  dependencyRetryMaxMs: number;
  /** Loop protection: runs of one workflow on one record allowed within the window. */
  loopMaxRuns: number;
  loopWindowMs: number;
}
