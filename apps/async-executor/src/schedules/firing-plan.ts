/**
 * What one firing of a due schedule does, as a pure function of its row, the time and whether
 * the runs it started last are still open: the due times to start runs for (each with its
 * outcome), those skipped and why, the firing held back by `overlap: bufferOne`, and the next due
 * time. No I/O: the scheduler performs the plan in one transaction.
 *
 * - A due time is on time when it fires within the grace period after its fire time (due time
 *   plus jitter); older ones were missed (everything was down) and follow `catchUp`: `skip` starts
 *   none of them, `latest` starts the newest, `all` starts each, at most CATCH_UP_MAX_FIRINGS (the
 *   newest ones).
 * - A run of this schedule still open (Ready, Suspended or Locked) at a due time: `skip` starts
 *   nothing for it, `allow` starts one anyway, `bufferOne` keeps one due time and starts it once
 *   the open run has ended (more due times meanwhile are skipped).
 */
import { createHash } from 'node:crypto';
import { CATCH_UP_MAX_FIRINGS, latestDueTimes, nextDueAfter, type CompiledSchedule } from '@flowline/process-model';

export type FiringOutcome = 'fired' | 'caught-up' | 'buffered-fired' | 'trigger-now';
export type SkipReason = 'skipped-overlap' | 'skipped-missed' | 'buffered';

export interface ScheduleState {
  id: string;
  spec: CompiledSchedule;
  nextDueAt: Date | null;
  bufferedDueAt: Date | null;
}

export interface FiringPlan {
  fire: Array<{ dueAt: Date; outcome: FiringOutcome }>;
  skipped: Array<{ dueAt: Date; reason: SkipReason }>;
  /** The due time held back for later (bufferOne), or null. */
  bufferedDueAt: Date | null;
  /** The next due time (null: the schedule has ended), and when it fires (with its jitter). */
  nextDueAt: Date | null;
  nextFireAt: Date | null;
  /** Missed due times not even listed (more than CATCH_UP_MAX_FIRINGS). */
  moreMissed: boolean;
}

/** A schedule's jitter for one due time: the same on every replica, spread over [0, jitterMs]. */
export function jitterOf(scheduleId: string, dueAt: Date, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  const hash = createHash('sha256').update(`${scheduleId}\u0000${dueAt.toISOString()}`).digest();
  return hash.readUInt32BE(0) % (jitterMs + 1);
}

export function fireTimeOf(scheduleId: string, spec: CompiledSchedule, dueAt: Date | null): Date | null {
  return dueAt ? new Date(dueAt.getTime() + jitterOf(scheduleId, dueAt, spec.jitterMs)) : null;
}

/** The first due time after `after` and when it fires. */
export function nextOf(state: Pick<ScheduleState, 'id' | 'spec'>, after: Date): { nextDueAt: Date | null; nextFireAt: Date | null } {
  const nextDueAt = nextDueAfter(state.spec, after) ?? null;
  return { nextDueAt, nextFireAt: fireTimeOf(state.id, state.spec, nextDueAt) };
}

export function planFiring(state: ScheduleState, now: Date, previousOpen: boolean, graceMs: number): FiringPlan {
  const { spec } = state;
  const plan: FiringPlan = {
    fire: [],
    skipped: [],
    bufferedDueAt: state.bufferedDueAt,
    nextDueAt: state.nextDueAt,
    nextFireAt: null,
    moreMissed: false,
  };
  let open = previousOpen;
  // A firing held back while the previous run was open goes first, once that run has ended.
  if (plan.bufferedDueAt && !open) {
    plan.fire.push({ dueAt: plan.bufferedDueAt, outcome: 'buffered-fired' });
    plan.bufferedDueAt = null;
    open = true;
  }
  const nextFire = fireTimeOf(state.id, spec, state.nextDueAt);
  if (state.nextDueAt && nextFire && nextFire.getTime() <= now.getTime()) {
    const { times, more } = latestDueTimes(spec, state.nextDueAt, now, CATCH_UP_MAX_FIRINGS);
    plan.moreMissed = more;
    const onTime = (due: Date) => now.getTime() - fireTimeOf(state.id, spec, due)!.getTime() <= graceMs;
    const dueTimes = times.filter((due) => fireTimeOf(state.id, spec, due)!.getTime() <= now.getTime());
    const late = dueTimes.filter((due) => !onTime(due));
    const timely = dueTimes.filter(onTime);
    let chosen: Array<{ dueAt: Date; outcome: FiringOutcome }>;
    switch (spec.catchUp) {
      case 'skip':
        chosen = [];
        break;
      case 'latest':
        chosen = timely.length > 0 || late.length === 0 ? [] : [{ dueAt: late.at(-1)!, outcome: 'caught-up' }];
        break;
      case 'all':
        chosen = late.map((dueAt) => ({ dueAt, outcome: 'caught-up' as const }));
        break;
    }
    for (const due of late)
      if (!chosen.some((c) => c.dueAt.getTime() === due.getTime())) plan.skipped.push({ dueAt: due, reason: 'skipped-missed' });
    chosen.push(...timely.map((dueAt) => ({ dueAt, outcome: 'fired' as const })));
    for (const firing of chosen) {
      if (!open || spec.overlap === 'allow') {
        plan.fire.push(firing);
        open = true;
      } else if (spec.overlap === 'bufferOne' && !plan.bufferedDueAt) {
        plan.bufferedDueAt = firing.dueAt;
        plan.skipped.push({ dueAt: firing.dueAt, reason: 'buffered' });
      } else {
        plan.skipped.push({ dueAt: firing.dueAt, reason: 'skipped-overlap' });
      }
    }
    // The due times handled are done with; next is one whose jitter has not passed yet, or the first after them.
    const latest = dueTimes.at(-1) ?? state.nextDueAt;
    const pending = times.find((due) => due.getTime() > latest.getTime());
    plan.nextDueAt = pending ?? nextOf(state, latest).nextDueAt;
  }
  plan.nextFireAt = fireTimeOf(state.id, spec, plan.nextDueAt);
  return plan;
}
