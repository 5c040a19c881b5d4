/**
 * What a step handler may do with the run: read and change its state, evaluate values, ask for
 * an effect, go into a nested list, wait, log, end. Step handlers (one per step type, in this
 * folder) take their compiled, typed step and this context; the run (../run.ts) implements it.
 */
import type { StepOfType, StepType } from '@flowline/process-model';
import type {
  Effect,
  InstanceState,
  Json,
  Limits,
  OpenStep,
  RecordImage,
  RelativeOperation,
  RuntimeErrorCode,
  StepStatusCode,
  Subscription,
} from '../types';

/** What a step did: go on with the next one, go into a nested list, stop here for now, or end the run. */
export type Outcome = 'next' | 'entered' | 'paused' | 'ended';

/** A step's failure: the run fails with its code and message. */
export class RunError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Where the step is and its start, as the log knows it. */
export interface StepAt {
  path: string;
  open: OpenStep;
}

/** A step that names the record it acts on: the primary record or a lookup of it. */
export interface RecordStep {
  id: string;
  record?: 'primary' | { lookup: string };
}

export interface WaitCheck {
  satisfied: boolean;
  subscriptions: Subscription[];
  timer?: string;
}

export type LogDetail = { message?: string; error?: { code: string; message: string } };

export interface StepContext {
  readonly state: InstanceState;
  readonly now: string;
  readonly limits: Limits;
  /** An expression over the run's bindings (`record` replaced by a related one when given). */
  evaluate(source: string, record?: RecordImage): Json;
  /** A literal, template or `=expression` value. */
  resolve(value: unknown): Json;
  /** The record a step acts on; fails the step when its lookup is empty. */
  target(step: RecordStep): { entity: string; id: string };
  /** Whether the step acts on a related record whose lookup is empty. */
  emptyLookup(step: RecordStep): boolean;
  /** The id (and idempotency key) of the effect of the step at a path. */
  effectId(path: string): string;
  /** Asks for an effect and stops until its result arrives. */
  pause(effect: Extract<Effect, { effectId: string }>, path: string): 'paused';
  /** Asks the gateway for a record message. */
  message(
    step: { id: string },
    path: string,
    message: string,
    entity: string,
    recordId: string | undefined,
    target: RecordImage,
    parameters?: Record<string, Json>,
    operations?: Record<string, RelativeOperation>,
  ): 'paused';
  /** A container goes into one of its lists; it stays open until the list ends. */
  enter(open: OpenStep, list: string): 'entered';
  /** Whether a wait is satisfied now; if not, what should wake it. `branch`: a parallelWait's branch. */
  checkWait(step: StepOfType<'waitCondition' | 'waitTimeout'>, path: string, branch?: boolean): WaitCheck;
  /** Stops the run here, waiting for what the effect names. */
  waitFor(effect: Extract<Effect, { type: 'wait' }>, open: OpenStep): 'paused';
  logStep(open: OpenStep, status: StepStatusCode, detail?: LogDetail): void;
  /** Ends the run. */
  end(effect: Extract<Effect, { type: 'complete' | 'fail' }>): 'ended';
  /** Records an effect that needs no result (a page shown, a dialog linked). */
  emit(effect: Effect): void;
}

export type StepHandler<T extends StepType> = (step: StepOfType<T>, at: StepAt, run: StepContext) => Outcome;

/** One handler per step type: a step type without one does not compile. */
export type StepHandlers = { readonly [T in StepType]: StepHandler<T> };
