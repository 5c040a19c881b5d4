/**
 * Relative updates: increment, decrement, multiply and append go to the gateway as operations
 * (applied inside its transaction); the record it answers with replaces the run's copy, so a
 * later step reads what earlier steps wrote.
 */
import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { compileDefinition } from '@flowline/process-model';
import { advance } from './advance';
import type { Advance, Effect, Input } from './types';

const workflow = (steps: unknown[], extra: Record<string, unknown> = {}) =>
  compileDefinition(
    { schemaVersion: 1, name: 'T', uniqueName: 'test', category: 'workflow', primaryEntity: 'account', steps, ...extra },
    DEFAULT_ENTITIES,
  );
const now = '2026-11-25T10:00:00.000Z';
const ref = { entity: 'account', id: 'a1' };
const start = (record: Record<string, unknown>): Input => ({ type: 'start', operationId: 'op-1', now, depth: 1, record: record as never });
const answer = (effect: Effect | undefined, output: Record<string, unknown> = {}): Input => ({
  type: 'effectResult',
  effectId: (effect as { effectId: string }).effectId,
  ok: true,
  output: output as never,
  now,
});
const message = (step: Advance) => step.effects.at(-1) as Extract<Effect, { type: 'executeMessage' }>;

describe('relative updates', () => {
  const compiled = workflow([
    ...[1, 10, 100, 1000].map((n) => ({
      id: `add-${n}`,
      type: 'updateRecord',
      set: { numberofemployees: { op: 'increment', value: n } },
    })),
    { id: 'report', type: 'createRecord', entity: 'task', set: { subject: 'Now {{record.numberofemployees}} employees' } },
  ]);

  it('emits one operation per step, never a value computed on the run copy, and a later step reads the record the gateway returned', () => {
    let step = advance(compiled, undefined, start({ ref, name: 'Contoso', numberofemployees: 5 }));
    let stored = 5; // the gateway's record, changed meanwhile by others
    const sent: Array<Extract<Effect, { type: 'executeMessage' }>> = [];
    for (let i = 0; i < 4; i++) {
      const effect = message(step);
      sent.push(effect);
      stored += Number(effect.operations?.['numberofemployees']?.value) + 1; // another writer adds one each time
      step = advance(compiled, step.state, answer(effect, { id: 'a1', record: { name: 'Contoso', numberofemployees: stored } }));
    }
    expect(sent.map((effect) => [effect.target, effect.operations])).toEqual(
      [1, 10, 100, 1000].map((n) => [{}, { numberofemployees: { op: 'increment', value: n } }]),
    );
    expect(message(step)).toMatchObject({ stepId: 'report', target: { subject: `Now ${5 + 1111 + 4} employees` } });
    expect(step.state.record).toEqual({ ref, name: 'Contoso', numberofemployees: 1120 });
    // The record is the run's copy, not a step output.
    expect(step.state.outputs['add-1']).toEqual({ id: 'a1' });
  });

  it('sends set and clear as the target and the others as operations, with their values resolved', () => {
    const mixed = workflow([
      {
        id: 'all',
        type: 'updateRecord',
        set: {
          name: 'Renamed',
          websiteurl: { op: 'clear' },
          description: { op: 'append', value: ' Seen by {{record.name}}.' },
          numberofemployees: { op: 'decrement', value: '=1 + 1' },
          creditlimit: { op: 'multiply', value: 2 },
        },
      },
    ]);
    expect(advance(mixed, undefined, start({ ref, name: 'Contoso' })).effects).toEqual([
      expect.objectContaining({
        message: 'Update',
        recordId: 'a1',
        target: { name: 'Renamed', websiteurl: null },
        operations: {
          description: { op: 'append', value: ' Seen by Contoso.' },
          numberofemployees: { op: 'decrement', value: 2 },
          creditlimit: { op: 'multiply', value: 2 },
        },
      }),
    ]);
  });

  it('applies relative updates to a related record too, and keeps the primary record as it was', () => {
    const related = workflow([
      {
        id: 'bump',
        type: 'updateRecord',
        record: { lookup: 'parentaccountid' },
        set: { numberofemployees: { op: 'increment', value: 1 } },
      },
      { id: 'after', type: 'createRecord', entity: 'task', set: { subject: '{{record.name}}' } },
    ]);
    const first = advance(related, undefined, start({ ref, name: 'Child', parentaccountid: { entity: 'account', id: 'p1' } }));
    expect(first.effects).toEqual([
      expect.objectContaining({ recordId: 'p1', target: {}, operations: { numberofemployees: { op: 'increment', value: 1 } } }),
    ]);
    const next = advance(related, first.state, answer(first.effects[0], { id: 'p1', record: { name: 'Parent', numberofemployees: 8 } }));
    expect(next.effects).toMatchObject([{ stepId: 'after', target: { subject: 'Child' } }]);
  });

  it('takes the returned record of a state change of the primary record, but not of a record a step created', () => {
    const steps = workflow([
      { id: 'close', type: 'setState', state: 1 },
      { id: 'task', type: 'createRecord', entity: 'task', set: { subject: 'T' } },
      { id: 'after', type: 'createRecord', entity: 'task', set: { subject: '{{record.statecode}} {{record.name}}' } },
    ]);
    const first = advance(steps, undefined, start({ ref, name: 'Contoso', statecode: 0 }));
    const second = advance(steps, first.state, answer(first.effects[0], { id: 'a1', record: { name: 'Contoso', statecode: 1 } }));
    const third = advance(steps, second.state, answer(second.effects[0], { id: 't1', record: { subject: 'T', statecode: 0 } }));
    expect(third.effects).toMatchObject([{ stepId: 'after', target: { subject: '1 Contoso' } }]);
    expect(third.state.outputs['task']).toEqual({ id: 't1', record: { subject: 'T', statecode: 0 } });
  });
});

describe('what a resumed run reads', () => {
  it('reads the record as a wake-up brings it, and the trigger inputs (pre, changed, inputs) from the snapshot', () => {
    const compiled = workflow(
      [
        { id: 'later', type: 'waitTimeout', duration: 'PT1H' },
        {
          id: 'report',
          type: 'createRecord',
          entity: 'task',
          set: { subject: '{{pre.name}} -> {{record.name}} ({{changed[0]}})', description: '=string(inputs.n)' },
        },
      ],
      { inputs: [{ name: 'n', type: 'number' }] },
    );
    const waiting = advance(compiled, undefined, {
      ...(start({ ref, name: 'Contoso' }) as Extract<Input, { type: 'start' }>),
      pre: { name: 'Old' },
      changed: ['name'],
      inputs: { n: 7 },
    });
    const woken = advance(compiled, waiting.state, {
      type: 'wakeUp',
      now: '2026-11-25T11:00:00.000Z',
      record: { ref, name: 'Fixed' } as never,
    });
    expect(woken.effects).toMatchObject([{ stepId: 'report', target: { subject: 'Old -> Fixed (name)', description: '7' } }]);
  });
});
