/**
 * One advance of a run: walks the step tree from the persisted position, hands each step to
 * the handler of its type (./steps), and keeps what the handlers ask for: effects, the step
 * log, waits, the end. The state is a stack of positions in the step tree (frames); a
 * container's frame carries the container, which ends when its list does.
 */
import type { CompiledDefinition, CompiledStep } from '@flowline/process-model';
import { ExpressionError } from '@flowline/process-model';
import { STEP_HANDLERS } from './steps';
import { RunError, type LogDetail, type Outcome, type RecordStep, type StepContext, type WaitCheck } from './steps/context';
import { addDuration, evaluate, resolveValue } from './values';
import {
  StepStatus,
  type Effect,
  type Input,
  type InstanceState,
  type Json,
  type Limits,
  type OpenStep,
  type RecordImage,
  type RelativeOperation,
  type StepLogEntry,
  type StepStatusCode,
} from './types';

/** The steps of the list at a path of the definition, e.g. `$.steps[2].branches[0].steps`. */
export function listAt(root: Record<string, unknown>, path: string): CompiledStep[] {
  let node: unknown = root;
  for (const match of path.slice(1).matchAll(/\.([A-Za-z]+)|\[(\d+)\]/g)) {
    node = match[1] !== undefined ? (node as Record<string, unknown>)[match[1]] : (node as unknown[])[Number(match[2])];
  }
  return (node as CompiledStep[] | undefined) ?? [];
}

const refOf = (record: RecordImage): { entity: string; id: string } => {
  const ref = record['ref'] as { entity?: string; id?: string } | undefined;
  return { entity: String(ref?.entity ?? ''), id: String(ref?.id ?? '') };
};

/** Steps whose message acts on the record they name: their result's record is the primary one when they name no lookup. */
const RECORD_MESSAGES: ReadonlySet<string> = new Set(['updateRecord', 'assign', 'setState']);
const isPrimary = (record: RecordStep['record']): boolean => record === undefined || record === 'primary';
const FINAL: ReadonlySet<StepStatusCode> = new Set([StepStatus.Succeeded, StepStatus.Failed, StepStatus.Canceled]);

export class Run implements StepContext {
  readonly effects: Effect[] = [];
  /** This advance's step log, by the step's start number: the latest status of each step wins. */
  private readonly entries = new Map<number, StepLogEntry>();

  constructor(
    private readonly compiled: CompiledDefinition,
    readonly state: InstanceState,
    readonly limits: Limits,
    readonly now: string,
  ) {}

  private get root(): Record<string, unknown> {
    return this.compiled.definition as unknown as Record<string, unknown>;
  }

  get log(): StepLogEntry[] {
    return [...this.entries.values()].sort((a, b) => a.seq - b.seq);
  }

  /** The step at the top of the stack: the one the run stands on. */
  currentStep(): CompiledStep | undefined {
    const frame = this.state.frames[this.state.frames.length - 1];
    return frame ? listAt(this.root, frame.list)[frame.index] : undefined;
  }

  // --- what step handlers use (StepContext) ---

  evaluate(source: string, record?: RecordImage): Json {
    return evaluate(source, this.state, this.now, record);
  }

  resolve(value: unknown): Json {
    return resolveValue(value, this.state, this.now);
  }

  target(step: RecordStep): { entity: string; id: string } {
    const record = step.record;
    if (record === undefined || record === 'primary') return refOf(this.state.record);
    const value = this.state.record[record.lookup] as { entity?: string; id?: string } | null | undefined;
    if (!value?.id)
      throw new RunError(
        'STEP_FAILED',
        `step '${step.id}': the lookup '${record.lookup}' of the record is empty, so there is no related record to act on`,
      );
    return { entity: String(value.entity), id: String(value.id) };
  }

  emptyLookup(step: RecordStep): boolean {
    const record = step.record;
    if (record === undefined || record === 'primary') return false;
    const value = this.state.record[record.lookup] as { id?: string } | null | undefined;
    return !value?.id;
  }

  /** Effects that need a result are named by operation and step path: also their idempotency key. */
  effectId(path: string): string {
    return `${this.state.operationId}:${path}`;
  }

  pause(effect: Extract<Effect, { effectId: string }>, path: string): 'paused' {
    this.effects.push(effect);
    this.state.pending = { effectId: effect.effectId, stepPath: path };
    return 'paused';
  }

  message(
    step: { id: string },
    path: string,
    message: string,
    entity: string,
    recordId: string | undefined,
    target: RecordImage,
    parameters: Record<string, Json> = {},
    operations: Record<string, RelativeOperation> = {},
  ): 'paused' {
    const effectId = this.effectId(path);
    return this.pause(
      {
        type: 'executeMessage',
        effectId,
        idempotencyKey: effectId,
        stepId: step.id,
        message,
        entity,
        ...(recordId ? { recordId } : {}),
        target,
        ...(Object.keys(operations).length > 0 ? { operations } : {}),
        parameters,
      },
      path,
    );
  }

  enter(open: OpenStep, list: string): 'entered' {
    delete this.state.current;
    this.state.frames.push({ list, index: 0, owner: open });
    return 'entered';
  }

  checkWait(step: Extract<CompiledStep, { type: 'waitCondition' | 'waitTimeout' }>, path: string, branch = false): WaitCheck {
    if (step.type === 'waitCondition') {
      // A branch of a parallelWait on an empty lookup waits for nothing: another branch decides.
      if (branch && this.emptyLookup(step)) return { satisfied: false, subscriptions: [] };
      const ref = this.target(step);
      const primary = isPrimary(step.record);
      // A related record is judged as the latest wake-up showed it; unseen, it has not satisfied anything yet.
      const related = primary ? undefined : this.state.related[`${ref.entity}:${ref.id}`];
      const satisfied = primary || related ? this.evaluate(step.until, related) === true : false;
      return { satisfied, subscriptions: [{ entity: ref.entity, recordId: ref.id }] };
    }
    const deadline = (this.state.deadlines[path] ??= step.duration
      ? addDuration(this.now, step.duration)
      : String(this.evaluate(String(step.until))));
    return { satisfied: Date.parse(this.now) >= Date.parse(deadline), subscriptions: [], timer: deadline };
  }

  waitFor(effect: Extract<Effect, { type: 'wait' }>, open: OpenStep): 'paused' {
    this.effects.push(effect);
    this.logStep(open, StepStatus.Waiting);
    this.state.status = 'waiting';
    return 'paused';
  }

  logStep(open: OpenStep, status: StepStatusCode, detail: LogDetail = {}): void {
    const message = detail.message ?? detail.error?.message;
    this.entries.set(open.seq, {
      seq: open.seq,
      stepId: open.stepId,
      path: open.path,
      type: open.type,
      status,
      startedAt: open.startedAt,
      ...(FINAL.has(status) ? { endedAt: this.now } : {}),
      ...(message ? { message } : {}),
      ...(detail.error ? { error: detail.error } : {}),
    });
    if (FINAL.has(status) && this.state.current?.seq === open.seq) delete this.state.current;
  }

  end(effect: Extract<Effect, { type: 'complete' | 'fail' }>): 'ended' {
    // Whatever is still open ends with the run: the current step, then its containers, innermost first.
    const status = effect.type === 'fail' ? StepStatus.Failed : effect.outcome === 'canceled' ? StepStatus.Canceled : StepStatus.Succeeded;
    const detail = effect.type === 'fail' ? { error: { code: effect.code, message: effect.message } } : {};
    this.endCurrent(status, detail);
    for (const frame of [...this.state.frames].reverse()) if (frame.owner) this.logStep(frame.owner, status, detail);
    this.effects.push(effect);
    this.state.status = effect.type === 'fail' ? 'failed' : effect.outcome === 'canceled' ? 'canceled' : 'completed';
    this.state.frames = [];
    delete this.state.pending;
    return 'ended';
  }

  emit(effect: Effect): void {
    this.effects.push(effect);
  }

  // --- the walk ---

  /** The current step, if one started, with a final status. */
  endCurrent(status: StepStatusCode, detail: LogDetail = {}): void {
    if (this.state.current) this.logStep(this.state.current, status, detail);
  }

  /** A step starts at the current position, or goes on if it already started there (a wait re-evaluated, a page answered). */
  private begin(step: CompiledStep, path: string): OpenStep {
    const current = this.state.current;
    if (current && current.path === path) return current;
    if (this.state.stepsExecuted >= this.limits.maxStepsPerRun) {
      throw new RunError(
        'MAX_STEPS_EXCEEDED',
        `the run took more than ${this.limits.maxStepsPerRun} steps: raise the limit or split the workflow`,
      );
    }
    this.state.stepsExecuted += 1;
    const open: OpenStep = { seq: this.state.stepsExecuted, stepId: step.id, path, type: step.type, startedAt: this.now };
    this.state.current = open;
    return open;
  }

  private step(step: CompiledStep, path: string, open: OpenStep): Outcome {
    const handler = (STEP_HANDLERS as Record<string, unknown>)[step.type] as
      ((step: CompiledStep, at: { path: string; open: OpenStep }, run: StepContext) => Outcome) | undefined;
    if (!handler) {
      // A compiled form from a newer language than this interpreter knows.
      throw new RunError('UNSUPPORTED_STEP', `step '${step.id}' is a '${step.type}' step, which this interpreter does not know`);
    }
    return handler(step, { path, open }, this);
  }

  /** Runs until the run pauses, waits or ends. */
  go(): void {
    try {
      while (this.state.frames.length > 0) {
        if (this.state.status !== 'running' || this.state.pending) return;
        const frame = this.state.frames[this.state.frames.length - 1]!;
        const list = listAt(this.root, frame.list);
        if (frame.index >= list.length) {
          this.state.frames.pop();
          if (frame.owner) this.logStep(frame.owner, StepStatus.Succeeded);
          if (this.state.frames.length > 0) this.state.frames[this.state.frames.length - 1]!.index += 1;
          continue;
        }
        const step = list[frame.index]!;
        const path = `${frame.list}[${frame.index}]`;
        const open = this.begin(step, path);
        const outcome = this.step(step, path, open);
        if (outcome === 'next') {
          this.logStep(open, StepStatus.Succeeded);
          frame.index += 1;
        }
        if (outcome === 'paused' || outcome === 'ended') return;
      }
      if (this.state.status === 'running') this.end({ type: 'complete', outcome: 'succeeded', message: '' });
    } catch (error) {
      const code = error instanceof RunError ? error.code : error instanceof ExpressionError ? error.code : 'STEP_FAILED';
      this.end({ type: 'fail', code, message: (error as Error).message });
    }
  }

  /** The result of the effect the run paused on. */
  resume(result: Extract<Input, { type: 'effectResult' }>): void {
    const pending = this.state.pending;
    if (!pending || pending.effectId !== result.effectId) {
      this.end({
        type: 'fail',
        code: 'INVALID_INPUT',
        message: `no effect '${result.effectId}' is pending${pending ? ` (waiting for '${pending.effectId}')` : ''}`,
      });
      return;
    }
    delete this.state.pending;
    const frame = this.state.frames[this.state.frames.length - 1]!;
    const step = listAt(this.root, frame.list)[frame.index]!;
    // A state saved before steps were tracked as open: the step started when its effect was asked for.
    this.state.current ??= { seq: this.state.stepsExecuted, stepId: step.id, path: pending.stepPath, type: step.type, startedAt: this.now };
    if (!result.ok) {
      const error = { code: result.error?.code ?? 'ERROR', message: result.error?.message ?? 'no message' };
      this.endCurrent(StepStatus.Failed, { error });
      this.end({ type: 'fail', code: 'STEP_FAILED', message: `step '${step.id}' failed: ${error.code}: ${error.message}` });
      return;
    }
    const output = { ...(result.output ?? {}) };
    const after = output['record'];
    const primary = RECORD_MESSAGES.has(step.type) && isPrimary((step as RecordStep).record);
    if (primary && after && typeof after === 'object' && !Array.isArray(after)) {
      // The record as the gateway left it: later steps read what this one wrote (relative updates included).
      this.state.record = { ...after, ref: this.state.record['ref'] ?? null };
      delete output['record'];
    }
    this.state.outputs[step.id] = output;
    if (step.type === 'queryData') this.state.vars[step.saveAs] = (result.output?.['records'] ?? []) as Json;
    this.endCurrent(StepStatus.Succeeded);
    frame.index += 1;
    if (this.state.pauseRequested) {
      delete this.state.pauseRequested;
      this.pauseHere();
      return;
    }
    this.go();
  }

  /** Stops at a step boundary: nothing in flight, the position persisted. */
  pauseHere(): void {
    this.state.pausedFrom = this.state.status === 'waiting' ? 'waiting' : 'running';
    this.state.status = 'paused';
    this.effects.push({ type: 'paused', stepId: this.currentStep()?.id ?? '' });
  }
}
