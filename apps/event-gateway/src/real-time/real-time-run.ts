/**
 * One run of a real-time workflow inside an operation's transaction: the interpreter
 * (`advance` from @flowline/process-runtime) decides, this file performs its effects, one
 * handler per effect type. Record steps go through the same pipeline in the same transaction
 * at depth + 1; at PreOperation an update of the primary record changes the operation's target
 * instead. Nothing waits and nothing is persisted: the run lives as long as the call. A run
 * that fails, or stops as canceled, refuses the operation with its message, and the whole
 * operation rolls back.
 */
import { PipelineStage, SdkMessage } from '@flowline/contracts';
import { advance, type Effect, type Input, type InstanceState, type Json, type RecordImage } from '@flowline/process-runtime';
import { FlowlineError } from '@flowline/rpc';
import { PipelineErrorCode } from '../pipeline/pipeline.errors';
import type { ExecuteInput, ExecuteResult } from '../pipeline/pipeline.types';
import type { RealTimeStage, RealTimeWorkflow } from './real-time-workflows';
import { timeOrderedId } from '@flowline/persistence';

export const REAL_TIME_REFUSED = 'REALTIME_WORKFLOW_REFUSED';

/** Failures of a record step that are not the step's own: they end the operation unchanged. */
const PASSED_THROUGH = new Set<string>([REAL_TIME_REFUSED, PipelineErrorCode.LoopDetected]);

/** What a run sees of the operation it runs in, and how it acts. */
export interface RealTimeRun {
  stage: RealTimeStage;
  message: string;
  entity: string;
  recordId: string;
  /** The primary record as the stage sees it (at PreOperation: as it will be). */
  record: Record<string, unknown>;
  pre: Record<string, unknown> | null;
  changed: string[];
  depth: number;
  correlationId: string;
  initiatingUserId: string;
  /** PreOperation: an update of the primary record joins the target; answers the record as it will be. */
  changeTarget(target: Record<string, unknown>, operations: Record<string, unknown> | undefined): Record<string, unknown>;
  /** A record step: the same pipeline, in the same transaction. */
  execute(input: ExecuteInput): Promise<ExecuteResult>;
}

/** How a run ended when it did not refuse the operation. */
export interface RealTimeOutcome {
  steps: number;
  /** Whether a record step went through the pipeline (the primary record may have changed). */
  actedOnRecords: boolean;
}

type Next = { input: Input } | { done: true };
type Handler<T extends Effect['type']> = (effect: Extract<Effect, { type: T }>, run: ActiveRun) => Promise<Next>;

interface ActiveRun {
  workflow: RealTimeWorkflow;
  context: RealTimeRun;
  actedOnRecords: boolean;
}

const now = () => new Date().toISOString();

function refuse(run: ActiveRun, reason: string): FlowlineError {
  return new FlowlineError(
    'FAILED_PRECONDITION',
    REAL_TIME_REFUSED,
    `real-time workflow '${run.workflow.uniqueName}' refused ${run.context.message} of ${run.context.entity}: ${reason}`,
  );
}

function failed(effectId: string, code: string, message: string): Next {
  return { input: { type: 'effectResult', effectId, ok: false, error: { code, message }, now: now() } };
}

function succeeded(effectId: string, output: Record<string, Json>): Next {
  return { input: { type: 'effectResult', effectId, ok: true, output, now: now() } };
}

const executeMessage: Handler<'executeMessage'> = async (effect, run) => {
  const { context } = run;
  const onPrimary = effect.entity === context.entity && effect.recordId === context.recordId;
  if (onPrimary && context.stage === PipelineStage.PreOperation) {
    if (effect.message !== SdkMessage.Update) {
      return failed(
        effect.effectId,
        'NOT_BEFORE_THE_OPERATION',
        `a PreOperation real-time workflow changes its own record only by updating it (the change joins the ${context.message}); ${effect.message} it at PostOperation`,
      );
    }
    try {
      const record = context.changeTarget(effect.target, effect.operations);
      return succeeded(effect.effectId, { id: context.recordId, record: record as Json });
    } catch (error) {
      if (error instanceof FlowlineError) return failed(effect.effectId, error.code, error.fullMessage);
      throw error;
    }
  }
  try {
    const result = await context.execute({
      message: effect.message,
      entity: effect.entity,
      ...(effect.recordId ? { id: effect.recordId } : {}),
      target: effect.target,
      ...(effect.operations && Object.keys(effect.operations).length > 0 ? { operations: effect.operations } : {}),
      parameters: effect.parameters,
      expectedVersion: 0,
      depth: context.depth + 1,
      correlationId: context.correlationId,
      columns: [],
      initiatingUserId: context.initiatingUserId,
      origin: `realtime:${run.workflow.uniqueName}`,
    });
    if (effect.message !== SdkMessage.Retrieve && effect.message !== SdkMessage.RetrieveMultiple) run.actedOnRecords = true;
    return succeeded(effect.effectId, {
      id: result.id,
      ...(result.record ? { record: result.record as Json } : {}),
      ...(result.records ? { records: result.records as Json } : {}),
    });
  } catch (error) {
    // A deeper workflow's refusal, or a loop, ends this run too, and reaches the caller as it is.
    if (error instanceof FlowlineError && !PASSED_THROUGH.has(error.code)) return failed(effect.effectId, error.code, error.fullMessage);
    throw error;
  }
};

const startChild: Handler<'startChild'> = async (effect) =>
  failed(
    effect.effectId,
    'NOT_IN_REAL_TIME',
    `a real-time workflow cannot start the child workflow '${effect.workflow}': children run in the background; start it from a background workflow`,
  );

const customActivity: Handler<'customActivity'> = async (effect) =>
  effect.handler === 'noop'
    ? succeeded(effect.effectId, {})
    : failed(
        effect.effectId,
        'NOT_IN_REAL_TIME',
        `the custom activity '${effect.handler}' runs only in background workflows (a real-time workflow runs inside the operation's transaction)`,
      );

const cannotRun =
  <T extends Effect['type']>(what: string): Handler<T> =>
  async (_effect, run) => {
    throw refuse(run, `it reached ${what}, which a real-time workflow cannot do`);
  };

const complete: Handler<'complete'> = async (effect, run) => {
  // A real-time workflow that stops as canceled cancels the operation, with its message.
  if (effect.outcome === 'canceled') throw refuse(run, effect.message || 'it stopped the operation');
  return { done: true };
};

const fail: Handler<'fail'> = async (effect, run) => {
  throw refuse(run, effect.message);
};

const HANDLERS: { [T in Effect['type']]: Handler<T> } = {
  executeMessage,
  startChild,
  customActivity,
  wait: cannotRun<'wait'>('a wait'),
  showPage: cannotRun<'showPage'>('a dialog page'),
  linkChildDialog: cannotRun<'linkChildDialog'>('a dialog link'),
  paused: cannotRun<'paused'>('a pause'),
  complete,
  fail,
};

async function perform(effect: Effect, run: ActiveRun): Promise<Next> {
  return (HANDLERS[effect.type] as Handler<Effect['type']>)(effect, run);
}

export async function runRealTimeWorkflow(workflow: RealTimeWorkflow, context: RealTimeRun): Promise<RealTimeOutcome> {
  const run: ActiveRun = { workflow, context, actedOnRecords: false };
  let state: InstanceState | undefined;
  let input: Input = {
    type: 'start',
    operationId: timeOrderedId(),
    now: now(),
    depth: context.depth,
    record: { ...context.record, ref: { entity: context.entity, id: context.recordId } } as RecordImage,
    pre: context.pre as RecordImage | null,
    changed: context.changed,
  };
  for (;;) {
    const result = advance(workflow.compiled, state, input);
    state = result.state;
    const effect = result.effects.at(-1);
    if (!effect) throw refuse(run, 'the interpreter stopped without an outcome');
    const next = await perform(effect, run);
    if ('done' in next) return { steps: state.stepsExecuted, actedOnRecords: run.actedOnRecords };
    input = next.input;
  }
}
