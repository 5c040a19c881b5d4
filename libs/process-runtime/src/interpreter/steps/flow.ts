/** Steps that shape the flow: stages and conditions go into a nested list; stop ends the run. */
import { StepStatus } from '../types';
import type { StepHandler } from './context';

export const stage: StepHandler<'stage'> = (_step, { path, open }, run) => run.enter(open, `${path}.steps`);

export const condition: StepHandler<'condition'> = (step, { path, open }, run) => {
  const chosen = step.branches.findIndex((branch) => run.evaluate(branch.when) === true);
  return run.enter(open, chosen >= 0 ? `${path}.branches[${chosen}].steps` : `${path}.otherwise`);
};

export const stop: StepHandler<'stop'> = (step, { open }, run) => {
  run.logStep(open, step.outcome === 'canceled' ? StepStatus.Canceled : StepStatus.Succeeded, { message: step.message });
  return run.end({ type: 'complete', outcome: step.outcome, message: step.message });
};
