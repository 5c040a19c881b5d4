import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { compileDefinition } from '@flowline/process-model';
import { advance } from './advance';
import type { Effect } from './types';

const compiled = compileDefinition(
  {
    schemaVersion: 1,
    name: 'Scheduled',
    uniqueName: 'scheduled',
    category: 'workflow',
    primaryEntity: 'account',
    triggers: [{ on: 'schedule', every: '1h' }],
    steps: [
      { id: 'pause', type: 'waitTimeout', duration: 'PT1M' },
      {
        id: 'note',
        type: 'createRecord',
        entity: 'task',
        set: { subject: 'run of {{trigger.scheduledAt}}', description: '=has(trigger.scheduledAt) ? "scheduled" : "not scheduled"' },
      },
    ],
  },
  DEFAULT_ENTITIES,
);

const created = (effect: Effect | undefined) => (effect as { target: Record<string, unknown> }).target;

describe('the trigger variable', () => {
  it("reads a scheduled run's time, kept across a wait, on a run with no primary record", () => {
    const record = { ref: { entity: 'account', id: '' } };
    let step = advance(compiled, undefined, {
      type: 'start',
      operationId: 'op-1',
      now: '2026-03-29T01:00:02.000Z',
      depth: 1,
      record,
      trigger: { type: 'schedule', scheduledAt: '2026-03-29T01:00:00.000Z' },
    });
    expect(step.effects.at(-1)?.type).toBe('wait');
    step = advance(compiled, step.state, { type: 'wakeUp', now: '2026-03-29T01:01:03.000Z' });
    expect(created(step.effects.at(-1))).toEqual({ subject: 'run of 2026-03-29T01:00:00.000Z', description: 'scheduled' });
  });

  it('is empty for a run started otherwise', () => {
    let step = advance(compiled, undefined, {
      type: 'start',
      operationId: 'op-2',
      now: '2026-01-01T00:00:00.000Z',
      depth: 1,
      record: { ref: { entity: 'account', id: 'a1' } },
    });
    step = advance(compiled, step.state, { type: 'wakeUp', now: '2026-01-01T00:02:00.000Z' });
    expect(created(step.effects.at(-1))).toEqual({ subject: 'run of ', description: 'not scheduled' });
  });
});
