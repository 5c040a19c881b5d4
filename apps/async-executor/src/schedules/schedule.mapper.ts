/** A schedule row as the REST and gRPC answers show it. */
import type { ExecutorProto } from '@flowline/rpc';
import type { ScheduleRow } from './schedule.entity';

export interface ScheduleJson {
  id: string;
  definitionId: string;
  definitionVersion: number;
  uniqueName: string;
  triggerIndex: number;
  primaryEntity: string;
  cron: string | null;
  every: string | null;
  timeZone: string;
  overlap: 'skip' | 'allow' | 'bufferOne';
  catchUp: 'skip' | 'latest' | 'all';
  query: unknown;
  paused: boolean;
  pausedBy: string | null;
  nextDueAt: string | null;
  nextFireAt: string | null;
  bufferedDueAt: string | null;
  lastDueAt: string | null;
  lastFiredAt: string | null;
  lastOutcome: string | null;
  lastOperationIds: string[];
}

const iso = (date: Date | null) => (date ? new Date(date).toISOString() : null);

export function scheduleToJson(row: ScheduleRow): ScheduleJson {
  return {
    id: row.id,
    definitionId: row.definitionId,
    definitionVersion: row.definitionVersion,
    uniqueName: row.uniqueName,
    triggerIndex: row.triggerIndex,
    primaryEntity: row.primaryEntity,
    cron: row.spec.cron ?? null,
    every: row.spec.everyMs !== undefined ? `${row.spec.everyMs}ms` : null,
    timeZone: row.spec.timeZone,
    overlap: row.spec.overlap,
    catchUp: row.spec.catchUp,
    query: row.spec.query ?? null,
    paused: row.paused,
    pausedBy: row.pausedBy,
    nextDueAt: iso(row.nextDueAt),
    nextFireAt: iso(row.nextFireAt),
    bufferedDueAt: iso(row.bufferedDueAt),
    lastDueAt: iso(row.lastDueAt),
    lastFiredAt: iso(row.lastFiredAt),
    lastOutcome: row.lastOutcome,
    lastOperationIds: row.lastOperationIds,
  };
}

/** A schedule as gRPC answers it (empty text for an unset time, as the other executor messages). */
export function scheduleToProto(row: ScheduleRow): ExecutorProto.Schedule {
  const json = scheduleToJson(row);
  return {
    id: json.id,
    definitionId: json.definitionId,
    definitionVersion: json.definitionVersion,
    uniqueName: json.uniqueName,
    triggerIndex: json.triggerIndex,
    primaryEntity: json.primaryEntity,
    cron: json.cron ?? '',
    everyMs: String(row.spec.everyMs ?? 0),
    timeZone: json.timeZone,
    overlap: json.overlap,
    catchUp: json.catchUp,
    queryJson: json.query ? JSON.stringify(json.query) : '',
    paused: json.paused,
    pausedBy: json.pausedBy ?? '',
    nextDueAt: json.nextDueAt ?? '',
    nextFireAt: json.nextFireAt ?? '',
    bufferedDueAt: json.bufferedDueAt ?? '',
    lastDueAt: json.lastDueAt ?? '',
    lastFiredAt: json.lastFiredAt ?? '',
    lastOutcome: json.lastOutcome ?? '',
    lastOperationIds: json.lastOperationIds,
  };
}
