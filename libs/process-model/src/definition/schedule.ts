/**
 * Schedule triggers: a workflow that starts from time. The authored fields (a cron expression
 * with optional seconds, or an interval; a time zone; start and end; jitter; the overlap and
 * catch-up policies; an optional query), their checks with JSON paths, the compiled form, and
 * the due times of a compiled schedule. Cron arithmetic, time zones and daylight-saving changes
 * are croner's (see docs/adr/0011-schedules.md); intervals are plain arithmetic on UTC instants.
 */
import { Cron } from 'croner';
import type { DefinitionError } from './parse-source';

export const OVERLAP_POLICIES = ['skip', 'allow', 'bufferOne'] as const;
export const CATCH_UP_POLICIES = ['skip', 'latest', 'all'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];
export type CatchUpPolicy = (typeof CATCH_UP_POLICIES)[number];

/** catchUp: all fires at most this many missed due times (the newest ones) after a downtime. */
export const CATCH_UP_MAX_FIRINGS = 10;
/** A schedule with a query starts at most this many runs per firing (the first records the query answers). */
export const SCHEDULE_QUERY_MAX_RECORDS = 1000;
/** The shortest interval (`every`). */
export const MIN_INTERVAL_MS = 1000;
/** The longest jitter. */
export const MAX_JITTER_MS = 3_600_000;

export const CONDITION_OPERATORS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'like', 'null', 'notnull', 'in'] as const;

export interface ScheduleCondition {
  attribute: string;
  operator: (typeof CONDITION_OPERATORS)[number];
  value?: unknown;
}

/** A schedule trigger as compiled: everything the executor needs to compute due times and start runs. */
export interface CompiledSchedule {
  /** The trigger's index in the definition's `triggers`: with the definition id, the schedule's identity. */
  triggerIndex: number;
  cron?: string;
  everyMs?: number;
  timeZone: string;
  startAt?: string;
  endAt?: string;
  jitterMs: number;
  overlap: OverlapPolicy;
  catchUp: CatchUpPolicy;
  query?: { entity: string; conditions: ScheduleCondition[] };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `5m`, `1h30m`, `2d`, `500ms` in milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(ms|s|m|h|d))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(amount) * UNIT_MS[unit!]!;
  return total;
}

/** Whether the runtime knows the IANA time zone. */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** What is wrong with a cron expression (5 fields, or 6 with seconds first), or undefined. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6)
    return `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got ${fields.length}`;
  try {
    new Cron(expression, { paused: true, mode: '5-or-6-parts' });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
  }
}

/** The authored fields of a schedule trigger, as the trigger schema parses them. */
export interface AuthoredSchedule {
  cron?: string;
  every?: string;
  timeZone?: string;
  startAt?: string;
  endAt?: string;
  jitter?: string;
  overlap?: OverlapPolicy;
  catchUp?: CatchUpPolicy;
  query?: { entity: string; conditions: ScheduleCondition[] };
}

/**
 * The problems of a schedule trigger's own fields (not its query's entity and attributes, which
 * need the metadata), each at its path under `path` (`$.triggers[0]`).
 */
export function scheduleProblems(trigger: AuthoredSchedule, path: string): DefinitionError[] {
  const errors: DefinitionError[] = [];
  const add = (field: string, message: string, code: string) => errors.push({ path: `${path}.${field}`, message, code });
  if (trigger.cron === undefined && trigger.every === undefined)
    errors.push({
      path,
      message: 'a schedule trigger needs cron (an expression) or every (an interval such as 5m)',
      code: 'SCHEDULE_TIMING',
    });
  if (trigger.cron !== undefined && trigger.every !== undefined)
    errors.push({ path, message: 'a schedule trigger has cron or every, not both', code: 'SCHEDULE_TIMING' });
  if (trigger.cron !== undefined) {
    const problem = cronProblem(trigger.cron);
    if (problem) add('cron', `'${trigger.cron}' is not a cron expression: ${problem}`, 'BAD_CRON');
  }
  if (trigger.every !== undefined) {
    const ms = parseDuration(trigger.every);
    if (ms === undefined)
      add('every', `'${trigger.every}' is not an interval: expected a number and a unit, such as 30s, 5m, 1h or 1d`, 'BAD_DURATION');
    else if (ms < MIN_INTERVAL_MS) add('every', `expected at least 1s, got ${trigger.every}`, 'BAD_DURATION');
  }
  if (trigger.timeZone !== undefined && !isTimeZone(trigger.timeZone))
    add('timeZone', `unknown time zone '${trigger.timeZone}': expected an IANA name such as UTC or Europe/Berlin`, 'UNKNOWN_TIME_ZONE');
  for (const field of ['startAt', 'endAt'] as const) {
    const value = trigger[field];
    if (value !== undefined && (!RFC3339.test(value) || Number.isNaN(Date.parse(value))))
      add(field, `'${value}' is not an RFC 3339 date and time with an offset, such as 2026-01-01T00:00:00Z`, 'BAD_DATE');
  }
  if (trigger.startAt && trigger.endAt && Date.parse(trigger.endAt) <= Date.parse(trigger.startAt))
    add('endAt', 'expected a time after startAt', 'BAD_DATE');
  if (trigger.jitter !== undefined) {
    const ms = parseDuration(trigger.jitter);
    if (ms === undefined) add('jitter', `'${trigger.jitter}' is not a duration: expected a number and a unit, such as 30s`, 'BAD_DURATION');
    else if (ms > MAX_JITTER_MS) add('jitter', `expected at most 1h, got ${trigger.jitter}`, 'BAD_DURATION');
  }
  return errors;
}

/** A valid schedule trigger's compiled form. */
export function compileSchedule(trigger: AuthoredSchedule, triggerIndex: number): CompiledSchedule {
  return {
    triggerIndex,
    ...(trigger.cron !== undefined ? { cron: trigger.cron.trim() } : {}),
    ...(trigger.every !== undefined ? { everyMs: parseDuration(trigger.every)! } : {}),
    timeZone: trigger.timeZone ?? 'UTC',
    ...(trigger.startAt ? { startAt: new Date(trigger.startAt).toISOString() } : {}),
    ...(trigger.endAt ? { endAt: new Date(trigger.endAt).toISOString() } : {}),
    jitterMs: trigger.jitter ? parseDuration(trigger.jitter)! : 0,
    overlap: trigger.overlap ?? 'skip',
    catchUp: trigger.catchUp ?? 'latest',
    ...(trigger.query ? { query: { entity: trigger.query.entity, conditions: trigger.query.conditions } } : {}),
  };
}

/**
 * The first due time of a schedule strictly after `after`, or undefined when there is none (past
 * its endAt). Cron times are wall-clock times in the schedule's time zone: a time skipped by a
 * daylight-saving change does not happen that day, one repeated happens once. Intervals count
 * from startAt (or 1970-01-01T00:00:00Z) in real elapsed time, whatever the time zone.
 */
export function nextDueAfter(schedule: CompiledSchedule, after: Date): Date | undefined {
  const start = schedule.startAt ? new Date(schedule.startAt) : undefined;
  const end = schedule.endAt ? new Date(schedule.endAt) : undefined;
  let next: Date | undefined;
  if (schedule.everyMs !== undefined) {
    const anchor = start?.getTime() ?? 0;
    const steps = after.getTime() < anchor ? 0 : Math.floor((after.getTime() - anchor) / schedule.everyMs) + 1;
    next = new Date(anchor + steps * schedule.everyMs);
  } else if (schedule.cron !== undefined) {
    const from = start && start.getTime() > after.getTime() ? new Date(start.getTime() - 1) : after;
    next = cronOf(schedule).nextRun(from) ?? undefined;
  }
  if (!next || (end && next.getTime() > end.getTime())) return undefined;
  return next;
}

function cronOf(schedule: CompiledSchedule): Cron {
  return new Cron(schedule.cron!, { timezone: schedule.timeZone, paused: true, mode: '5-or-6-parts' });
}

/**
 * The latest due times in [from, until], oldest first, at most `limit` of them (the newest), and
 * whether there were more before them: what a catch-up after a downtime looks at.
 */
export function latestDueTimes(schedule: CompiledSchedule, from: Date, until: Date, limit: number): { times: Date[]; more: boolean } {
  const start = Math.max(from.getTime(), schedule.startAt ? Date.parse(schedule.startAt) : -Infinity);
  const end = Math.min(until.getTime(), schedule.endAt ? Date.parse(schedule.endAt) : Infinity);
  if (end < start) return { times: [], more: false };
  let candidates: number[];
  if (schedule.everyMs !== undefined) {
    const anchor = schedule.startAt ? Date.parse(schedule.startAt) : 0;
    const last = anchor + Math.floor((end - anchor) / schedule.everyMs) * schedule.everyMs;
    candidates = Array.from({ length: limit + 1 }, (_, i) => last - (limit - i) * schedule.everyMs!);
  } else {
    // previousRuns counts back from its reference (exclusive): one second on, then cut at `end`.
    candidates = cronOf(schedule)
      .previousRuns(limit + 1, new Date(end + 1000))
      .map((date) => date.getTime())
      .filter((time) => time <= end)
      .sort((a, b) => a - b);
  }
  const inRange = candidates.filter((time) => time >= start);
  const more = inRange.length > limit;
  return { times: inRange.slice(-limit).map((time) => new Date(time)), more };
}

/** Due times in (after, until], oldest first, at most `limit` of them (the oldest). */
export function dueTimesBetween(schedule: CompiledSchedule, after: Date, until: Date, limit: number): Date[] {
  const times: Date[] = [];
  let cursor = after;
  while (times.length < limit) {
    const next = nextDueAfter(schedule, cursor);
    if (!next || next.getTime() > until.getTime()) break;
    times.push(next);
    cursor = next;
  }
  return times;
}
