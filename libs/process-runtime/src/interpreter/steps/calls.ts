/** Steps that call beyond the gateway: a child workflow, a custom activity. */
import type { Json } from '../types';
import { RunError, type StepHandler } from './context';

export const startChild: StepHandler<'startChild'> = (step, { path }, run) => {
  const depth = run.state.depth + 1;
  if (depth > run.limits.maxChildDepth) {
    throw new RunError(
      'MAX_DEPTH_EXCEEDED',
      `step '${step.id}' would start '${step.workflow}' at depth ${depth}, beyond the limit of ${run.limits.maxChildDepth}: workflows are starting each other in a loop`,
    );
  }
  const effectId = run.effectId(path);
  return run.pause(
    {
      type: 'startChild',
      effectId,
      idempotencyKey: effectId,
      stepId: step.id,
      workflow: step.workflow,
      inputs: run.resolve(step.inputs) as Record<string, Json>,
      wait: step.wait,
    },
    path,
  );
};

export const customActivity: StepHandler<'customActivity'> = (step, { path }, run) => {
  const effectId = run.effectId(path);
  return run.pause(
    {
      type: 'customActivity',
      effectId,
      idempotencyKey: effectId,
      stepId: step.id,
      handler: step.handler,
      inputs: run.resolve(step.inputs) as Record<string, Json>,
    },
    path,
  );
};
