/**
 * The executor performs the interpreter's acting effects (those that wait for a result) through
 * one handler per effect type, registered in an exhaustive map: a new acting effect type without
 * a handler does not compile. A handler answers with the result to feed back, a transient
 * failure to retry, or that the run left this host; unavailability of a dependency is thrown
 * (DependencyUnavailable) and waited out by the worker.
 */
import type { Effect, EffectResultInput } from '@flowline/process-runtime';
import type { AsyncOperationRow } from '../../operations/async-operation.entity';

/** Effects that act and wait for their result (they carry an effectId). */
export type ActingEffect = Extract<Effect, { effectId: string }>;
export type ActingEffectType = ActingEffect['type'];

export type EffectOutcome =
  /** Feed this back to the interpreter. */
  | { kind: 'result'; input: EffectResultInput }
  /** A transient failure of the step itself: retried with backoff, counted against MAX_RETRIES. */
  | { kind: 'retry'; code: string; message: string }
  /** The run left this host here (a parent suspended until its child ends). */
  | { kind: 'stopped' };

export interface EffectContext {
  operation: AsyncOperationRow;
  /** This executor's host id: moves of the operation are made only while it holds the lease. */
  host: string;
}

export interface EffectHandler<T extends ActingEffectType> {
  perform(effect: Extract<ActingEffect, { type: T }>, context: EffectContext): Promise<EffectOutcome>;
}

export type EffectHandlerMap = { [T in ActingEffectType]: EffectHandler<T> };

export function isActing(effect: Effect): effect is ActingEffect {
  return 'effectId' in effect;
}

export const resultOf = (
  effectId: string,
  outcome: { ok: true; output: EffectResultInput['output'] } | { ok: false; code: string; message: string },
): EffectOutcome => ({
  kind: 'result',
  input: outcome.ok
    ? { type: 'effectResult', effectId, ok: true, ...(outcome.output ? { output: outcome.output } : {}), now: new Date().toISOString() }
    : { type: 'effectResult', effectId, ok: false, error: { code: outcome.code, message: outcome.message }, now: new Date().toISOString() },
});
