/**
 * Keyset paging of the system jobs list: the sorts it offers (each backed by an index of the
 * migration ConsoleListIndexes), the page token that carries where the last page ended, and the
 * capped count. A page is read by the position of its last row (`WHERE (key) < (last key)
 * ORDER BY key LIMIT n`), never by an offset, so page 100 costs what page 1 costs and rows
 * inserted while an operator pages neither repeat nor hide others.
 */
import { createHash } from 'node:crypto';
import type { SelectQueryBuilder } from 'typeorm';
import { AsyncOperationState as State } from '@flowline/contracts';
import { invalidArgument } from '@flowline/rpc';
import type { AsyncOperationRow } from './async-operation.entity';
import type { OperationFilter } from './operation-filter';

/** One column of a sort key: its SQL (alias `o`), how its value travels in the token, and how it is read back. */
interface KeyColumn {
  sql: string;
  /** The value as text, exact (a timestamp to the microsecond, which a JavaScript Date is not). */
  select: string;
  cast: 'timestamptz' | 'bigint' | 'text';
  valid: (value: string) => boolean;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const timestamp = (column: string): KeyColumn => ({
  sql: `"o"."${column}"`,
  select: `to_char("o"."${column}" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
  cast: 'timestamptz',
  valid: (value) => TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value)),
});
const SEQUENCE: KeyColumn = {
  sql: '"o"."sequence"',
  select: 'CAST("o"."sequence" AS text)',
  cast: 'bigint',
  valid: (v) => /^\d{1,19}$/.test(v),
};
const NAME: KeyColumn = { sql: '"o"."name"', select: '"o"."name"', cast: 'text', valid: (v) => v.length <= 10_000 };

interface SortSpec {
  key: KeyColumn[];
  /** A sort that only some operations have a value for lists only those (completedOn: Completed ones). */
  completedOnly: boolean;
}

/**
 * The sorts, each read in index order (both directions of one btree):
 * createdOn by IDX_async_operation_created (or a filter's own index ending in created_on, sequence),
 * completedOn by IDX_async_operation_completed_seq (Completed only), name by IDX_async_operation_name_created.
 */
const SORTS = {
  createdOn: { key: [timestamp('created_on'), SEQUENCE], completedOnly: false },
  completedOn: { key: [timestamp('completed_on'), SEQUENCE], completedOnly: true },
  name: { key: [NAME, timestamp('created_on'), SEQUENCE], completedOnly: false },
} satisfies Record<string, SortSpec>;

type SortField = keyof typeof SORTS;

export const OPERATION_SORTS = ['-createdOn', 'createdOn', '-completedOn', 'completedOn', '-name', 'name'] as const;
export type OperationSort = (typeof OPERATION_SORTS)[number];
export const DEFAULT_OPERATION_SORT: OperationSort = '-createdOn';

/** Counts stop here: more than COUNT_CAP matching is answered as COUNT_CAP with `capped`. */
export const COUNT_CAP = 10_000;

export interface ListSort {
  name: OperationSort;
  field: SortField;
  descending: boolean;
  spec: SortSpec;
}

/** The sort named in a request (empty: the default), or a refusal naming `sort`. */
export function listSortOf(given: string | undefined): ListSort {
  const name = (given || DEFAULT_OPERATION_SORT) as OperationSort;
  if (!OPERATION_SORTS.includes(name))
    throw invalidArgument('FILTER_INVALID', `cannot sort by '${given}': expected one of ${OPERATION_SORTS.join(', ')}`, [
      { field: 'sort', description: `expected one of ${OPERATION_SORTS.join(', ')}` },
    ]);
  const descending = name.startsWith('-');
  const field = (descending ? name.slice(1) : name) as SortField;
  return { name, field, descending, spec: SORTS[field] };
}

const badToken = () =>
  invalidArgument(
    'PAGE_TOKEN_INVALID',
    'page.pageToken is not a token this list returned for this sort and filter: start again without one',
    [{ field: 'page.pageToken', description: 'expected the nextPageToken of an earlier answer with the same sort and filter' }],
  );

/** What a token is bound to: the sort and the filter as normalized (the same query gets the same fingerprint). */
function fingerprint(sort: ListSort, filter: OperationFilter): string {
  const normalized = Object.entries(filter)
    .filter(([, value]) => (Array.isArray(value) ? value.length > 0 : value !== undefined && value !== ''))
    .map(([name, value]) => [name, Array.isArray(value) ? [...(value as number[])].sort((a, b) => a - b) : value])
    .sort(([a], [b]) => String(a).localeCompare(String(b)));
  return JSON.stringify([sort.name, normalized]);
}

const checksum = (text: string): string =>
  createHash('sha256').update(`flowline.operations.page\n${text}`).digest('base64url').slice(0, 16);

/** The token for the page after the row whose key values are `key`. */
export function encodePageToken(sort: ListSort, filter: OperationFilter, key: string[]): string {
  const body = JSON.stringify({ v: 1, k: key });
  return Buffer.from(JSON.stringify({ v: 1, k: key, c: checksum(`${body}\n${fingerprint(sort, filter)}`) }), 'utf8').toString('base64url');
}

/** The key values a token carries, checked against the sort and filter; refuses an altered or foreign token. */
export function decodePageToken(token: string, sort: ListSort, filter: OperationFilter): string[] {
  if (!/^[A-Za-z0-9_-]+$/.test(token) || token.length > 20_000) throw badToken();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw badToken();
  }
  const { v, k, c } = (parsed ?? {}) as { v?: unknown; k?: unknown; c?: unknown };
  if (v !== 1 || !Array.isArray(k) || typeof c !== 'string' || k.length !== sort.spec.key.length) throw badToken();
  if (!k.every((value, i) => typeof value === 'string' && sort.spec.key[i]!.valid(value))) throw badToken();
  const key = k as string[];
  if (c !== checksum(`${JSON.stringify({ v: 1, k: key })}\n${fingerprint(sort, filter)}`)) throw badToken();
  return key;
}

/**
 * Narrows and orders `query` (alias `o`, already filtered) to the page after `after` (none: the
 * first page), selecting each key column's exact value as `page_key_<i>`, one row more than the page.
 */
export function applyKeysetPage(
  query: SelectQueryBuilder<AsyncOperationRow>,
  sort: ListSort,
  after: string[] | undefined,
  limit: number,
): SelectQueryBuilder<AsyncOperationRow> {
  const { key, completedOnly } = sort.spec;
  if (completedOnly) query.andWhere(`"o"."state" = ${State.Completed} AND "o"."completed_on" IS NOT NULL`);
  if (after) {
    // A row comparison: the btree walks on from the last row (both directions of one index).
    const values = key.map((column, i) => `CAST(:page_key_${i} AS ${column.cast})`);
    query.andWhere(
      `(${key.map((column) => column.sql).join(', ')}) ${sort.descending ? '<' : '>'} (${values.join(', ')})`,
      Object.fromEntries(after.map((value, i) => [`page_key_${i}`, value])),
    );
  }
  key.forEach((column, i) => {
    query.addSelect(column.select, `page_key_${i}`);
    query.addOrderBy(column.sql, sort.descending ? 'DESC' : 'ASC');
  });
  return query.limit(limit + 1);
}
