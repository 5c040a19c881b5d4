import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { compileDefinition, parseSource, type CompiledDefinition } from '@flowline/process-model';
import { advance } from './advance';
import type { Effect, Input, InstanceState, RelativeOperation } from './types';

const example = (file: string): CompiledDefinition => {
  const parsed = parseSource(readFileSync(path.resolve(__dirname, '../../../../examples', file), 'utf8'), 'yaml');
  if (!parsed.ok) throw new Error(parsed.errors[0]!.message);
  return compileDefinition(parsed.value, DEFAULT_ENTITIES);
};
const start = (record: Record<string, unknown>, now = '2026-11-25T10:00:00.000Z'): Input => ({
  type: 'start',
  operationId: 'op-1',
  now,
  depth: 1,
  record: record as never,
  changed: [],
});
const ok = (effect: Effect, output: Record<string, unknown> = {}, now = '2026-11-25T10:00:01.000Z'): Input => ({
  type: 'effectResult',
  effectId: (effect as { effectId: string }).effectId,
  ok: true,
  output: output as never,
  now,
});

describe('advance: workflows', () => {
  it('runs account onboarding to completion, one effect at a time, with templates and idempotency keys', () => {
    const compiled = example('account-onboarding.workflow.yaml');
    const record = { ref: { entity: 'account', id: 'a1' }, name: 'Contoso', emailaddress1: 'hi@contoso.test', creditlimit: 90000 };
    let step = advance(compiled, undefined, start(record));
    const seen: Effect[] = [];
    while (step.state.status === 'running') {
      const effect = step.effects.at(-1)!;
      seen.push(effect);
      step = advance(compiled, step.state, ok(effect, { id: `new-${seen.length}` }));
    }
    seen.push(...step.effects);
    expect(seen.map((e) => (e.type === 'executeMessage' ? `${e.message} ${e.entity}` : e.type))).toEqual([
      'Create task',
      'Update account',
      'Create email',
      'Create task',
      'complete',
    ]);
    expect(seen[0]).toMatchObject({
      idempotencyKey: 'op-1:$.steps[0]',
      target: { subject: 'Welcome call with Contoso', regardingobjectid: { entity: 'account', id: 'a1' }, prioritycode: 1 },
    });
    expect(seen[2]).toMatchObject({ target: { subject: 'Welcome to Flowline, Contoso', to: 'hi@contoso.test' } });
    expect(seen[3]).toMatchObject({
      idempotencyKey: 'op-1:$.steps[3].branches[0].steps[0]',
      target: { subject: 'Review credit limit of Contoso' },
    });
    expect(step.state.outputs['follow-up']).toEqual({ id: 'new-1' });
    expect(seen.at(-1)).toEqual({ type: 'complete', outcome: 'succeeded', message: '' });
  });

  it('waits for a case to be resolved, and resumes when a later update satisfies the condition', () => {
    const compiled = example('case-escalation.workflow.yaml');
    const record = { ref: { entity: 'incident', id: 'c1' }, title: 'Printer', statecode: 0 };
    const first = advance(compiled, undefined, start(record));
    expect(first.state.status).toBe('waiting');
    expect(first.effects).toEqual([
      {
        type: 'wait',
        stepId: 'resolved-or-late',
        subscriptions: [{ entity: 'incident', recordId: 'c1' }],
        timer: '2026-11-28T10:00:00.000Z',
      },
    ]);
    const stillOpen = advance(compiled, first.state, {
      type: 'wakeUp',
      now: '2026-11-26T09:00:00.000Z',
      record: { ...record, title: 'Printer!' } as never,
    });
    expect(stillOpen.effects).toEqual([
      {
        type: 'wait',
        stepId: 'resolved-or-late',
        subscriptions: [{ entity: 'incident', recordId: 'c1' }],
        timer: '2026-11-28T10:00:00.000Z',
      },
    ]);
    const resolved = advance(compiled, stillOpen.state, {
      type: 'wakeUp',
      now: '2026-11-27T09:00:00.000Z',
      record: { ...record, statecode: 1 } as never,
    });
    expect(resolved.effects).toEqual([{ type: 'complete', outcome: 'succeeded', message: 'resolved in time' }]);
    expect(resolved.state.status).toBe('completed');
  });

  it('escalates when the three days pass first', () => {
    const compiled = example('case-escalation.workflow.yaml');
    const record = { ref: { entity: 'incident', id: 'c2' }, title: 'Slow', statecode: 0 };
    const waiting = advance(compiled, undefined, start(record));
    const timer = advance(compiled, waiting.state, { type: 'wakeUp', now: '2026-11-28T10:00:00.000Z' });
    expect(timer.effects).toMatchObject([
      { type: 'executeMessage', message: 'Update', entity: 'incident', recordId: 'c2', target: { prioritycode: 1, isescalated: true } },
    ]);
    const task = advance(compiled, timer.state, ok(timer.effects[0]!));
    expect(task.effects).toMatchObject([
      { type: 'executeMessage', message: 'Create', entity: 'task', target: { subject: 'Escalated: Slow' } },
    ]);
    expect(advance(compiled, task.state, ok(task.effects[0]!)).effects).toEqual([{ type: 'complete', outcome: 'succeeded', message: '' }]);
  });

  it('fails with the step and the reason when an effect fails, and cancels on request', () => {
    const compiled = example('account-onboarding.workflow.yaml');
    const first = advance(compiled, undefined, start({ ref: { entity: 'account', id: 'a1' }, name: 'X' }));
    const failed = advance(compiled, first.state, {
      type: 'effectResult',
      effectId: 'op-1:$.steps[0]',
      ok: false,
      error: { code: 'INVALID_TARGET', message: 'subject too long' },
      now: '2026-11-25T10:00:01Z',
    });
    expect(failed.effects).toEqual([
      { type: 'fail', code: 'STEP_FAILED', message: "step 'follow-up' failed: INVALID_TARGET: subject too long" },
    ]);
    const canceled = advance(compiled, first.state, { type: 'cancel', now: '2026-11-25T10:00:01Z', reason: 'canceled by an operator' });
    expect(canceled.effects).toEqual([{ type: 'complete', outcome: 'canceled', message: 'canceled by an operator' }]);
    expect(advance(compiled, canceled.state, ok(first.effects[0]!)).effects).toEqual([]);
  });

  it('enforces the step and child-depth limits with clear errors', () => {
    const compiled = example('account-onboarding.workflow.yaml');
    const limited = advance(compiled, undefined, start({ ref: { entity: 'account', id: 'a' }, name: 'X' }), {
      maxStepsPerRun: 0,
      maxChildDepth: 8,
    });
    expect(limited.effects).toEqual([
      { type: 'fail', code: 'MAX_STEPS_EXCEEDED', message: 'the run took more than 0 steps: raise the limit or split the workflow' },
    ]);
    const parent = compileDefinition(
      {
        schemaVersion: 1,
        name: 'P',
        uniqueName: 'parent',
        category: 'workflow',
        primaryEntity: 'account',
        steps: [{ id: 'child', type: 'startChild', workflow: 'other' }],
      },
      DEFAULT_ENTITIES,
    );
    const deep = advance(parent, undefined, {
      ...(start({ ref: { entity: 'account', id: 'a' } }) as Extract<Input, { type: 'start' }>),
      depth: 8,
    });
    expect(deep.effects[0]).toMatchObject({ type: 'fail', code: 'MAX_DEPTH_EXCEEDED' });
  });
});

function applyOperations<T extends Record<string, unknown>>(record: T, operations: Record<string, RelativeOperation>): T {
  const next: Record<string, unknown> = { ...record };
  for (const [name, { op, value }] of Object.entries(operations)) {
    const current = next[name];
    if (op === 'append') next[name] = `${current == null ? '' : String(current)}${value == null ? '' : String(value)}`;
    else {
      const base = typeof current === 'number' ? current : 0;
      next[name] = op === 'increment' ? base + Number(value) : op === 'decrement' ? base - Number(value) : base * Number(value);
    }
  }
  return next as T;
}

describe('resume anywhere', () => {
  // Generated workflows of conditions, updates, creates and waits over a numeric attribute.
  type Gen = Record<string, unknown>;
  let counter = 0;
  const id = () => `s${counter++}`;
  const leaf: fc.Arbitrary<() => Gen> = fc.oneof(
    fc
      .integer({ min: 0, max: 9 })
      .map((n) => () => ({ id: id(), type: 'updateRecord', set: { numberofemployees: { op: 'increment', value: n } } })),
    fc.constant(() => ({ id: id(), type: 'createRecord', entity: 'task', set: { subject: 'From {{record.name}}' } })),
    fc.integer({ min: 1, max: 5 }).map((h) => () => ({ id: id(), type: 'waitTimeout', duration: `PT${h}H` })),
    fc.integer({ min: 0, max: 20 }).map((n) => () => ({ id: id(), type: 'waitCondition', until: `record.numberofemployees >= ${n}` })),
  );
  const tree: fc.Arbitrary<() => Gen> = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('condition') as fc.Arbitrary<() => Gen>),
    condition: fc
      .tuple(
        fc.integer({ min: 0, max: 20 }),
        fc.array(tie('node') as fc.Arbitrary<() => Gen>, { maxLength: 3 }),
        fc.array(tie('node') as fc.Arbitrary<() => Gen>, { maxLength: 3 }),
      )
      .map(([n, yes, no]) => () => ({
        id: id(),
        type: 'condition',
        branches: [{ when: `record.numberofemployees > ${n}`, steps: yes.map((f) => f()) }],
        otherwise: no.map((f) => f()),
      })),
  })).node;

  /** Drives a run with a fixed script of world behaviour; optionally persists and reloads the state between every input. */
  function drive(compiled: CompiledDefinition, persist: boolean): Effect[] {
    const all: Effect[] = [];
    let record = { ref: { entity: 'account', id: 'a1' }, name: 'Gen', numberofemployees: 3 };
    let clock = Date.parse('2026-11-25T00:00:00Z');
    let result = advance(compiled, undefined, start(record, new Date(clock).toISOString()));
    const reload = (state: InstanceState) => (persist ? (JSON.parse(JSON.stringify(state)) as InstanceState) : state);
    for (let guard = 0; guard < 200; guard++) {
      all.push(...result.effects);
      const last = result.effects.at(-1);
      if (!last || last.type === 'complete' || last.type === 'fail') break;
      clock += 60 * 60 * 1000;
      if (last.type === 'executeMessage') {
        // The gateway applies the operations to the stored record and answers with the record after.
        if (last.message === 'Update') record = applyOperations({ ...record, ...(last.target as object) }, last.operations ?? {});
        result = advance(compiled, reload(result.state), {
          type: 'effectResult',
          effectId: last.effectId,
          ok: true,
          output: (last.message === 'Update' ? { id: 'x', record } : { id: 'x' }) as never,
          now: new Date(clock).toISOString(),
        });
      } else if (last.type === 'wait') {
        record = { ...record, numberofemployees: record.numberofemployees + 2 };
        result = advance(compiled, reload(result.state), { type: 'wakeUp', now: new Date(clock).toISOString(), record: record as never });
      } else break;
    }
    return all;
  }

  it('gives exactly the effects of an uninterrupted run when the state is saved and reloaded after every step', () => {
    fc.assert(
      fc.property(fc.array(tree, { minLength: 1, maxLength: 5 }), (makers) => {
        counter = 0;
        const compiled = compileDefinition(
          {
            schemaVersion: 1,
            name: 'Generated',
            uniqueName: 'generated',
            category: 'workflow',
            primaryEntity: 'account',
            steps: makers.map((make) => make()),
          },
          DEFAULT_ENTITIES,
        );
        const straight = drive(compiled, false);
        const resumed = drive(compiled, true);
        expect(resumed).toEqual(straight);
        expect(straight.at(-1)?.type).toMatch(/complete|fail/);
      }),
      { numRuns: 150 },
    );
  });
});

describe('advance: parallel waits (credit check)', () => {
  const compiled = example('credit-check.workflow.yaml');
  const record = {
    ref: { entity: 'opportunity', id: 'o1' },
    name: 'Big deal',
    description: 'New.',
    customerid: { entity: 'account', id: 'acc-1' },
  };
  const waiting = () => {
    const created = advance(compiled, undefined, start(record));
    return advance(compiled, created.state, ok(created.effects[0]!, { id: 'task-1' }));
  };

  it('waits on the opportunity, the related account and a five-day timer at once', () => {
    expect(waiting().effects).toEqual([
      {
        type: 'wait',
        stepId: 'first-decision',
        subscriptions: [
          { entity: 'opportunity', recordId: 'o1' },
          { entity: 'account', recordId: 'acc-1' },
        ],
        timer: '2026-11-30T10:00:01.000Z',
      },
    ]);
  });

  it('takes the first branch satisfied, by a change of the related record, and withdraws the others', () => {
    const woken = advance(compiled, waiting().state, {
      type: 'wakeUp',
      now: '2026-11-26T10:00:00.000Z',
      related: { 'account:acc-1': { statecode: 0 } },
    });
    expect(woken.effects).toMatchObject([
      {
        type: 'executeMessage',
        stepId: 'note-customer-active',
        target: {},
        operations: { description: { op: 'append', value: ' Credit approved after review.' } },
      },
    ]);
    expect(advance(compiled, woken.state, ok(woken.effects[0]!)).effects).toEqual([
      { type: 'complete', outcome: 'succeeded', message: '' },
    ]);
  });

  it('puts the deal on hold when the timer fires first', () => {
    const late = advance(compiled, waiting().state, { type: 'wakeUp', now: '2026-11-30T10:00:01.000Z' });
    expect(late.effects).toMatchObject([
      { type: 'executeMessage', message: 'SetState', entity: 'opportunity', recordId: 'o1', parameters: { state: 0, status: 2 } },
    ]);
  });
});

describe('advance: pause', () => {
  it('pauses at the next step boundary, even with an effect in flight, and resumes on wake-up', () => {
    const compiled = example('account-onboarding.workflow.yaml');
    const first = advance(compiled, undefined, start({ ref: { entity: 'account', id: 'a1' }, name: 'Contoso' }));
    const asked = advance(compiled, first.state, { type: 'pause', now: '2026-11-25T10:00:00.500Z' });
    expect(asked.effects).toEqual([]);
    const paused = advance(compiled, asked.state, ok(first.effects[0]!));
    expect(paused.effects).toEqual([{ type: 'paused', stepId: 'mark-started' }]);
    expect(paused.state.status).toBe('paused');
    const resumed = advance(compiled, paused.state, { type: 'wakeUp', now: '2026-11-26T10:00:00Z' });
    expect(resumed.effects).toMatchObject([{ type: 'executeMessage', stepId: 'mark-started', message: 'Update' }]);
  });

  it('pauses a waiting run and re-evaluates its wait when resumed', () => {
    const compiled = example('case-escalation.workflow.yaml');
    const waiting = advance(compiled, undefined, start({ ref: { entity: 'incident', id: 'c1' }, statecode: 0 }));
    const paused = advance(compiled, waiting.state, { type: 'pause', now: '2026-11-25T11:00:00Z' });
    expect(paused.effects).toEqual([{ type: 'paused', stepId: 'resolved-or-late' }]);
    const resumed = advance(compiled, paused.state, {
      type: 'wakeUp',
      now: '2026-11-25T12:00:00Z',
      record: { ref: { entity: 'incident', id: 'c1' }, statecode: 1 },
    });
    expect(resumed.effects).toEqual([{ type: 'complete', outcome: 'succeeded', message: 'resolved in time' }]);
  });
});
