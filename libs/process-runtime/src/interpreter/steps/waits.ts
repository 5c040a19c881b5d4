/**
 * Waits: satisfied now, the run goes on; otherwise it stops, Waiting, with the subscriptions
 * and timer that should wake it, and is evaluated again when woken. A parallelWait takes the
 * first branch whose wait is satisfied and goes into its steps.
 */
import type { StepOfType } from '@flowline/process-model';
import type { Subscription } from '../types';
import type { Outcome, StepAt, StepContext, StepHandler } from './context';

function waitHere(step: StepOfType<'waitCondition' | 'waitTimeout'>, { path, open }: StepAt, run: StepContext): Outcome {
  const wait = run.checkWait(step, path);
  if (wait.satisfied) return 'next';
  return run.waitFor(
    { type: 'wait', stepId: step.id, subscriptions: wait.subscriptions, ...(wait.timer ? { timer: wait.timer } : {}) },
    open,
  );
}

export const waitCondition: StepHandler<'waitCondition'> = (step, at, run) => waitHere(step, at, run);
export const waitTimeout: StepHandler<'waitTimeout'> = (step, at, run) => waitHere(step, at, run);

export const parallelWait: StepHandler<'parallelWait'> = (step, { path, open }, run) => {
  const subscriptions: Subscription[] = [];
  const timers: string[] = [];
  for (const [index, branch] of step.branches.entries()) {
    const wait = run.checkWait(branch.wait, `${path}.branches[${index}].wait`, true);
    // The first satisfied branch wins; the others' waits are withdrawn with this run's next wait effect.
    if (wait.satisfied) return run.enter(open, `${path}.branches[${index}].steps`);
    subscriptions.push(...wait.subscriptions);
    if (wait.timer) timers.push(wait.timer);
  }
  timers.sort();
  return run.waitFor({ type: 'wait', stepId: step.id, subscriptions, ...(timers[0] ? { timer: timers[0] } : {}) }, open);
};
