/**
 * The list filter of async operations, in one place for every caller: read from a query string
 * (`GET /api/v1/operations`) or a JSON object (a bulk action's filter), checked with
 * field-precise violations, and applied to a query of the operations table.
 */
import type { SelectQueryBuilder } from 'typeorm';
import { StatusesByState } from '@flowline/contracts';
import { invalidArgument, type FieldViolation } from '@flowline/rpc';
import type { AsyncOperationRow } from './async-operation.entity';

export interface OperationFilter {
  states?: number[];
  statuses?: number[];
  definitionId?: string;
  name?: string;
  primaryEntity?: string;
  regardingId?: string;
  correlationId?: string;
  createdAfter?: string;
  createdBefore?: string;
  /** A case-insensitive substring of the name, error code or message. */
  text?: string;
}

/** The longest free text a filter takes (longer is refused, naming the field). */
export const MAX_FILTER_TEXT = 200;

/**
 * What the text filter searches: one expression, the same as the trigram index
 * IDX_async_operation_text's (migration ConsoleListIndexes), so the planner can use it.
 */
export const OPERATION_TEXT_SQL = `("o"."name" || ' ' || coalesce("o"."error_code", '') || ' ' || coalesce("o"."friendly_message", ''))`;

/** `text` as a LIKE pattern: its own %, _ and \\ stand for themselves. */
export const likePattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Given = string | number | Array<string | number> | undefined | null | unknown;

const list = (value: Given): string[] =>
  value === undefined || value === null || value === ''
    ? []
    : Array.isArray(value)
      ? value.map(String)
      : typeof value === 'string'
        ? value.split(',')
        : [String(value)];

function numbers(field: string, value: Given): number[] {
  return list(value).map((item) => {
    const number = Number(item);
    if (!Number.isInteger(number))
      throw invalidArgument('FILTER_INVALID', `${field} must be whole numbers, got '${item}'`, [
        { field, description: 'expected a whole number' },
      ]);
    return number;
  });
}

/** The public names of the filter (query parameters, and keys of a bulk action's filter). */
export const OPERATION_FILTER_NAMES = [
  'state',
  'status',
  'definitionId',
  'name',
  'entity',
  'recordId',
  'correlationId',
  'createdAfter',
  'createdBefore',
  'text',
] as const;

/**
 * The filter in a query string or JSON object, by its public names: state, status (one, several,
 * or comma-separated), definitionId, name, entity, recordId, correlationId, createdAfter, createdBefore, text.
 */
export function operationFilterOf(given: Record<string, Given>): OperationFilter {
  const one = (name: string): string | undefined => {
    const value = given[name];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined || first === null || first === '' ? undefined : String(first);
  };
  return {
    states: numbers('state', given['state']),
    statuses: numbers('status', given['status']),
    ...Object.fromEntries(
      (
        [
          ['definitionId', 'definitionId'],
          ['name', 'name'],
          ['primaryEntity', 'entity'],
          ['regardingId', 'recordId'],
          ['correlationId', 'correlationId'],
          ['createdAfter', 'createdAfter'],
          ['createdBefore', 'createdBefore'],
          ['text', 'text'],
        ] as const
      )
        .filter(([, param]) => one(param))
        .map(([field, param]) => [field, one(param)]),
    ),
  };
}

export function filterInstant(field: string, value: string | undefined, violations: FieldViolation[]): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    violations.push({ field, description: `expected an RFC 3339 time such as 2026-11-25T10:00:00Z, got '${value}'` });
    return undefined;
  }
  return date;
}

/** Narrows `query` (alias `o`) to the filter, or refuses the filter with every violation. */
export function applyOperationFilter(query: SelectQueryBuilder<AsyncOperationRow>, filter: OperationFilter): void {
  const violations: FieldViolation[] = [];
  for (const state of filter.states ?? []) {
    if (!(state in StatusesByState))
      violations.push({ field: 'states', description: `expected 0 Ready, 1 Suspended, 2 Locked or 3 Completed, got ${state}` });
  }
  const allStatuses = Object.values(StatusesByState).flat() as number[];
  for (const status of filter.statuses ?? []) {
    if (!allStatuses.includes(status))
      violations.push({ field: 'statuses', description: `expected one of ${allStatuses.join(', ')}, got ${status}` });
  }
  if (filter.definitionId && !UUID.test(filter.definitionId))
    violations.push({ field: 'definitionId', description: 'expected a definition id (a UUID)' });
  const after = filterInstant('createdAfter', filter.createdAfter, violations);
  const before = filterInstant('createdBefore', filter.createdBefore, violations);
  if (filter.text !== undefined && filter.text.length > MAX_FILTER_TEXT)
    violations.push({ field: 'text', description: `expected at most ${MAX_FILTER_TEXT} characters, got ${filter.text.length}` });
  if (violations.length > 0)
    throw invalidArgument(
      'FILTER_INVALID',
      `the filter is not valid: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`,
      violations,
    );
  if (filter.states?.length) query.andWhere('o.state IN (:...states)', { states: filter.states });
  if (filter.statuses?.length) query.andWhere('o.status IN (:...statuses)', { statuses: filter.statuses });
  if (filter.definitionId) query.andWhere('o.definitionId = :definitionId', { definitionId: filter.definitionId });
  if (filter.name) query.andWhere('o.name = :name', { name: filter.name });
  if (filter.primaryEntity) query.andWhere('o.primaryEntity = :primaryEntity', { primaryEntity: filter.primaryEntity });
  if (filter.regardingId) query.andWhere('o.regardingId = :regardingId', { regardingId: filter.regardingId });
  if (filter.correlationId) query.andWhere('o.correlationId = :correlationId', { correlationId: filter.correlationId });
  if (after) query.andWhere('o.createdOn >= :after', { after });
  if (before) query.andWhere('o.createdOn < :before', { before });
  // Uses the trigram index IDX_async_operation_text (for 3 characters or more).
  if (filter.text) query.andWhere(`${OPERATION_TEXT_SQL} ILIKE :textPattern`, { textPattern: likePattern(filter.text) });
}
