/**
 * The run driver: runs one claimed operation, free of SQL. A workflow drives the process-runtime
 * interpreter from its last persisted point, performs its acting effects through one handler per
 * effect type (effects/: record messages through the gateway with depth + 1 and an idempotency
 * key per step, child workflows, custom activities), and persists at every step boundary through
 * RunCompleter's group commit, where it also learns what operators asked (Pausing, Canceling,
 * which win even over the run's own end) and whether the executor is shutting down. An
 * asynchronous plug-in step calls its webhook. Ends, waits, pauses, releases and retries are
 * RunEnds'; loop protection cancels a workflow that keeps triggering itself before any step.
 */
import {
  context as otelContext,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AsyncOperationStatus as Status, AsyncOperationType } from '@flowline/contracts';
import { MetadataCache } from '@flowline/metadata-cache';
import { callWebhook, StepRefusal, type ExecutionContext } from '@flowline/plugin-steps';
import {
  advance,
  StepStatus,
  type Effect,
  type Input,
  type InstanceState,
  type Json,
  type OpenStep,
  type StepLogEntry,
} from '@flowline/process-runtime';
import { DefinitionVersions } from '../definitions/definition-versions';
import { OperationRepository } from '../operations/operation-repository';
import { unavailabilityOf } from './dependency-failures';
import { isActing, type EffectOutcome } from './effects/effect-handler';
import { EffectHandlers } from './effects/effect-handlers';
import { ExecutorMetrics } from './executor-metrics';
import { recordOf, RecordReader } from './record-reader';
import { RunCompleter } from './run-completer';
import { RunEnds } from './run-ends';
import { stageOf, type Boundary, type EndEffect, type FinalSave, type RunHandle } from './run-handle';
import { WORKER_HOST, WORKER_OPTIONS, type WorkerOptions } from './worker-options';

const tracer = trace.getTracer('flowline.async-executor');

/**
 * Acting steps that may run before any boundary of a first attempt: each carries an idempotency
 * key, so performing it again after a crash acts once. A child workflow's start is not among
 * them: the parent waits for it from a saved state.
 */
const DEFERRABLE: ReadonlySet<string> = new Set(['executeMessage', 'customActivity']);

@Injectable()
export class RunDriver {
  private readonly logger = new Logger('Worker');

  constructor(
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
    @Inject(WORKER_HOST) private readonly host: string,
    private readonly versions: DefinitionVersions,
    private readonly effects: EffectHandlers,
    private readonly reader: RecordReader,
    private readonly repository: OperationRepository,
    /** Step boundaries of runs, saved together (group commit). */
    private readonly completer: RunCompleter,
    private readonly ends: RunEnds,
    private readonly metrics: ExecutorMetrics,
    private readonly metadata: MetadataCache,
  ) {}

  /**
   * Runs a claimed operation in its span, to its end or to where it stops. A run that breaks is
   * retried; one that met an unavailable dependency waits it out (neither is left unhandled).
   */
  drive(handle: RunHandle): Promise<void> {
    const operation = handle.operation;
    // The trace context stored with the operation (the pipeline event's): a first run continues
    // that trace as a child; a run resumed later (after a wait, a retry, a crash) starts its own
    // trace and joins the original through a span link.
    const links: Link[] = [];
    const stored = propagation.extract(ROOT_CONTEXT, operation.traceContext as Record<string, string>);
    const storedSpan = trace.getSpanContext(stored);
    const resumed = operation.instanceState !== null || operation.retryCount > 0;
    if (storedSpan && resumed) links.push({ context: storedSpan });
    const span = tracer.startSpan(
      `run ${operation.name}`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: {
          'flowline.operation.id': operation.id,
          'flowline.operation.name': operation.name,
          'flowline.definition.id': operation.definitionId ?? '',
          'flowline.definition.version': operation.definitionVersion ?? 0,
          'flowline.correlation_id': operation.correlationId,
          'flowline.depth': operation.depth,
          'flowline.operation.state': operation.state,
          'flowline.operation.resumed': resumed,
        },
      },
      resumed ? ROOT_CONTEXT : stored,
    );
    return otelContext
      .with(trace.setSpan(ROOT_CONTEXT, span), () => this.run(handle, span))
      .catch(async (error: unknown) => {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
        const unavailable = unavailabilityOf(error);
        if (unavailable) {
          // Waited out, not a failure of the definition. When the database itself is gone this
          // cannot be written either: the lease then expires and the run comes back from its last point.
          await this.ends
            .waitOut(handle, unavailable)
            .catch((cause: unknown) =>
              this.logger.warn(
                { operationId: operation.id, err: String(cause) },
                `could not put ${operation.name} back while the ${unavailable.dependency} is unavailable: ${String(cause)}; its lease will expire and it will run again`,
              ),
            );
          return;
        }
        this.logger.error({ operationId: operation.id, err: String(error) }, `run of ${operation.name} broke: ${String(error)}`);
        await this.ends.retry(handle, 'EXECUTOR_ERROR', String(error)).catch(() => undefined);
      })
      .finally(() => span.end());
  }

  /** Puts a claimed operation that never started back to Ready (the claim loop's shutdown). */
  release(handle: RunHandle): Promise<void> {
    return this.ends.park(handle, 'release');
  }

  private async run(handle: RunHandle, span: Span): Promise<void> {
    const operation = handle.operation;
    if (operation.operationType === AsyncOperationType.SystemEvent && operation.stepRegistrationId) {
      await this.runStep(handle, operation.stepRegistrationId);
      return;
    }
    if (operation.operationType !== AsyncOperationType.Workflow || !operation.definitionId || !operation.definitionVersion) {
      await this.ends.finish(
        handle,
        'fail',
        'UNSUPPORTED_OPERATION',
        `operation type ${operation.operationType} is not one this executor runs`,
      );
      return;
    }
    this.logger.debug({ operationId: operation.id, correlationId: operation.correlationId, msg: `running ${operation.name}` });
    const compiled = await this.versions.get(operation.definitionId, operation.definitionVersion);
    const started = Date.now();
    let state = operation.instanceState as unknown as InstanceState | null;
    let stepStarted = new Date();
    let input: Input;
    const ended = (state as (InstanceState & { finalEffect?: EndEffect }) | null)?.finalEffect;
    if (state && ended && (state.status === 'completed' || state.status === 'failed' || state.status === 'canceled')) {
      // Paused as it reached its end, now resumed: it ends as it had.
      await this.end(handle, ended, { state, log: [], stepStarted, elapsedMs: 0 });
      return;
    }
    if (!state && (await this.loopDetected(handle))) return;
    if (!state) {
      const event = operation.input as {
        postImage: Record<string, unknown> | null;
        preImage: Record<string, unknown> | null;
        changedAttributes: string[];
        inputs?: Record<string, Json>;
        rereadRecord?: boolean;
        trigger?: Record<string, Json>;
      };
      input = {
        type: 'start',
        operationId: operation.id,
        // The first claim's time, the same in every attempt: a run started again from the
        // beginning (see deferBoundary) takes the same path to its first step.
        now: (operation.startedOn ?? new Date()).toISOString(),
        depth: operation.depth,
        // A retried (or on-demand) run reads the record as it is now; the trigger's inputs stay the snapshot's.
        record: recordOf(operation, event.rereadRecord ? await this.reader.current(operation) : event.postImage),
        pre: (event.preImage ?? null) as never,
        changed: event.changedAttributes,
        ...(event.inputs ? { inputs: event.inputs } : {}),
        ...(event.trigger ? { trigger: event.trigger } : {}),
      };
    } else if (state.pending) {
      // The previous run stopped with an effect in flight (a crash, an expired lease, a pause):
      // perform it again; its idempotency key makes the gateway answer without acting twice.
      const open = state.current;
      const replay = await this.stepSpan((state as InstanceState & { lastEffect: Effect }).lastEffect, (effect) =>
        this.perform(handle, effect, open),
      );
      if (!replay) return;
      input = replay;
    } else {
      input = await this.reader.wakeUp(operation, state);
    }
    // Whether the run's copy of the records is as fresh as a wake-up's read (a wait then needs no re-read).
    let fresh = input.type === 'wakeUp';
    let carried: StepLogEntry[] = [];
    // A first attempt from the beginning needs no boundary before its first acting step.
    let deferBoundary = !state && operation.retryCount === 0;
    for (let guard = 0; guard < 10_000; guard++) {
      const result = advance(compiled, state ?? undefined, input);
      const effect = result.effects.at(-1);
      // Entries of a wait that was evaluated again at once come first; the later entry of the same step replaces them (saveState).
      const log = [...carried, ...result.log];
      carried = [];
      // The effect in flight is persisted with the state, so a run that dies here can perform it again;
      // a wait keeps what it watches, so a wake-up knows which related records to read.
      state = {
        ...result.state,
        ...(result.state.pending && effect ? { lastEffect: effect } : {}),
        ...(effect?.type === 'wait' ? { waitingOn: effect.subscriptions } : {}),
      } as InstanceState;
      if (effect?.type === 'complete' || effect?.type === 'fail') {
        // The last state and step log are saved in the same transaction as the final move; an
        // operator's cancel or pause that arrived meanwhile wins (see finish). The end is kept in
        // the state, so a run paused at its end finishes as it ended when resumed.
        span.addEvent('step', { 'flowline.input': input.type, 'flowline.effect': effect.type, 'flowline.boundary': 'end' });
        state = { ...state, finalEffect: effect } as InstanceState;
        await this.end(handle, effect, { state, log, stepStarted, elapsedMs: Date.now() - started });
        return;
      }
      if (effect?.type === 'wait' && effect.subscriptions.length > 0 && !fresh) {
        // A wait is evaluated when it begins against current data: the watched records (related
        // ones the run has never seen, and the primary as it is now) are read and fed back at once;
        // a condition already met does not wait for some later event.
        carried = log;
        fresh = true;
        input = await this.reader.wakeUp(operation, state);
        continue;
      }
      if (deferBoundary && effect && DEFERRABLE.has(effect.type) && !handle.lost && !handle.loop.stopping()) {
        // Nothing the run did so far is lost if it dies during this step: started again, it
        // takes the same path (the same snapshot and start time) to the same step, whose
        // idempotency key makes the repeat answer without acting twice. The state and the
        // step log so far are saved at the next boundary or the end.
        deferBoundary = false;
        carried = log;
        span.addEvent('step', { 'flowline.input': input.type, 'flowline.effect': effect.type, 'flowline.boundary': 'deferred' });
        stepStarted = new Date();
        const next = await this.stepSpan(effect, (current) => this.perform(handle, current, state!.current));
        if (!next) return; // put back for a retry, or failed: the next attempt starts from the beginning
        input = next;
        fresh = false;
        continue;
      }
      deferBoundary = false;
      const boundary = await this.persist(handle, state, log, stepStarted, Date.now() - started);
      span.addEvent('step', { 'flowline.input': input.type, 'flowline.effect': effect?.type ?? 'none', 'flowline.boundary': boundary });
      if (boundary === 'lost') {
        this.logger.warn({ operationId: operation.id }, 'another host holds this operation now: stopping without acting');
        return;
      }
      if (!effect) return;
      if (boundary === 'canceling') {
        await this.ends.finish(handle, 'canceled', 'CANCELED', 'canceled by an operator');
        return;
      }
      if (effect.type === 'wait') {
        await this.ends.suspend(handle, effect, boundary === 'pausing' ? 'paused' : 'suspend');
        return;
      }
      if (boundary === 'pausing') {
        await this.ends.park(handle, 'paused');
        return;
      }
      if (boundary === 'release') {
        await this.ends.park(handle, 'release');
        return;
      }
      if (effect.type === 'paused') return;
      stepStarted = new Date();
      const open = state.current;
      const next = await this.stepSpan(effect, (current) => this.perform(handle, current, open));
      if (!next) return; // put back for a retry, or failed
      input = next;
      fresh = false;
    }
  }

  /**
   * Loop protection: a workflow that started more than LOOP_MAX_RUNS times on one record within
   * LOOP_WINDOW_MS (this run included) is most likely triggering itself; the run is canceled with
   * a message that says so, before any step (not counted as a failure of the definition).
   */
  private async loopDetected(handle: RunHandle): Promise<boolean> {
    const operation = handle.operation;
    if (!operation.definitionId) return false;
    // A schedule's runs repeat by design; overlap policies, not loop protection, bound them.
    if ((operation.input as { trigger?: { type?: string } }).trigger?.type === 'schedule') return false;
    // Counted by the claim; otherwise here (uses IDX_async_operation_regarding).
    const runs = handle.recentRuns ?? (await this.repository.recentRuns(operation, this.options.loopWindowMs));
    if (runs <= this.options.loopMaxRuns) return false;
    const seconds = Math.round(this.options.loopWindowMs / 1000);
    const message =
      `infinite loop: workflow '${operation.name}' started ${runs} times on ${operation.primaryEntity} ${operation.regardingId} within ${seconds} s ` +
      `(more than ${this.options.loopMaxRuns}, LOOP_MAX_RUNS / LOOP_WINDOW_MS), so this run was canceled. Its own steps most likely trigger it again: ` +
      `leave the attributes it updates out of its trigger's attributes, or add a condition that stops it once its work is done`;
    this.logger.warn({ operationId: operation.id, runs, windowMs: this.options.loopWindowMs }, message);
    await this.ends.finish(handle, 'cancel', 'LOOP_DETECTED', message, undefined, { countForThrottle: false });
    return true;
  }

  /** The interpreter's end of a run: Completed as it says (unless an operator's cancel or pause came first). */
  private async end(handle: RunHandle, effect: EndEffect, last: FinalSave): Promise<void> {
    if (effect.type === 'fail') await this.ends.finish(handle, 'fail', effect.code, effect.message, last);
    else if (effect.outcome === 'canceled') await this.ends.finish(handle, 'cancel', null, effect.message, last);
    else await this.ends.finish(handle, 'succeed', null, effect.message, last);
  }

  /**
   * An asynchronous plug-in step (stage 40, after the operation committed): its webhook gets
   * the execution context the synchronous steps see, with the images it registered, signed the
   * same way. Unreachable, timed-out, 5xx and 429 answers are retried with backoff; a refusal
   * fails the operation with the step's message.
   */
  private async runStep(handle: RunHandle, stepId: string): Promise<void> {
    const operation = handle.operation;
    const step = this.metadata.step(stepId);
    if (!step || !step.enabled) {
      await this.ends.finish(
        handle,
        'fail',
        'STEP_NOT_FOUND',
        `step registration ${stepId} no longer exists or is disabled: nothing to run`,
      );
      return;
    }
    if (!step.handler?.webhook) {
      await this.ends.finish(
        handle,
        'fail',
        'UNSUPPORTED_STEP',
        `step '${step.name}' has a built-in handler; built-in handlers run only synchronously in the gateway: register it as a webhook or synchronous`,
      );
      return;
    }
    const input = operation.input as {
      message: string;
      target: Record<string, unknown> | null;
      parameters?: Record<string, unknown>;
      preImages?: Record<string, Record<string, unknown>>;
      postImages?: Record<string, Record<string, unknown>>;
      occurredAt?: string;
    };
    const aliases = step.images.map((image) => image.alias);
    const pick = (images: Record<string, Record<string, unknown>> | undefined) =>
      Object.fromEntries(aliases.filter((alias) => images?.[alias]).map((alias) => [alias, images![alias]!]));
    const context: ExecutionContext = {
      messageName: input.message,
      primaryEntityName: operation.primaryEntity,
      primaryEntityId: operation.regardingId,
      stage: step.stage,
      mode: step.mode,
      depth: operation.depth,
      correlationId: operation.correlationId,
      initiatingUserId: operation.owner,
      inputParameters: { ...(input.parameters ?? {}), ...(input.target ? { Target: input.target } : {}) },
      outputParameters: {},
      sharedVariables: {},
      preEntityImages: pick(input.preImages),
      postEntityImages: pick(input.postImages),
      operationCreatedOn: input.occurredAt ?? new Date(operation.createdOn).toISOString(),
    };
    const started = new Date();
    const timer = this.metrics.steps.startTimer({ effect: 'webhook' });
    try {
      await callWebhook(
        {
          stepName: step.name,
          stepId: step.id,
          url: step.handler.webhook.url,
          timeoutMs: step.handler.webhook.timeoutMs,
          secret: step.secureConfiguration,
          unsecureConfiguration: step.unsecureConfiguration,
          idempotencyKey: operation.id,
        },
        context,
      );
      timer({ outcome: 'ok' });
    } catch (error) {
      if (!(error instanceof StepRefusal)) throw error;
      timer({ outcome: error.transient ? 'transient' : 'permanent' });
      await this.repository.logWebhookStep(
        operation.id,
        step.name,
        error.transient ? StepStatus.InProgress : StepStatus.Failed,
        error.message,
        started,
      );
      if (error.transient) await this.ends.retry(handle, 'STEP_UNAVAILABLE', error.message);
      else await this.ends.finish(handle, 'fail', 'STEP_REFUSED', error.message);
      return;
    }
    await this.repository.logWebhookStep(operation.id, step.name, StepStatus.Succeeded, undefined, started);
    await this.ends.finish(handle, 'succeed', null, '');
  }

  /** One span per step that acts (a record message, a child, a custom activity): the calls it makes are its children. */
  private stepSpan<T>(effect: Effect, perform: (effect: Effect) => Promise<T>): Promise<T> {
    const stepId = 'stepId' in effect ? effect.stepId : effect.type;
    return tracer.startActiveSpan(
      `step ${stepId}`,
      {
        attributes: {
          'flowline.step': stepId,
          'flowline.effect': effect.type,
          ...('message' in effect ? { 'flowline.message': effect.message } : {}),
        },
      },
      async (span) => {
        try {
          return await perform(effect);
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  /**
   * Performs one effect through its handler; returns the input that feeds its result back, or
   * undefined when the run stops here (put back for a retry, or a parent suspended for its child).
   * A step put back for a retry ends its attempt Failed in the step log, with the error (`open`:
   * the step in flight), so the attempts before the one that got through stay on record.
   */
  private async perform(handle: RunHandle, effect: Effect, open?: OpenStep): Promise<Input | undefined> {
    if (!isActing(effect)) return undefined;
    const timer = this.metrics.steps.startTimer({ effect: effect.type });
    let outcome: EffectOutcome;
    try {
      outcome = await this.effects.perform(effect, { operation: handle.operation, host: this.host });
    } catch (error) {
      timer({ outcome: 'transient' });
      throw error;
    }
    if (outcome.kind === 'retry') {
      timer({ outcome: 'transient' });
      // Written before the retry moves the row on, so the entry is in the attempt that failed.
      if (open) await this.repository.logFailedAttempt(handle.operation.id, open, outcome.code, outcome.message);
      await this.ends.retry(handle, outcome.code, outcome.message);
      return undefined;
    }
    if (outcome.kind === 'stopped') {
      timer({ outcome: 'ok' });
      return undefined;
    }
    timer({ outcome: outcome.input.ok ? 'ok' : 'permanent' });
    return outcome.input;
  }

  /**
   * Persists the state and the step log, renews the lease, and reads what the run must do at
   * this boundary: keep going, stop because another host holds it, pause, cancel or release.
   */
  private async persist(
    handle: RunHandle,
    state: InstanceState,
    log: StepLogEntry[],
    stepStarted: Date,
    elapsedMs: number,
  ): Promise<Boundary> {
    if (handle.lost) return 'lost';
    // Saved with the other runs at a boundary now (one transaction for all of them).
    const status = await this.completer.boundary({
      operationId: handle.operation.id,
      state,
      log,
      stepStarted,
      executionTimeMs: handle.operation.executionTimeMs + elapsedMs,
      stage: stageOf(state),
    });
    if (status === undefined) return 'lost';
    if (status === Status.Canceling) return 'canceling';
    if (status === Status.Pausing) return 'pausing';
    return handle.loop.stopping() ? 'release' : 'continue';
  }
}
