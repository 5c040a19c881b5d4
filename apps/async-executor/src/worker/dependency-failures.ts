/**
 * Which failures mean that a dependency (the gateway, the registry, the executor's own
 * PostgreSQL) is unavailable for now, as opposed to a step that failed. Unavailability is waited
 * out with back-off up to the dependency patience and never counts as a failure of the
 * definition; the messages say what failed, the attempt, and when the run tries again. The
 * classification is every service's (libs/service-kit); the executor's gRPC calls outside the
 * gateway client go to the registry.
 */
export { DependencyUnavailable, isUnavailableGrpcCode, unavailabilityOf } from '@flowline/service-kit';

export type Dependency = 'gateway' | 'registry' | 'database';

/** `in 4 s (at 19:52:10Z)`, for log lines and operation errors an operator reads. */
export function describeNextAttempt(at: Date, now: Date = new Date()): string {
  const seconds = Math.max(0, Math.round((at.getTime() - now.getTime()) / 100) / 10);
  return `in ${seconds} s (at ${at.toISOString()})`;
}
