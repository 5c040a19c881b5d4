/**
 * Retrieve and RetrieveMultiple: reads that run no steps and write nothing. A read inside an
 * operation's transaction (a real-time workflow's query) passes its manager, so it sees what
 * the operation wrote so far.
 */
import type { EntityManager } from 'typeorm';
import type { EntityMetadata } from '@flowline/contracts';
import { notFound } from '@flowline/rpc';
import { RecordRow } from '../records/record.entity';
import { buildRecordQuery, nextPageToken, type QueryParameters } from '../records/record-query';
import { recordView, selectColumns } from '../records/record-view';
import { PipelineErrorCode as Code } from './pipeline.errors';
import type { ExecuteInput, ExecuteResult } from './pipeline.types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function fromRaw(raw: Record<string, unknown>): RecordRow {
  return {
    entity: raw['entity'] as string,
    id: raw['id'] as string,
    attributes: raw['attributes'] as Record<string, unknown>,
    ownerId: raw['owner_id'] as string | null,
    stateCode: raw['state_code'] as number | null,
    statusCode: raw['status_code'] as number | null,
    createdBy: raw['created_by'] as string,
    createdOn: raw['created_on'] as Date,
    modifiedBy: raw['modified_by'] as string,
    modifiedOn: raw['modified_on'] as Date,
    version: raw['version'] as number,
  };
}

export async function retrieve(manager: EntityManager, entity: EntityMetadata, input: ExecuteInput): Promise<ExecuteResult> {
  const row = UUID.test(input.id ?? '')
    ? await manager.getRepository(RecordRow).findOneBy({ entity: entity.logicalName, id: input.id })
    : null;
  if (!row) throw notFound(Code.RecordNotFound, `no ${entity.logicalName} with id ${input.id ?? ''}`);
  return {
    id: row.id,
    version: row.version,
    record: selectColumns(entity, recordView(entity, row), input.columns),
    output: {},
    replayed: false,
  };
}

export async function retrieveMultiple(manager: EntityManager, entity: EntityMetadata, input: ExecuteInput): Promise<ExecuteResult> {
  const query = buildRecordQuery(entity, input.parameters as QueryParameters);
  // In a transaction both go over its one connection, in turn; outside, over two of the pool.
  const [countRows, found] = await Promise.all([
    manager.query(
      `SELECT count(*)::int AS total FROM "gateway"."record" r WHERE ${query.where}`,
      query.params.slice(0, query.whereParamCount),
    ) as Promise<Array<{ total: number }>>,
    manager.query(
      `SELECT r.* FROM "gateway"."record" r WHERE ${query.where} ORDER BY ${query.orderBy} OFFSET ${query.offset} LIMIT ${query.limit}`,
      query.params,
    ) as Promise<Array<Record<string, unknown>>>,
  ]);
  const rows = found.map(fromRaw);
  const total = countRows[0]?.total ?? 0;
  return {
    id: '',
    version: 0,
    records: rows.map((row) => selectColumns(entity, recordView(entity, row), input.columns)),
    totalCount: total,
    nextPageToken: nextPageToken(query.offset, rows.length, total),
    output: {},
    replayed: false,
  };
}
