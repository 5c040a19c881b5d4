/**
 * advance(compiled, state, input) -> { state, effects, log }: the deterministic interpreter of
 * workflows and dialogs. Given the same compiled definition, persisted state and input it always
 * gives the same answer; it does no I/O (the executor and the session service perform the
 * effects and feed back their results).
 *
 * This file takes the input (start, an effect's result, a wake-up, a page's answers, going
 * back, pause, cancel) and hands the walk to the run (./run.ts), which hands each step to the
 * handler of its type (./steps). Steps that act on the world emit one effect and pause until
 * its result arrives; waits emit the subscriptions and timer that should wake the run and leave
 * it waiting; everything else runs straight on.
 */
import type { CompiledDefinition } from '@flowline/process-model';
import { checkAnswers, withChoices, type PromptSpec } from './answers';
import { listAt, Run } from './run';
import { DEFAULT_LIMITS, StepStatus, type Advance, type Input, type InstanceState, type Json, type Limits } from './types';

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
    ...(input.trigger ? { trigger: input.trigger } : {}),
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
      run.end({ type: 'complete', outcome: 'canceled', message: input.reason ?? 'canceled' });
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
      const step = listAt(compiled.definition as unknown as Record<string, unknown>, frame.list)[frame.index];
      if (step?.type !== 'page') throw new Error(`the page '${page.stepId}' is not at the run's position ${frame.list}[${frame.index}]`);
      // The choices as shown: the variables do not change while a page waits for its answers.
      const prompts = (step.prompts as unknown as PromptSpec[]).map((prompt) => withChoices(prompt, next.vars));
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
