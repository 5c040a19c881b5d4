/**
 * advance(compiled, state, input) -> { state, effects, log }: the deterministic interpreter of
 * workflows. Given the same compiled definition, persisted state and input it always gives the
 * same answer; it does no I/O (the executor performs the effects and feeds back their results).
 *
 * The state is a stack of positions in the step tree. Steps that act on the world emit one
 * effect and pause until its result arrives; waits emit the subscriptions and timer that should
 * wake the run and leave it waiting; everything else runs straight on.
 */
import type { CompiledDefinition } from '@flowline/process-model';
import { ExpressionError } from '@flowline/process-model';
import { checkAnswers, withChoices, type PromptSpec } from './answers';
import { addDuration, evaluate, resolveValue } from './values';
import {
  DEFAULT_LIMITS,
  StepStatus,
  type Advance,
  type Effect,
  type Input,
  type InstanceState,
  type Json,
  type Limits,
  type RecordImage,
  type OpenStep,
  type RelativeOperation,
  type StepLogEntry,
  type StepStatusCode,
  type Subscription,
} from './types';

type Step = Record<string, unknown> & { id: string; type: string };
type Outcome = 'next' | 'entered' | 'paused' | 'ended';

class RunError extends Error {
  constructor(
    readonly code: Extract<Effect, { type: 'fail' }>['code'],
    message: string,
  ) {
    super(message);
  }
}

function listAt(root: Record<string, unknown>, path: string): Step[] {
  let node: unknown = root;
  for (const match of path.slice(1).matchAll(/\.([A-Za-z]+)|\[(\d+)\]/g)) {
    node = match[1] !== undefined ? (node as Record<string, unknown>)[match[1]] : (node as unknown[])[Number(match[2])];
  }
  return (node as Step[] | undefined) ?? [];
}

const refOf = (record: RecordImage): { entity: string; id: string } => {
  const ref = record['ref'] as { entity?: string; id?: string } | undefined;
  return { entity: String(ref?.entity ?? ''), id: String(ref?.id ?? '') };
};

/** Steps whose message acts on the record they name (the primary one unless they name a lookup). */
const PRIMARY_MESSAGES = new Set(['updateRecord', 'assign', 'setState']);
const isPrimary = (step: Step): boolean => step['record'] === undefined || step['record'] === 'primary';

const FINAL: ReadonlySet<StepStatusCode> = new Set([StepStatus.Succeeded, StepStatus.Failed, StepStatus.Canceled]);

class Run {
  readonly effects: Effect[] = [];
  /** This advance's step log, by the step's start number: the latest status of each step wins. */
  private readonly entries = new Map<number, StepLogEntry>();

  constructor(
    private readonly compiled: CompiledDefinition,
    readonly state: InstanceState,
    private readonly limits: Limits,
    private readonly now: string,
  ) {}

  private get root(): Record<string, unknown> {
    return this.compiled.definition as unknown as Record<string, unknown>;
  }

  get log(): StepLogEntry[] {
    return [...this.entries.values()].sort((a, b) => a.seq - b.seq);
  }

  /** A step starts at the current position, or goes on if it already started there (a wait re-evaluated, a page answered). */
  begin(step: Step, path: string): OpenStep {
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

  /** Logs a step's status; a final one ends it. */
  logStep(open: OpenStep, status: StepStatusCode, detail: { message?: string; error?: { code: string; message: string } } = {}): void {
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

  /** The current step, if one started, with a final status. */
  endCurrent(status: StepStatusCode, detail: { message?: string; error?: { code: string; message: string } } = {}): void {
    if (this.state.current) this.logStep(this.state.current, status, detail);
  }

  private end(effect: Extract<Effect, { type: 'complete' | 'fail' }>): 'ended' {
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

  private pause(effect: Extract<Effect, { effectId: string }>, path: string): 'paused' {
    this.effects.push(effect);
    this.state.pending = { effectId: effect.effectId, stepPath: path };
    return 'paused';
  }

  /** The record a step acts on: the primary record, or the one a lookup of it points to. */
  private target(step: Step): { entity: string; id: string } {
    const record = step['record'];
    if (record === undefined || record === 'primary') return refOf(this.state.record);
    const lookup = (record as { lookup: string }).lookup;
    const value = this.state.record[lookup] as { entity?: string; id?: string } | null | undefined;
    if (!value?.id)
      throw new RunError(
        'STEP_FAILED',
        `step '${step.id}': the lookup '${lookup}' of the record is empty, so there is no related record to act on`,
      );
    return { entity: String(value.entity), id: String(value.id) };
  }

  /** Whether a step acts on a related record whose lookup on the primary record is empty. */
  private emptyLookup(step: Step): boolean {
    const record = step['record'];
    if (record === undefined || record === 'primary') return false;
    const value = this.state.record[(record as { lookup: string }).lookup] as { id?: string } | null | undefined;
    return !value?.id;
  }

  /**
   * An updateRecord's values: set and clear are written as they are (the target); increment,
   * decrement, multiply and append go to the gateway as operations with their value resolved, so
   * it applies them to the record as it is inside its transaction, never to the run's copy.
   */
  private updateValues(step: Step): { target: RecordImage; operations: Record<string, RelativeOperation> } {
    const target: RecordImage = {};
    const operations: Record<string, RelativeOperation> = {};
    for (const [name, raw] of Object.entries(step['set'] as Record<string, unknown>)) {
      const operation =
        raw && typeof raw === 'object' && 'op' in raw ? (raw as { op: string; value?: unknown }) : { op: 'set', value: raw };
      switch (operation.op) {
        case 'set':
          target[name] = resolveValue(operation.value, this.state, this.now);
          break;
        case 'clear':
          target[name] = null;
          break;
        case 'append':
        case 'increment':
        case 'decrement':
        case 'multiply':
          operations[name] = { op: operation.op, value: resolveValue(operation.value, this.state, this.now) };
          break;
        default:
          throw new RunError('INVALID_INPUT', `step '${step.id}': unknown update operation '${operation.op}'`);
      }
    }
    return { target, operations };
  }

  /** Effects that need a result are named by operation and step path: also their idempotency key. */
  private effectId(path: string): string {
    return `${this.state.operationId}:${path}`;
  }

  private message(
    step: Step,
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

  /** Whether a wait is satisfied now; if not, what should wake it. */
  private checkWait(step: Step, path: string, branch = false): { satisfied: boolean; subscriptions: Subscription[]; timer?: string } {
    if (step.type === 'waitCondition') {
      // A branch of a parallelWait on an empty lookup waits for nothing: another branch decides.
      if (branch && this.emptyLookup(step)) return { satisfied: false, subscriptions: [] };
      const ref = this.target(step);
      const primary = step['record'] === undefined || step['record'] === 'primary';
      // A related record is judged as the latest wake-up showed it; unseen, it has not satisfied anything yet.
      const related = primary ? undefined : this.state.related[`${ref.entity}:${ref.id}`];
      const satisfied = primary || related ? evaluate(String(step['until']), this.state, this.now, related) === true : false;
      return { satisfied, subscriptions: [{ entity: ref.entity, recordId: ref.id }] };
    }
    const deadline = (this.state.deadlines[path] ??=
      typeof step['duration'] === 'string'
        ? addDuration(this.now, step['duration'])
        : String(evaluate(String(step['until']), this.state, this.now)));
    return { satisfied: Date.parse(this.now) >= Date.parse(deadline), subscriptions: [], timer: deadline };
  }

  /** A container step goes into one of its lists; it stays open until that list ends. */
  private enter(open: OpenStep, list: string): 'entered' {
    delete this.state.current;
    this.state.frames.push({ list, index: 0, owner: open });
    return 'entered';
  }

  private step(step: Step, path: string, open: OpenStep): Outcome {
    switch (step.type) {
      case 'stage':
        return this.enter(open, `${path}.steps`);
      case 'condition': {
        const branches = step['branches'] as Array<{ when: string }>;
        const chosen = branches.findIndex((branch) => evaluate(branch.when, this.state, this.now) === true);
        return this.enter(open, chosen >= 0 ? `${path}.branches[${chosen}].steps` : `${path}.otherwise`);
      }
      case 'createRecord':
        return this.message(
          step,
          path,
          'Create',
          String(step['entity']),
          undefined,
          resolveValue(step['set'], this.state, this.now) as RecordImage,
        );
      case 'updateRecord': {
        const record = this.target(step);
        const { target, operations } = this.updateValues(step);
        return this.message(step, path, 'Update', record.entity, record.id, target, {}, operations);
      }
      case 'assign': {
        const target = this.target(step);
        return this.message(
          step,
          path,
          'Assign',
          target.entity,
          target.id,
          {},
          { assignee: resolveValue(step['owner'], this.state, this.now) },
        );
      }
      case 'setState': {
        const target = this.target(step);
        return this.message(
          step,
          path,
          'SetState',
          target.entity,
          target.id,
          {},
          { state: step['state'] as number, ...(step['status'] !== undefined ? { status: step['status'] as number } : {}) },
        );
      }
      case 'sendEmail': {
        const ref = refOf(this.state.record);
        return this.message(step, path, 'Create', 'email', undefined, {
          subject: resolveValue(step['subject'], this.state, this.now),
          description: resolveValue(step['body'], this.state, this.now),
          to: resolveValue(step['to'], this.state, this.now),
          directioncode: true,
          ...(ref.id ? { regardingobjectid: ref } : {}),
        });
      }
      case 'startChild': {
        if (this.state.depth + 1 > this.limits.maxChildDepth) {
          throw new RunError(
            'MAX_DEPTH_EXCEEDED',
            `step '${step.id}' would start '${String(step['workflow'])}' at depth ${this.state.depth + 1}, beyond the limit of ${this.limits.maxChildDepth}: workflows are starting each other in a loop`,
          );
        }
        const effectId = this.effectId(path);
        return this.pause(
          {
            type: 'startChild',
            effectId,
            idempotencyKey: effectId,
            stepId: step.id,
            workflow: String(step['workflow']),
            inputs: resolveValue(step['inputs'], this.state, this.now) as Record<string, Json>,
            wait: step['wait'] === true,
          },
          path,
        );
      }
      case 'customActivity': {
        const effectId = this.effectId(path);
        return this.pause(
          {
            type: 'customActivity',
            effectId,
            idempotencyKey: effectId,
            stepId: step.id,
            handler: String(step['handler']),
            inputs: resolveValue(step['inputs'], this.state, this.now) as Record<string, Json>,
          },
          path,
        );
      }
      case 'waitCondition':
      case 'waitTimeout': {
        const wait = this.checkWait(step, path);
        if (wait.satisfied) return 'next';
        this.effects.push({
          type: 'wait',
          stepId: step.id,
          subscriptions: wait.subscriptions,
          ...(wait.timer ? { timer: wait.timer } : {}),
        });
        this.logStep(open, StepStatus.Waiting);
        this.state.status = 'waiting';
        return 'paused';
      }
      case 'parallelWait': {
        const branches = step['branches'] as Array<{ wait: Step }>;
        const subscriptions: Subscription[] = [];
        const timers: string[] = [];
        for (const [index, branch] of branches.entries()) {
          const wait = this.checkWait(branch.wait, `${path}.branches[${index}].wait`, true);
          if (wait.satisfied) {
            // The first satisfied branch wins; the others' waits are withdrawn with this run's next wait effect.
            return this.enter(open, `${path}.branches[${index}].steps`);
          }
          subscriptions.push(...wait.subscriptions);
          if (wait.timer) timers.push(wait.timer);
        }
        timers.sort();
        this.effects.push({ type: 'wait', stepId: step.id, subscriptions, ...(timers[0] ? { timer: timers[0] } : {}) });
        this.logStep(open, StepStatus.Waiting);
        this.state.status = 'waiting';
        return 'paused';
      }
      case 'page': {
        const prompts = (
          step['prompts'] as Array<{ id: string; text: string; response: PromptSpec['response'] & { display?: string; default?: unknown } }>
        ).map((authored) => {
          const prompt = withChoices(authored, this.state.vars);
          const earlier = this.state.answers[step.id]?.[prompt.id];
          return {
            id: prompt.id,
            text: String(resolveValue(prompt.text, this.state, this.now)),
            response: {
              type: prompt.response.type,
              required: prompt.response.required ?? false,
              ...(prompt.response.display ? { display: prompt.response.display } : {}),
              ...(prompt.response.options ? { options: prompt.response.options } : {}),
              ...(prompt.response.entity ? { entity: prompt.response.entity } : {}),
              ...(prompt.response.idAttribute && prompt.response.label
                ? { idAttribute: prompt.response.idAttribute, labelAttribute: prompt.response.label }
                : {}),
              ...(prompt.response.default !== undefined ? { default: resolveValue(prompt.response.default, this.state, this.now) } : {}),
            },
            ...(earlier !== undefined ? { answer: earlier } : {}),
          };
        });
        this.effects.push({
          type: 'showPage',
          stepId: step.id,
          title: String(resolveValue(step['title'] ?? '', this.state, this.now)),
          prompts,
          canGoBack: this.state.history.length > 0,
        });
        this.logStep(open, StepStatus.Waiting);
        this.state.page = { stepId: step.id, path };
        this.state.status = 'waiting';
        return 'paused';
      }
      case 'queryData': {
        const effectId = this.effectId(path);
        return this.pause(
          {
            type: 'executeMessage',
            effectId,
            idempotencyKey: effectId,
            stepId: step.id,
            message: 'RetrieveMultiple',
            entity: String(step['entity']),
            target: {},
            parameters: { conditions: resolveValue(step['conditions'], this.state, this.now) },
          },
          path,
        );
      }
      case 'assignValue': {
        const name = String(step['variable']);
        const value = resolveValue(step['value'], this.state, this.now);
        const current = this.state.vars[name];
        const op = String(step['op'] ?? 'set');
        const number = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0));
        this.state.vars[name] =
          op === 'clear'
            ? null
            : op === 'append'
              ? `${current === null || current === undefined ? '' : String(current)}${value === null ? '' : String(value)}`
              : op === 'increment'
                ? number(current) + number(value)
                : op === 'decrement'
                  ? number(current) - number(value)
                  : op === 'multiply'
                    ? number(current) * number(value)
                    : value;
        return 'next';
      }
      case 'linkChildDialog':
        this.effects.push({ type: 'linkChildDialog', stepId: step.id, dialog: String(step['dialog']) });
        this.logStep(open, StepStatus.Succeeded);
        return this.end({ type: 'complete', outcome: 'succeeded', message: `continues in dialog '${String(step['dialog'])}'` });
      case 'stop':
        this.logStep(open, step['outcome'] === 'canceled' ? StepStatus.Canceled : StepStatus.Succeeded, {
          message: String(step['message'] ?? ''),
        });
        return this.end({
          type: 'complete',
          outcome: step['outcome'] === 'canceled' ? 'canceled' : 'succeeded',
          message: String(step['message'] ?? ''),
        });
      default:
        throw new RunError('UNSUPPORTED_STEP', `step '${step.id}' is a '${step.type}' step, which this interpreter does not know`);
    }
  }

  /** Runs until the workflow pauses, waits or ends. */
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
      this.endCurrent(StepStatus.Failed, {
        error: { code: result.error?.code ?? 'ERROR', message: result.error?.message ?? 'no message' },
      });
      this.end({
        type: 'fail',
        code: 'STEP_FAILED',
        message: `step '${step.id}' failed: ${result.error?.code ?? 'ERROR'}: ${result.error?.message ?? 'no message'}`,
      });
      return;
    }
    const output = { ...(result.output ?? {}) };
    const after = output['record'];
    if (PRIMARY_MESSAGES.has(step.type) && isPrimary(step) && after && typeof after === 'object' && !Array.isArray(after)) {
      // The record as the gateway left it: later steps read what this one wrote (relative updates included).
      this.state.record = { ...after, ref: this.state.record['ref'] ?? null };
      delete output['record'];
    }
    this.state.outputs[step.id] = output;
    if (step.type === 'queryData') this.state.vars[String(step['saveAs'])] = (result.output?.['records'] ?? []) as Json;
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
    const frame = this.state.frames[this.state.frames.length - 1];
    const step = frame ? listAt(this.root, frame.list)[frame.index] : undefined;
    this.state.pausedFrom = this.state.status === 'waiting' ? 'waiting' : 'running';
    this.state.status = 'paused';
    this.effects.push({ type: 'paused', stepId: step?.id ?? '' });
  }
}

export function initialState(compiled: CompiledDefinition, input: Extract<Input, { type: 'start' }>): InstanceState {
  return {
    v: 1,
    status: 'running',
    operationId: input.operationId,
    depth: input.depth,
    frames: [{ list: '$.steps', index: 0 }],
    record: input.record,
    related: {},
    pre: input.pre ?? null,
    changed: input.changed ?? [],
    inputs: input.inputs ?? {},
    vars: {},
    outputs: {},
    answers: {},
    history: [],
    deadlines: {},
    stepsExecuted: 0,
  };
}

export function advance(
  compiled: CompiledDefinition,
  state: InstanceState | undefined,
  input: Input,
  limits: Limits = DEFAULT_LIMITS,
): Advance {
  if (input.type === 'start') {
    const run = new Run(compiled, initialState(compiled, input), limits, input.now);
    run.go();
    return { state: run.state, effects: run.effects, log: run.log };
  }
  if (!state) throw new Error(`'${input.type}' needs the persisted state of a started run`);
  const next = JSON.parse(JSON.stringify(state)) as InstanceState;
  const run = new Run(compiled, next, limits, input.now);
  if (next.status === 'completed' || next.status === 'failed' || next.status === 'canceled') return { state: next, effects: [], log: [] };
  switch (input.type) {
    case 'cancel':
      run['end']({ type: 'complete', outcome: 'canceled', message: input.reason ?? 'canceled' });
      break;
    case 'pause':
      if (next.status === 'paused') break;
      if (next.pending) next.pauseRequested = true;
      else run.pauseHere();
      break;
    case 'effectResult':
      run.resume(input);
      break;
    case 'pageAnswers': {
      const page = next.page;
      if (!page || page.stepId !== input.pageId) {
        return {
          state,
          effects: [],
          log: [],
          invalid: { page: `'${input.pageId}' is not the page being shown (${page?.stepId ?? 'none is'})` },
        };
      }
      const frame = next.frames[next.frames.length - 1]!;
      const step = listAt(compiled.definition as unknown as Record<string, unknown>, frame.list)[frame.index]!;
      // The choices as shown: the variables do not change while a page waits for its answers.
      const prompts = (step['prompts'] as PromptSpec[]).map((prompt) => withChoices(prompt, next.vars));
      const { values, errors } = checkAnswers(prompts, input.answers);
      if (Object.keys(errors).length > 0) return { state, effects: [], log: [], invalid: errors };
      next.history.push({
        frames: JSON.parse(JSON.stringify(next.frames)) as InstanceState['frames'],
        vars: JSON.parse(JSON.stringify(next.vars)) as Record<string, Json>,
        pageId: page.stepId,
      });
      next.answers[page.stepId] = values;
      delete next.page;
      next.status = 'running';
      run.endCurrent(StepStatus.Succeeded);
      frame.index += 1;
      run.go();
      break;
    }
    case 'previousPage': {
      const earlier = next.history.pop();
      if (!earlier) return { state, effects: [], log: [], invalid: { page: 'this is the first page: there is no page before it' } };
      run.endCurrent(StepStatus.Canceled, { message: 'went back to the page before' });
      next.frames = earlier.frames;
      next.vars = earlier.vars;
      delete next.page;
      next.status = 'running';
      run.go();
      break;
    }
    case 'wakeUp':
      if (next.status === 'paused') {
        delete next.pausedFrom;
        next.status = 'running';
      }
      if (next.status !== 'waiting' && next.status !== 'running') break;
      if (next.page || next.pending) break;
      if (input.record) next.record = input.record;
      if (input.related) Object.assign(next.related, input.related);
      next.status = 'running';
      run.go();
      break;
  }
  return { state: run.state, effects: run.effects, log: run.log };
}
