/**
 * The interpreter's inputs, effects and persisted state. The state is plain, versioned JSON:
 * a stack of positions in the step tree, variables, step outputs, and what it waits for.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type RecordImage = Record<string, Json>;

export interface StartInput {
  type: 'start';
  operationId: string;
  now: string;
  depth: number;
  /**
   * The primary record (with `ref`: {entity, id}): as the triggering event left it, or, when a
   * failed run is retried from the start, as it is now. `pre`, `changed` and `inputs` always come
   * from the operation's snapshot.
   */
  record: RecordImage;
  pre?: RecordImage | null;
  changed?: string[];
  inputs?: Record<string, Json>;
  /** What started the run beyond its record: a schedule's `scheduleId`, `scheduledAt` and `firedAt`. */
  trigger?: Record<string, Json>;
}

/** A change computed by the gateway from the stored value (see Effect executeMessage). */
export interface RelativeOperation {
  op: 'increment' | 'decrement' | 'multiply' | 'append';
  value: Json;
}

export interface EffectResultInput {
  type: 'effectResult';
  effectId: string;
  ok: boolean;
  /**
   * executeMessage: `id`, `records` (RetrieveMultiple) and `record`, the record as the gateway
   * left it after the operation, so that later steps read what this step wrote.
   */
  output?: Record<string, Json>;
  error?: { code: string; message: string };
  now: string;
}

export interface WakeUpInput {
  type: 'wakeUp';
  now: string;
  /** The record as it is now, when an event woke the run. */
  record?: RecordImage;
  /** Related records a wait watches, as they are now, keyed `entity:id`. */
  related?: Record<string, RecordImage>;
}

export interface PageAnswersInput {
  type: 'pageAnswers';
  pageId: string;
  answers: Record<string, Json>;
  now: string;
}

export type Input =
  | StartInput
  | EffectResultInput
  | WakeUpInput
  | PageAnswersInput
  | { type: 'previousPage'; now: string }
  | { type: 'cancel'; now: string; reason?: string }
  /** Stop at the next step boundary and persist; a wakeUp resumes. */
  | { type: 'pause'; now: string };

export interface PromptView {
  id: string;
  text: string;
  response: {
    type: string;
    required: boolean;
    display?: string;
    options?: Array<{ value: string | number; label: string }>;
    /** lookup: the entity of the records offered (choices from a query) or searched. */
    entity?: string;
    /** lookup the person searches: the attributes holding a record's id and its name. */
    idAttribute?: string;
    labelAttribute?: string;
    default?: Json;
  };
  /** The answer given before, when the page is shown again. */
  answer?: Json;
}

export interface Subscription {
  entity: string;
  recordId: string;
}

export type Effect =
  | {
      type: 'executeMessage';
      effectId: string;
      idempotencyKey: string;
      stepId: string;
      message: string;
      entity: string;
      recordId?: string;
      /** Values to write as they are (set, clear). */
      target: RecordImage;
      /**
       * Relative changes (increment, decrement, multiply, append), applied by the gateway against
       * the record as it is inside its transaction, never computed on the run's copy.
       */
      operations?: Record<string, RelativeOperation>;
      parameters: Record<string, Json>;
    }
  | {
      type: 'startChild';
      effectId: string;
      idempotencyKey: string;
      stepId: string;
      workflow: string;
      inputs: Record<string, Json>;
      wait: boolean;
    }
  | { type: 'customActivity'; effectId: string; idempotencyKey: string; stepId: string; handler: string; inputs: Record<string, Json> }
  | { type: 'wait'; stepId: string; subscriptions: Subscription[]; timer?: string }
  | { type: 'showPage'; stepId: string; title: string; prompts: PromptView[]; canGoBack: boolean }
  | { type: 'linkChildDialog'; stepId: string; dialog: string }
  | { type: 'paused'; stepId: string }
  | { type: 'complete'; outcome: 'succeeded' | 'canceled'; message: string }
  | { type: 'fail'; code: RuntimeErrorCode; message: string };

export type RuntimeErrorCode =
  | 'MAX_STEPS_EXCEEDED'
  | 'MAX_DEPTH_EXCEEDED'
  | 'EXPRESSION_ERROR'
  | 'EXPRESSION_TOO_COSTLY'
  | 'STEP_FAILED'
  | 'INVALID_INPUT'
  | 'UNSUPPORTED_STEP';

/** Step log status codes of the source platform. */
export const StepStatus = { InProgress: 1, Succeeded: 2, Failed: 3, Canceled: 4, Waiting: 5 } as const;

export type StepStatusCode = (typeof StepStatus)[keyof typeof StepStatus];

/**
 * One step of the run's step log. Every step that started has one entry, named by `seq` (the
 * step's start number in the run): an advance gives at most one entry per step, with its status
 * at the end of that advance. A step that waits (a wait, a page) is logged Waiting and, when it
 * ends in a later advance, logged again with the same `seq` and its final status: that entry
 * replaces the earlier one. A step that acts (a record message, a child, a custom activity) is
 * logged when its result arrives, never while it is merely asked for, so a run paused or
 * canceled before the call shows no step that was not called (a cancel logs it Canceled).
 * Containers (stage, condition, a parallelWait that chose a branch) end when their steps end.
 */
export interface StepLogEntry {
  seq: number;
  stepId: string;
  path: string;
  type: string;
  status: StepStatusCode;
  /** When the step started and, once it ended (Succeeded, Failed, Canceled), when it ended. */
  startedAt: string;
  endedAt?: string;
  /** A stop step's message, or the error of a failed step. */
  message?: string;
  /** Failed: why. */
  error?: { code: string; message: string };
}

/** A step that started and has not ended yet. */
export interface OpenStep {
  seq: number;
  stepId: string;
  path: string;
  type: string;
  startedAt: string;
}

export interface Frame {
  /** JSON path of a step list in the definition, e.g. `$.steps[2].branches[0].steps`. */
  list: string;
  index: number;
  /** The container step whose list this is (stage, condition, parallelWait): it ends when the list does. */
  owner?: OpenStep;
}

export interface InstanceState {
  v: 1;
  status: 'running' | 'waiting' | 'paused' | 'completed' | 'failed' | 'canceled';
  /** A pause asked for while an effect was in flight: honoured when its result arrives. */
  pauseRequested?: boolean;
  /** The wait a pause interrupted, re-evaluated on resume. */
  pausedFrom?: 'running' | 'waiting';
  operationId: string;
  depth: number;
  frames: Frame[];
  record: RecordImage;
  /** Related records waits watch, keyed `entity:id` (only those, not whole record graphs). */
  related: Record<string, RecordImage>;
  pre: RecordImage | null;
  changed: string[];
  inputs: Record<string, Json>;
  /** The start input's `trigger` (a scheduled run's time); absent in runs started without one. */
  trigger?: Record<string, Json>;
  vars: Record<string, Json>;
  outputs: Record<string, Record<string, Json>>;
  pending?: { effectId: string; stepPath: string };
  /** The step at the current position that started and has not ended: in flight, waiting, or a page shown. */
  current?: OpenStep;
  /** Dialogs: the page shown, waiting for its answers. */
  page?: { stepId: string; path: string };
  /** Dialogs: answers by page id, and the pages answered so far (to go back to). */
  answers: Record<string, Record<string, Json>>;
  history: Array<{ frames: Frame[]; vars: Record<string, Json>; pageId: string }>;
  /** Deadlines of waits already begun, by step path, so a timeout runs from when it started. */
  deadlines: Record<string, string>;
  stepsExecuted: number;
}

export interface Limits {
  maxStepsPerRun: number;
  maxChildDepth: number;
}

export const DEFAULT_LIMITS: Limits = { maxStepsPerRun: 1000, maxChildDepth: 8 };

export interface Advance {
  state: InstanceState;
  effects: Effect[];
  log: StepLogEntry[];
  /** Dialogs: answers refused, by prompt id; nothing else changed. */
  invalid?: Record<string, string>;
}
