/**
 * How runs end and stop, decided without SQL (the statements are OperationRepository's, the moves
 * OperationStore's): an end (Completed as the interpreter says, unless an operator's cancel or
 * pause that the API accepted came first; a run that succeeded goes to RunCompleter's group
 * commit), a suspension at a wait, a pause or a release on shutdown at a step boundary, a retry
 * with exponential backoff, waiting out an unavailable dependency (back to Ready with back-off up
 * to the patience, never counted as a failure), and the failure throttle of a definition.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AsyncOperationStatus as Status } from '@flowline/contracts';
import type { Effect } from '@flowline/process-runtime';
import { OperationRepository } from '../operations/operation-repository';
import { OperationStore, type ColumnValue } from '../operations/operation-store';
import { IllegalTransition, type OperationAction } from '../operations/operation-transitions';
import { backoffDelay, throttleDelay } from './backoff';
import { describeNextAttempt, type DependencyUnavailable } from './dependency-failures';
import { ExecutorMetrics } from './executor-metrics';
import { RunCompleter } from './run-completer';
import { FAR_FUTURE, stageOf, type FinalSave, type RunHandle } from './run-handle';
import { WORKER_HOST, WORKER_OPTIONS, type WorkerOptions } from './worker-options';

@Injectable()
export class RunEnds {
  private readonly logger = new Logger('Worker');

  constructor(
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
    @Inject(WORKER_HOST) private readonly host: string,
    private readonly repository: OperationRepository,
    private readonly store: OperationStore,
    /** Succeeded runs' ends, saved together (group commit). */
    private readonly completer: RunCompleter,
    private readonly metrics: ExecutorMetrics,
  ) {}

  /** Moves an operation this host holds; a move refused because another host has it is logged and dropped. */
  private async moveOwned(
    handle: RunHandle,
    action: OperationAction,
    columns: Record<string, ColumnValue>,
    extra?: (manager: EntityManager) => Promise<void>,
  ): Promise<boolean> {
    return this.repository.transaction(async (manager) => {
      const owned = { host: null, lease_expires_at: null, ...columns };
      let result;
      try {
        result = await this.store.move(manager, handle.operation.id, action, owned, { host: this.host });
      } catch (error) {
        // An operator paused or canceled the run while its step was in flight: honour that instead.
        if (!(error instanceof IllegalTransition)) throw error;
        if (error.current.status === Status.Pausing) {
          result = await this.store.move(
            manager,
            handle.operation.id,
            'paused',
            { ...owned, postpone_until: FAR_FUTURE },
            { host: this.host },
          );
        } else if (error.current.status === Status.Canceling) {
          const canceled = {
            ...owned,
            completed_on: { sql: 'now()' },
            error_code: 'CANCELED',
            friendly_message: 'canceled by an operator',
          };
          result = await this.store.move(manager, handle.operation.id, 'canceled', canceled, { host: this.host });
          if (result.moved) this.metrics.completions.inc({ outcome: 'canceled' });
        } else throw error;
        return result.moved;
      }
      if (!result.moved) {
        this.logger.warn(
          { operationId: handle.operation.id, action },
          `could not ${action}: ${result.reason === 'lost' ? 'another host holds it' : 'it is gone'}`,
        );
        return false;
      }
      await extra?.(manager);
      return true;
    });
  }

  async suspend(handle: RunHandle, effect: Extract<Effect, { type: 'wait' }>, action: 'suspend' | 'paused'): Promise<void> {
    await this.moveOwned(handle, action, { postpone_until: effect.timer ? new Date(effect.timer) : FAR_FUTURE }, (manager) =>
      this.repository.replaceWaitSubscriptions(manager, handle.operation.id, effect.subscriptions),
    );
    this.logger.log(
      { operationId: handle.operation.id, timer: effect.timer ?? null, subscriptions: effect.subscriptions.length },
      'waiting',
    );
  }

  /** Pause (Suspended until resumed) or release on shutdown (Ready for another host), at a step boundary. */
  async park(handle: RunHandle, action: 'paused' | 'release'): Promise<void> {
    const moved = await this.moveOwned(handle, action, { postpone_until: action === 'paused' ? FAR_FUTURE : { sql: 'now()' } });
    if (moved)
      this.logger.log({ operationId: handle.operation.id }, action === 'paused' ? 'paused by an operator' : 'released for another host');
  }

  async retry(handle: RunHandle, code: string, message: string): Promise<void> {
    const operation = handle.operation;
    this.metrics.retries.inc({ code });
    if (operation.retryCount + 1 >= this.options.maxRetries) {
      await this.finish(handle, 'fail', code, `gave up after ${operation.retryCount + 1} attempts: ${message}`);
      return;
    }
    const delay = backoffDelay(operation.retryCount, this.options.retryBaseMs, this.options.retryMaxMs);
    const at = new Date(Date.now() + delay);
    const attempt = operation.retryCount + 1;
    const moved = await this.moveOwned(handle, 'retry', {
      retry_count: attempt,
      postpone_until: at,
      next_attempt_at: at,
      error_code: code,
      friendly_message: message,
      last_error: `${code}: ${message}`,
    });
    if (moved)
      this.logger.warn(
        { operationId: operation.id, code, attempt, maxAttempts: this.options.maxRetries, delayMs: delay, nextAttemptAt: at.toISOString() },
        `${operation.name}: attempt ${attempt} of ${this.options.maxRetries} failed (${code}: ${message}); next attempt ${describeNextAttempt(at)}`,
      );
  }

  /**
   * A dependency is unavailable: the run goes back to Ready and is tried again with back-off (at
   * most dependencyRetryMaxMs apart) for as long as the patience allows, without using up its
   * retries; past the patience it fails, and that failure does not count for the throttle.
   */
  async waitOut(handle: RunHandle, unavailable: DependencyUnavailable): Promise<void> {
    const operation = handle.operation;
    const since = operation.unavailableSince ? new Date(operation.unavailableSince) : new Date();
    const waited = Date.now() - since.getTime();
    const attempt = operation.unavailableAttempts + 1;
    this.metrics.dependencyWaits.inc({ dependency: unavailable.dependency });
    if (waited >= this.options.dependencyPatienceMs) {
      await this.finish(
        handle,
        'fail',
        'DEPENDENCY_UNAVAILABLE',
        `the ${unavailable.dependency} was unavailable for ${Math.round(waited / 1000)} s, longer than the patience of ${Math.round(this.options.dependencyPatienceMs / 1000)} s (EXECUTOR_DEPENDENCY_PATIENCE_MS): ${unavailable.message}; retry the operation once it is back`,
        undefined,
        { countForThrottle: false },
      );
      return;
    }
    const delay = Math.min(
      backoffDelay(operation.unavailableAttempts, this.options.retryBaseMs, this.options.dependencyRetryMaxMs),
      Math.max(0, this.options.dependencyPatienceMs - waited) + 10,
    );
    const at = new Date(Date.now() + delay);
    const moved = await this.moveOwned(handle, 'retry', {
      postpone_until: at,
      next_attempt_at: at,
      unavailable_since: since,
      unavailable_attempts: attempt,
      error_code: 'DEPENDENCY_UNAVAILABLE',
      friendly_message: `waiting for the ${unavailable.dependency}: ${unavailable.message}`,
      last_error: `${unavailable.code}: ${unavailable.message}`,
    });
    if (moved)
      this.logger.warn(
        {
          operationId: operation.id,
          dependency: unavailable.dependency,
          code: unavailable.code,
          attempt,
          unavailableForMs: waited,
          patienceMs: this.options.dependencyPatienceMs,
          nextAttemptAt: at.toISOString(),
        },
        `${operation.name}: ${unavailable.message}; waiting it out (attempt ${attempt}, unavailable for ${Math.round(waited / 1000)} s of a patience of ${Math.round(this.options.dependencyPatienceMs / 1000)} s), next attempt ${describeNextAttempt(at)}`,
      );
  }

  async finish(
    handle: RunHandle,
    how: 'succeed' | 'fail' | 'cancel' | 'canceled',
    code: string | null,
    message: string,
    last?: FinalSave,
    options: { countForThrottle?: boolean } = {},
  ): Promise<void> {
    const operation = handle.operation;
    if (last && handle.lost) {
      this.logger.warn({ operationId: operation.id }, 'another host holds this operation now: stopping without acting');
      return;
    }
    // The common end, a run that succeeded, is saved with the others ending now (one transaction);
    // an end the batch does not take (an operator's cancel or pause came first, another host has
    // it) goes the one-run way below, which decides between them.
    if (how === 'succeed' && last && options.countForThrottle !== false) {
      handle.loop.ending(operation.id);
      const taken = await this.completer
        .succeed({
          operationId: operation.id,
          parentOperationId: operation.parentOperationId,
          definitionId: operation.definitionId,
          state: last.state,
          log: last.log,
          stepStarted: last.stepStarted,
          executionTimeMs: operation.executionTimeMs + last.elapsedMs,
          message,
        })
        .finally(() => handle.loop.ended(operation.id));
      if (taken) {
        this.metrics.completions.inc({ outcome: 'succeeded' });
        this.logger.log(
          { operationId: operation.id, correlationId: operation.correlationId, outcome: 'succeeded', code },
          `operation ${operation.name} succeeded${message ? `: ${message}` : ''}`,
        );
        return;
      }
    }
    let outcome: 'succeeded' | 'failed' | 'canceled' | 'paused' = how === 'succeed' ? 'succeeded' : how === 'fail' ? 'failed' : 'canceled';
    const moved = await this.repository.transaction(async (manager) => {
      const status = last
        ? await this.repository.saveState(manager, operation.id, this.host, this.options.leaseMs, {
            state: last.state,
            log: last.log,
            stepStarted: last.stepStarted,
            executionTimeMs: operation.executionTimeMs + last.elapsedMs,
            stage: stageOf(last.state),
          })
        : await this.repository.heldStatus(manager, operation.id, this.host);
      if (status === undefined) return false;
      // An operator's cancel or pause that the API accepted wins over the run's own end (which
      // reached this boundary meanwhile): the cancel ends it Canceled; the pause parks the ended
      // run, and resuming it finishes it as it ended.
      if (status === Status.Canceling && how !== 'canceled') {
        const result = await this.store.move(
          manager,
          operation.id,
          'canceled',
          {
            error_code: 'CANCELED',
            friendly_message: 'canceled by an operator',
            completed_on: { sql: 'now()' },
            host: null,
            lease_expires_at: null,
          },
          { host: this.host },
        );
        if (!result.moved) return false;
        outcome = 'canceled';
        code = 'CANCELED';
        message = `canceled by an operator (the run had reached its end${how === 'fail' ? ' failing' : ''} meanwhile)`;
        return true;
      }
      if (status === Status.Pausing && last) {
        const result = await this.store.move(
          manager,
          operation.id,
          'paused',
          { postpone_until: FAR_FUTURE, host: null, lease_expires_at: null },
          { host: this.host },
        );
        outcome = 'paused';
        return result.moved;
      }
      if (how === 'cancel') {
        // A workflow that stopped itself as canceled ends Canceled; an operator's cancel took it through Canceling.
        const cancel = await this.store.move(manager, operation.id, 'cancel', {}, { host: this.host });
        if (!cancel.moved) return false;
      }
      const action: OperationAction = how === 'cancel' ? 'canceled' : how;
      const result = await this.store.move(
        manager,
        operation.id,
        action,
        { error_code: code, friendly_message: message || null, completed_on: { sql: 'now()' }, host: null, lease_expires_at: null },
        { host: this.host },
      );
      if (!result.moved) return false;
      if (operation.definitionId && options.countForThrottle !== false)
        await this.recordOutcome(manager, operation.definitionId, how === 'fail', operation.name);
      return true;
    });
    if (!moved) {
      this.logger.warn({ operationId: operation.id }, 'could not finish: another host holds it');
      return;
    }
    // (set inside the transaction's callback, which the compiler does not follow)
    if ((outcome as string) === 'paused') {
      this.logger.log(
        { operationId: operation.id },
        `${operation.name} reached its end as an operator paused it: paused, resuming finishes it`,
      );
      return;
    }
    this.metrics.completions.inc({ outcome });
    this.logger.log(
      { operationId: operation.id, correlationId: operation.correlationId, outcome, code },
      `operation ${operation.name} ${outcome}${message ? `: ${message}` : ''}`,
    );
  }

  /**
   * The failure throttle: failures in a row per definition; from the threshold on, its Ready
   * operations wait for an interval that doubles with each further failure (up to the maximum).
   * One success clears it.
   */
  private async recordOutcome(manager: EntityManager, definitionId: string, failed: boolean, name: string): Promise<void> {
    if (!failed) {
      await this.repository.clearThrottle(manager, definitionId);
      return;
    }
    const { throttleAfterFailures: after, throttleBaseMs: base, throttleMaxMs: max } = this.options;
    const failures = await this.repository.countFailure(manager, definitionId);
    if (failures < after) return;
    const hold = throttleDelay(failures, after, base, max);
    await this.repository.holdDefinition(manager, definitionId, hold);
    const until = new Date(Date.now() + hold);
    this.logger.warn(
      { definitionId, definition: name, failures, holdMs: hold, throttledUntil: until.toISOString() },
      `workflow ${name} failed ${failures} times in a row (THROTTLE_AFTER_FAILURES ${after}): its new operations are held back, next one ${describeNextAttempt(until)}; one success clears it (unavailable dependencies never count)`,
    );
  }
}
