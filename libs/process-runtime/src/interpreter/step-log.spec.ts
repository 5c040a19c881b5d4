/**
 * The step log: every step that started has exactly one entry (by its start number, a later
 * entry replacing an earlier one) with its final status, its start and end, and its error when
 * it failed.
 */
import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { compileDefinition, type CompiledDefinition } from '@flowline/process-model';
import { advance } from './advance';
import { StepStatus, type Advance, type Effect, type Input, type StepLogEntry } from './types';

const workflow = (steps: unknown[], category: 'workflow' | 'dialog' = 'workflow') =>
  compileDefinition({ schemaVersion: 1, name: 'T', uniqueName: 'test', category, primaryEntity: 'account', steps }, DEFAULT_ENTITIES);
const t = (second: number) => `2026-11-25T10:00:${String(second).padStart(2, '0')}.000Z`;
const record = { ref: { entity: 'account', id: 'a1' }, name: 'Contoso', creditlimit: 90000 };
const start = (now = t(0)): Input => ({ type: 'start', operationId: 'op-1', now, depth: 1, record: record as never });
const result = (effect: Effect | undefined, now: string, ok = true): Input => ({
  type: 'effectResult',
  effectId: (effect as { effectId: string }).effectId,
  ok,
  ...(ok ? { output: { id: 'x' } } : { error: { code: 'INVALID_TARGET', message: 'subject too long' } }),
  now,
});

/** The step log as a consumer keeps it: one entry per step start, the latest winning. */
class StepLog {
  private readonly entries = new Map<number, StepLogEntry>();
  add(step: Advance): Advance {
    const seqs = step.log.map((entry) => entry.seq);
    expect(new Set(seqs).size).toBe(seqs.length); // at most one entry per step and advance
    for (const entry of step.log) this.entries.set(entry.seq, entry);
    return step;
  }
  get all(): StepLogEntry[] {
    return [...this.entries.values()].sort((a, b) => a.seq - b.seq);
  }
  statuses(): Array<[string, number]> {
    return this.all.map((entry) => [entry.stepId, entry.status]);
  }
}

/** Drives a workflow to its end, every effect succeeding a second after it was asked for. */
function drive(compiled: CompiledDefinition): StepLog {
  const log = new StepLog();
  let clock = 0;
  let step = log.add(advance(compiled, undefined, start(t(clock))));
  while (step.state.status === 'running' && step.state.pending) {
    clock += 1;
    step = log.add(advance(compiled, step.state, result(step.effects.at(-1), t(clock))));
  }
  return log;
}

describe('the step log', () => {
  it('ends a condition and the steps of its branch Succeeded, each once, with its start and end', () => {
    const compiled = workflow([
      {
        id: 'big',
        type: 'condition',
        branches: [
          {
            when: 'record.creditlimit > 50000',
            steps: [
              { id: 'review', type: 'createRecord', entity: 'task', set: { subject: 'Review' } },
              { id: 'again', type: 'createRecord', entity: 'task', set: { subject: 'Again' } },
            ],
          },
        ],
      },
      { id: 'after', type: 'createRecord', entity: 'task', set: { subject: 'After' } },
    ]);
    const log = drive(compiled);
    expect(log.statuses()).toEqual([
      ['big', StepStatus.Succeeded],
      ['review', StepStatus.Succeeded],
      ['again', StepStatus.Succeeded],
      ['after', StepStatus.Succeeded],
    ]);
    expect(log.all).toEqual([
      expect.objectContaining({ stepId: 'big', path: '$.steps[0]', type: 'condition', startedAt: t(0), endedAt: t(2) }),
      expect.objectContaining({ stepId: 'review', path: '$.steps[0].branches[0].steps[0]', startedAt: t(0), endedAt: t(1) }),
      expect.objectContaining({ stepId: 'again', startedAt: t(1), endedAt: t(2) }),
      expect.objectContaining({ stepId: 'after', startedAt: t(2), endedAt: t(3) }),
    ]);
  });

  it('ends a parallelWait Succeeded when its chosen branch is done, after it was logged Waiting', () => {
    const compiled = workflow([
      {
        id: 'either',
        type: 'parallelWait',
        branches: [
          { id: 'big', wait: { id: 'until-big', type: 'waitCondition', until: 'record.creditlimit > 100000' }, steps: [] },
          {
            id: 'late',
            wait: { id: 'a-day', type: 'waitTimeout', duration: 'P1D' },
            steps: [{ id: 'remind', type: 'createRecord', entity: 'task', set: { subject: 'Late' } }],
          },
        ],
      },
    ]);
    const log = new StepLog();
    const waiting = log.add(advance(compiled, undefined, start()));
    expect(waiting.log).toEqual([expect.objectContaining({ stepId: 'either', status: StepStatus.Waiting, startedAt: t(0) })]);
    expect(waiting.log[0]).not.toHaveProperty('endedAt');
    const woken = log.add(advance(compiled, waiting.state, { type: 'wakeUp', now: '2026-11-26T10:00:00.000Z' }));
    expect(woken.log).toEqual([]); // the parallelWait goes on in its branch; the task is only asked for
    const done = log.add(advance(compiled, woken.state, result(woken.effects[0], '2026-11-26T10:00:01.000Z')));
    expect(done.effects.at(-1)).toMatchObject({ type: 'complete', outcome: 'succeeded' });
    expect(log.statuses()).toEqual([
      ['either', StepStatus.Succeeded],
      ['remind', StepStatus.Succeeded],
    ]);
    expect(log.all[0]).toMatchObject({ seq: waiting.log[0]!.seq, startedAt: t(0), endedAt: '2026-11-26T10:00:01.000Z' });
  });

  it('logs a step whose message the gateway refused Failed with its error, and its container too', () => {
    const compiled = workflow([
      { id: 'box', type: 'stage', name: 'Box', steps: [{ id: 'bad', type: 'createRecord', entity: 'task', set: { subject: 'X' } }] },
    ]);
    const log = new StepLog();
    const first = log.add(advance(compiled, undefined, start()));
    const failed = log.add(advance(compiled, first.state, result(first.effects[0], t(1), false)));
    expect(failed.effects).toEqual([{ type: 'fail', code: 'STEP_FAILED', message: "step 'bad' failed: INVALID_TARGET: subject too long" }]);
    expect(log.all).toEqual([
      expect.objectContaining({ stepId: 'box', status: StepStatus.Failed, endedAt: t(1) }),
      expect.objectContaining({
        stepId: 'bad',
        status: StepStatus.Failed,
        startedAt: t(0),
        endedAt: t(1),
        message: 'subject too long',
        error: { code: 'INVALID_TARGET', message: 'subject too long' },
      }),
    ]);
  });

  it('logs a step whose expression fails Failed with the expression error', () => {
    const compiled = workflow([{ id: 'sum', type: 'createRecord', entity: 'task', set: { subject: '=record.name + 1' } }]);
    const failed = advance(compiled, undefined, start());
    expect(failed.effects).toMatchObject([{ type: 'fail', code: 'EXPRESSION_ERROR' }]);
    expect(failed.log).toEqual([
      expect.objectContaining({
        stepId: 'sum',
        status: StepStatus.Failed,
        startedAt: t(0),
        endedAt: t(0),
        error: expect.objectContaining({ code: 'EXPRESSION_ERROR' }),
      }),
    ]);
  });

  it('logs a stop with outcome canceled Canceled, and its enclosing condition with it', () => {
    const compiled = workflow([
      {
        id: 'check',
        type: 'condition',
        branches: [{ when: 'true', steps: [{ id: 'halt', type: 'stop', outcome: 'canceled', message: 'not needed' }] }],
      },
    ]);
    const ended = advance(compiled, undefined, start());
    expect(ended.effects).toEqual([{ type: 'complete', outcome: 'canceled', message: 'not needed' }]);
    expect(ended.log).toEqual([
      expect.objectContaining({ stepId: 'check', status: StepStatus.Canceled }),
      expect.objectContaining({ stepId: 'halt', status: StepStatus.Canceled, message: 'not needed', endedAt: t(0) }),
    ]);
  });

  it('logs a stop with outcome succeeded Succeeded', () => {
    const ended = advance(workflow([{ id: 'halt', type: 'stop', message: 'done' }]), undefined, start());
    expect(ended.log).toEqual([expect.objectContaining({ stepId: 'halt', status: StepStatus.Succeeded, message: 'done' })]);
  });

  it('does not show a step as started when the run paused before it was called, and logs it once when it ran', () => {
    const compiled = workflow([
      { id: 'one', type: 'createRecord', entity: 'task', set: { subject: '1' } },
      { id: 'two', type: 'createRecord', entity: 'task', set: { subject: '2' } },
    ]);
    const log = new StepLog();
    const asked = log.add(advance(compiled, undefined, start()));
    expect(asked.effects).toMatchObject([{ type: 'executeMessage', stepId: 'one' }]);
    expect(asked.log).toEqual([]); // asked for, not called yet: a pause at this boundary shows nothing started
    const pausing = log.add(advance(compiled, asked.state, { type: 'pause', now: t(1) }));
    expect(pausing.log).toEqual([]);
    const paused = log.add(advance(compiled, pausing.state, result(asked.effects[0], t(2))));
    expect(paused.effects).toEqual([{ type: 'paused', stepId: 'two' }]);
    expect(log.statuses()).toEqual([['one', StepStatus.Succeeded]]);
    const resumed = log.add(advance(compiled, paused.state, { type: 'wakeUp', now: t(3) }));
    expect(resumed.log).toEqual([]);
    log.add(advance(compiled, resumed.state, result(resumed.effects[0], t(4))));
    expect(log.all).toEqual([
      expect.objectContaining({ stepId: 'one', status: StepStatus.Succeeded, startedAt: t(0), endedAt: t(2) }),
      expect.objectContaining({ stepId: 'two', status: StepStatus.Succeeded, startedAt: t(3), endedAt: t(4) }),
    ]);
  });

  it('logs the step in flight, or the one waiting, Canceled when the run is canceled', () => {
    const acting = workflow([{ id: 'one', type: 'createRecord', entity: 'task', set: { subject: '1' } }]);
    const asked = advance(acting, undefined, start());
    expect(advance(acting, asked.state, { type: 'cancel', now: t(1) }).log).toEqual([
      expect.objectContaining({ stepId: 'one', status: StepStatus.Canceled, startedAt: t(0), endedAt: t(1) }),
    ]);
    const waiting = workflow([{ id: 'later', type: 'waitTimeout', duration: 'P1D' }]);
    const suspended = advance(waiting, undefined, start());
    const canceled = advance(waiting, suspended.state, { type: 'cancel', now: t(5) });
    expect(canceled.log).toEqual([
      expect.objectContaining({ seq: suspended.log[0]!.seq, stepId: 'later', status: StepStatus.Canceled, endedAt: t(5) }),
    ]);
  });

  it('keeps one entry for a wait re-evaluated by several wake-ups, and counts it as one step', () => {
    const compiled = workflow([{ id: 'until-big', type: 'waitCondition', until: 'record.creditlimit > 100000' }]);
    const log = new StepLog();
    let step = log.add(advance(compiled, undefined, start()));
    for (let i = 1; i <= 3; i++) step = log.add(advance(compiled, step.state, { type: 'wakeUp', now: t(i), record: record as never }));
    expect(step.state.stepsExecuted).toBe(1);
    step = log.add(advance(compiled, step.state, { type: 'wakeUp', now: t(9), record: { ...record, creditlimit: 200000 } as never }));
    expect(step.effects).toEqual([{ type: 'complete', outcome: 'succeeded', message: '' }]);
    expect(log.all).toEqual([
      expect.objectContaining({ stepId: 'until-big', status: StepStatus.Succeeded, startedAt: t(0), endedAt: t(9) }),
    ]);
  });

  it('logs a dialog page Waiting while shown and Succeeded once answered', () => {
    const compiled = workflow(
      [
        { id: 'ask', type: 'page', prompts: [{ id: 'q', text: 'Why?', response: { type: 'text' } }] },
        { id: 'count', type: 'assignValue', variable: 'n', op: 'increment', value: 1 },
      ],
      'dialog',
    );
    const log = new StepLog();
    const shown = log.add(advance(compiled, undefined, start()));
    expect(shown.log).toEqual([expect.objectContaining({ stepId: 'ask', status: StepStatus.Waiting })]);
    log.add(advance(compiled, shown.state, { type: 'pageAnswers', pageId: 'ask', answers: { q: 'because' }, now: t(7) }));
    expect(log.all).toEqual([
      expect.objectContaining({ stepId: 'ask', status: StepStatus.Succeeded, startedAt: t(0), endedAt: t(7) }),
      expect.objectContaining({ stepId: 'count', status: StepStatus.Succeeded, startedAt: t(7), endedAt: t(7) }),
    ]);
  });
});
