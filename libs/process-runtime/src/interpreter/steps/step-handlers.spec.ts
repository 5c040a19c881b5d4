import { stepTypes } from '@flowline/process-model';
import { STEP_HANDLERS } from './index';
import type { StepHandlers } from './context';

describe('step handlers', () => {
  it('has one handler for every step type of the language, and no other', () => {
    expect(Object.keys(STEP_HANDLERS).sort()).toEqual([...new Set(stepTypes())].sort());
  });

  it('does not compile a handler map that misses a step type', () => {
    const { stop: _stop, ...withoutStop } = STEP_HANDLERS;
    // @ts-expect-error the map must name a handler for every step type: 'stop' is missing
    const incomplete: StepHandlers = withoutStop;
    expect(Object.keys(incomplete)).not.toContain('stop');
  });
});
