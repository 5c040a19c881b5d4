import { compileSchedule, type AuthoredSchedule } from '@flowline/process-model';
import { planFiring, nextOf, type ScheduleState } from './firing-plan';

const GRACE = 60_000;
const at = (iso: string) => new Date(iso);
const state = (authored: AuthoredSchedule, nextDueAt: string | null, bufferedDueAt: string | null = null): ScheduleState => ({
  id: 'def:0',
  spec: compileSchedule(authored, 0),
  nextDueAt: nextDueAt ? at(nextDueAt) : null,
  bufferedDueAt: bufferedDueAt ? at(bufferedDueAt) : null,
});
const iso = (dates: Array<{ dueAt: Date }>) => dates.map((d) => d.dueAt.toISOString());

/** Walks a schedule with an injected clock: each due time fired on time, as a running scheduler would. */
function walk(authored: AuthoredSchedule, from: string, count: number): string[] {
  let s = state(authored, null);
  s = { ...s, nextDueAt: nextOf(s, at(from)).nextDueAt };
  const fired: string[] = [];
  for (let i = 0; i < count && s.nextDueAt; i++) {
    const plan = planFiring(s, s.nextDueAt, false, GRACE);
    fired.push(...iso(plan.fire));
    s = { ...s, nextDueAt: plan.nextDueAt, bufferedDueAt: plan.bufferedDueAt };
  }
  return fired;
}

describe('planFiring', () => {
  it('fires a due time once and moves on to the next', () => {
    const plan = planFiring(state({ cron: '0 */5 * * * *' }, '2026-01-01T10:05:00Z'), at('2026-01-01T10:05:00.300Z'), false, GRACE);
    expect(plan.fire).toEqual([{ dueAt: at('2026-01-01T10:05:00Z'), outcome: 'fired' }]);
    expect(plan.nextDueAt).toEqual(at('2026-01-01T10:10:00Z'));
    expect(planFiring(state({ every: '30s' }, '2026-01-01T10:00:30Z'), at('2026-01-01T10:00:10Z'), false, GRACE).fire).toEqual([]);
  });

  it('fires 02:30 Europe/Berlin at 03:00 CEST on the spring change (2026-03-29) and once on the autumn change (2026-10-25)', () => {
    const daily = { cron: '30 2 * * *', timeZone: 'Europe/Berlin' };
    expect(walk(daily, '2026-03-27T12:00:00Z', 4)).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 02:30 does not exist: 03:00 CEST
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ]);
    expect(walk(daily, '2026-10-23T12:00:00Z', 4)).toEqual([
      '2026-10-24T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T00:30:00.000Z', // 02:30 happens twice: fired once, at the first
      '2026-10-26T01:30:00.000Z', // 02:30 CET
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it('keeps an hourly Berlin cron at 23 firings on the spring day and 25 on the autumn day, each hour once', () => {
    const hourly = { cron: '0 * * * *', timeZone: 'Europe/Berlin' };
    const spring = walk(hourly, '2026-03-28T22:59:59Z', 30).filter((t) => t < '2026-03-29T22:00:00.000Z');
    expect(spring).toHaveLength(23);
    const autumn = walk(hourly, '2026-10-24T21:59:59Z', 30).filter((t) => t < '2026-10-25T23:00:00.000Z');
    expect(autumn).toHaveLength(25);
    expect(new Set(autumn).size).toBe(25);
  });

  it('counts intervals in elapsed time whatever the time zone: every 1h across the spring change is 1 h apart', () => {
    const fired = walk({ every: '1h', timeZone: 'Europe/Berlin' }, '2026-03-29T00:00:00Z', 3);
    expect(fired).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z', '2026-03-29T03:00:00.000Z']);
  });

  it('respects startAt and endAt', () => {
    const bounded = { every: '1h', startAt: '2026-01-01T10:30:00Z', endAt: '2026-01-01T12:30:00Z' };
    expect(walk(bounded, '2026-01-01T00:00:00Z', 10)).toEqual([
      '2026-01-01T10:30:00.000Z',
      '2026-01-01T11:30:00.000Z',
      '2026-01-01T12:30:00.000Z',
    ]);
  });

  describe('catch-up after a downtime (due 10:00, every 5 m, now 10:31)', () => {
    const now = at('2026-01-01T10:31:00Z');
    it('latest (the default) fires the newest missed due time once', () => {
      const plan = planFiring(state({ every: '5m' }, '2026-01-01T10:00:00Z'), now, false, GRACE);
      expect(plan.fire).toEqual([{ dueAt: at('2026-01-01T10:30:00Z'), outcome: 'fired' }]);
      expect(plan.skipped.map((s) => s.reason)).toEqual(Array(6).fill('skipped-missed'));
      expect(plan.nextDueAt).toEqual(at('2026-01-01T10:35:00Z'));
      const late = planFiring(state({ every: '5m' }, '2026-01-01T10:00:00Z'), at('2026-01-01T10:34:00Z'), false, GRACE);
      expect(late.fire).toEqual([{ dueAt: at('2026-01-01T10:30:00Z'), outcome: 'caught-up' }]);
    });
    it('skip fires none of the missed ones (only one within the grace period)', () => {
      const plan = planFiring(state({ every: '5m', catchUp: 'skip' }, '2026-01-01T10:00:00Z'), at('2026-01-01T10:34:00Z'), false, GRACE);
      expect(plan.fire).toEqual([]);
      expect(plan.skipped).toHaveLength(7);
      expect(plan.nextDueAt).toEqual(at('2026-01-01T10:35:00Z'));
    });
    it('all fires each missed one, at most 10 (the newest), with overlap allow', () => {
      const plan = planFiring(
        state({ every: '1m', catchUp: 'all', overlap: 'allow' }, '2026-01-01T10:00:00Z'),
        at('2026-01-01T10:30:30Z'),
        false,
        GRACE,
      );
      expect(plan.fire).toHaveLength(10);
      expect(plan.fire[0]).toEqual({ dueAt: at('2026-01-01T10:21:00Z'), outcome: 'caught-up' });
      expect(plan.fire.at(-1)).toEqual({ dueAt: at('2026-01-01T10:30:00Z'), outcome: 'fired' });
      expect(plan.moreMissed).toBe(true);
      expect(plan.nextDueAt).toEqual(at('2026-01-01T10:31:00Z'));
    });
  });

  describe('overlap while the previous run is open', () => {
    const due = '2026-01-01T10:05:00Z';
    const now = at('2026-01-01T10:05:01Z');
    it('skip starts nothing and moves on', () => {
      const plan = planFiring(state({ every: '5m' }, due), now, true, GRACE);
      expect(plan.fire).toEqual([]);
      expect(plan.skipped).toEqual([{ dueAt: at(due), reason: 'skipped-overlap' }]);
      expect(plan.nextDueAt).toEqual(at('2026-01-01T10:10:00Z'));
    });
    it('allow starts one anyway', () => {
      expect(iso(planFiring(state({ every: '5m', overlap: 'allow' }, due), now, true, GRACE).fire)).toEqual(['2026-01-01T10:05:00.000Z']);
    });
    it('bufferOne keeps one due time and fires it once the open run has ended', () => {
      const first = planFiring(state({ every: '5m', overlap: 'bufferOne' }, due), now, true, GRACE);
      expect(first.fire).toEqual([]);
      expect(first.bufferedDueAt).toEqual(at(due));
      const second = planFiring(
        { ...state({ every: '5m', overlap: 'bufferOne' }, '2026-01-01T10:10:00Z'), bufferedDueAt: at(due) },
        at('2026-01-01T10:10:00Z'),
        true,
        GRACE,
      );
      expect(second.fire).toEqual([]);
      expect(second.skipped).toEqual([{ dueAt: at('2026-01-01T10:10:00Z'), reason: 'skipped-overlap' }]);
      expect(second.bufferedDueAt).toEqual(at(due));
      const third = planFiring(
        { ...state({ every: '5m', overlap: 'bufferOne' }, '2026-01-01T10:15:00Z'), bufferedDueAt: at(due) },
        at('2026-01-01T10:12:00Z'),
        false,
        GRACE,
      );
      expect(third.fire).toEqual([{ dueAt: at(due), outcome: 'buffered-fired' }]);
      expect(third.bufferedDueAt).toBeNull();
      expect(third.nextDueAt).toEqual(at('2026-01-01T10:15:00Z'));
    });
  });

  it('fires with the same jitter on every replica, within the jitter', () => {
    const s = state({ every: '1h', jitter: '30s' }, null);
    const a = nextOf(s, at('2026-01-01T10:00:01Z'));
    const b = nextOf(s, at('2026-01-01T10:00:01Z'));
    expect(a).toEqual(b);
    const offset = a.nextFireAt!.getTime() - a.nextDueAt!.getTime();
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThanOrEqual(30_000);
    expect(planFiring({ ...s, nextDueAt: a.nextDueAt }, new Date(a.nextFireAt!.getTime() - 1), false, GRACE).fire).toEqual(
      offset > 0 ? [] : [{ dueAt: a.nextDueAt, outcome: 'fired' }],
    );
  });
});
