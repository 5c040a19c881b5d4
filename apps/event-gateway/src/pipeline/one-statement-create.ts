/**
 * A plain Create in one statement. When nothing runs inside the transaction (no plug-in step and
 * no real-time workflow at stages 20 and 40, no lookup to find, no relative operation), the whole
 * write is known before it starts: the record, its pipeline event and the idempotency answer.
 * Then one autocommitted statement writes them all, and wakes the relay, where the
 * transaction took five round trips (BEGIN, the lock, the insert, the outbox, COMMIT). Creates
 * that arrive while others are being written share one statement (create-group.ts), and so do
 * consecutive plain Creates of a domain-event batch (PipelineService.executeBatch).
 *
 * Nothing changes for the caller or the events: an existing record is refused as ALREADY_EXISTS
 * (ON CONFLICT DO NOTHING writes no event then), a key race fails on the idempotency key's
 * primary key as in the transaction, and the event is the one the transaction would write.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { PipelineStage, SdkMessage } from '@flowline/contracts';
import { outboxHeaders, outboxInsertSql, outboxNotifySql, wakeRelayAfterCommit } from '@flowline/messaging';
import { FlowlineError } from '@flowline/rpc';
import { requestHash } from '../idempotency/idempotency.store';
import type { RealTimeWorkflows } from '../real-time/real-time-workflows';
import { validateTarget } from '../records/attribute-validation';
import { recordView, selectColumns } from '../records/record-view';
import { refuseViolations } from './main-operations/check-target';
import { newRecordRow } from './main-operations/create.operation';
import type { RecordRow } from '../records/record.entity';
import type { CreateGroups } from './create-group';
import type { Operation } from './operation';
import { buildPipelineEvent, outboxMessageOf } from './pipeline-event';
import { PipelineErrorCode as Code } from './pipeline.errors';
import { preparedStatement, runPrepared, timeOrderedId } from '@flowline/persistence';
import type { ExecuteResult } from './pipeline.types';

/** Whether the operation is a Create that nothing runs inside of (see the file's comment). */
export function isPlainCreate(operation: Operation, realTime: RealTimeWorkflows): boolean {
  const { input, resolution } = operation;
  if (input.message !== SdkMessage.Create || Object.keys(operation.operations).length > 0) return false;
  if (resolution.synchronous[1]!.steps.length > 0 || resolution.synchronous[2]!.steps.length > 0) return false;
  const changed = Object.keys(operation.context.inputParameters.Target ?? {});
  return (
    realTime.forStage(resolution.workflows, input.message, changed, PipelineStage.PreOperation).length === 0 &&
    realTime.forStage(resolution.workflows, input.message, changed, PipelineStage.PostOperation).length === 0
  );
}

/** What one plain Create writes (its record, its pipeline event, its idempotency answer), and what it answers. */
export interface PlainCreate {
  row: RecordRow;
  outbox: { eventId: string; topic: string; key: string; envelope: unknown; headers: unknown };
  idempotency?: { key: string; requestHash: string; response: unknown };
  result: ExecuteResult;
}

/**
 * The write of a plain Create (`isPlainCreate`), checked and built, not yet written; undefined
 * when the target sets a lookup, which the transaction must find under its lock. Throws the
 * refusal of an invalid target.
 */
export function plainCreateOf(operation: Operation): PlainCreate | undefined {
  const { entity, input, context, recordId, resolution } = operation;
  const target = context.inputParameters.Target ?? {};
  const checked = validateTarget(entity, target, { creating: true });
  if (checked.lookups.length > 0) return undefined;
  refuseViolations({ entity, input, fromOperations: new Set() }, checked);

  const now = new Date();
  const row = newRecordRow({ entity, input, recordId, target, now });
  const post = recordView(entity, row);
  const event = buildPipelineEvent({
    eventId: timeOrderedId(),
    message: input.message,
    entity: entity.logicalName,
    recordId,
    recordVersion: row.version,
    target,
    pre: null,
    post,
    custom: false,
    depth: context.depth,
    correlationId: input.correlationId,
    initiatingUserId: input.initiatingUserId,
    origin: input.origin,
    occurredAt: now,
    outputParameters: context.outputParameters,
    asynchronousSteps: resolution.asynchronous,
  });
  const result: ExecuteResult = {
    id: recordId,
    version: row.version,
    record: selectColumns(entity, post, input.columns),
    output: context.outputParameters,
    eventId: event.eventId,
    replayed: false,
  };
  const message = outboxMessageOf(event);
  return {
    row,
    outbox: {
      eventId: message.envelope.id,
      topic: message.topic,
      key: message.key,
      envelope: message.envelope,
      headers: outboxHeaders(message.envelope.type, message.headers),
    },
    idempotency: input.idempotencyKey ? { key: input.idempotencyKey, requestHash: requestHash(input), response: result } : undefined,
    result,
  };
}

/** One key per record (entity and id): two Creates of one record never share a statement. */
export function recordKeyOf(row: Pick<RecordRow, 'entity' | 'id'>): string {
  return `${row.entity}\u0000${row.id}`;
}

/** The refusal of a Create whose record exists (ON CONFLICT DO NOTHING wrote nothing for it). */
export function recordExists(operation: Operation): FlowlineError {
  return new FlowlineError(
    'ALREADY_EXISTS',
    Code.RecordExists,
    `${operation.entity.logicalName} ${operation.recordId} already exists: use Update`,
  );
}

/** Writes one plain Create alone in one autocommitted statement; answers whether the record was created (false: it existed). */
export async function writePlainCreate(dataSource: DataSource, schema: string, plain: PlainCreate): Promise<boolean> {
  const { row, outbox, idempotency } = plain;
  const parameters: unknown[] = [
    row.entity,
    row.id,
    JSON.stringify(row.attributes),
    row.ownerId,
    row.stateCode,
    row.statusCode,
    row.createdBy,
    row.createdOn,
    row.modifiedBy,
    row.modifiedOn,
    row.version,
    outbox.eventId,
    outbox.topic,
    outbox.key,
    JSON.stringify(outbox.envelope),
    JSON.stringify(outbox.headers),
  ];
  const answered = idempotency
    ? `, answered AS (
         INSERT INTO "${schema}"."idempotency_key" ("key", "request_hash", "response")
         SELECT $17, $18, $19 FROM created)`
    : '';
  if (idempotency) parameters.push(idempotency.key, idempotency.requestHash, JSON.stringify(idempotency.response));

  const [outcome] = await runPrepared<{ created: number }>(
    dataSource,
    preparedStatement(`WITH created AS (
       INSERT INTO "${schema}"."record" ("entity", "id", "attributes", "owner_id", "state_code", "status_code",
                                         "created_by", "created_on", "modified_by", "modified_on", "version")
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT ("entity", "id") DO NOTHING
       RETURNING 1),
     written AS (${outboxInsertSql(
       schema,
       `SELECT $12::uuid AS "event_id", $13::text AS "topic", $14::text AS "message_key",
               $15::jsonb AS "envelope", $16::jsonb AS "headers", 1 AS "n" FROM created`,
     )})${answered}
     SELECT (SELECT count(*) FROM created)::int AS "created", ${outboxNotifySql(schema, 'written')} AS "notified"`),
    parameters,
  );
  wakeRelayAfterCommit(schema);
  return outcome!.created > 0;
}

/**
 * Writes a plain Create (`isPlainCreate`) in one statement, with the others that arrive while it
 * waits for one (create-group.ts); answers undefined, having written nothing, when the target
 * sets a lookup, which the transaction must find under its lock.
 */
export async function createInOneStatement(groups: CreateGroups, operation: Operation): Promise<ExecuteResult | undefined> {
  const plain = plainCreateOf(operation);
  if (!plain) return undefined;
  if (!(await groups.write(plain))) throw recordExists(operation);
  return plain.result;
}

/**
 * Several plain Creates of distinct records in one statement, in `manager`'s transaction (the
 * domain-event consumer's batch): their records, their pipeline events into the outbox in the
 * order given, and their idempotency answers. Answers the positions of those created; the others'
 * records existed, and nothing was written for them. A statement that fails (an idempotency key
 * that raced another call) writes nothing at all: the caller then writes each alone.
 */
export async function createManyInOneStatement(
  manager: EntityManager,
  schema: string,
  creates: readonly PlainCreate[],
): Promise<Set<number>> {
  const records = new Set(creates.map(({ row }) => recordKeyOf(row)));
  if (records.size !== creates.length) throw new Error('createManyInOneStatement: one Create per record');
  const rows = creates.map(({ row, outbox, idempotency }, n) => ({
    n,
    entity: row.entity,
    id: row.id,
    attributes: row.attributes,
    owner_id: row.ownerId,
    state_code: row.stateCode,
    status_code: row.statusCode,
    created_by: row.createdBy,
    created_on: row.createdOn.toISOString(),
    modified_by: row.modifiedBy,
    modified_on: row.modifiedOn.toISOString(),
    version: row.version,
    event_id: outbox.eventId,
    topic: outbox.topic,
    message_key: outbox.key,
    envelope: outbox.envelope,
    headers: outbox.headers,
    key: idempotency?.key ?? null,
    request_hash: idempotency?.requestHash ?? null,
    response: idempotency?.response ?? null,
  }));
  const [outcome] = await runPrepared<{ created: number[] }>(
    manager,
    preparedStatement(`WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
                    "n" int, "entity" text, "id" uuid, "attributes" jsonb, "owner_id" text, "state_code" int, "status_code" int,
                    "created_by" text, "created_on" timestamptz, "modified_by" text, "modified_on" timestamptz, "version" int,
                    "event_id" uuid, "topic" text, "message_key" text, "envelope" jsonb, "headers" jsonb,
                    "key" text, "request_hash" text, "response" jsonb)),
     inserted AS (
       INSERT INTO "${schema}"."record" ("entity", "id", "attributes", "owner_id", "state_code", "status_code",
                                         "created_by", "created_on", "modified_by", "modified_on", "version")
       SELECT "entity", "id", "attributes", "owner_id", "state_code", "status_code", "created_by", "created_on",
              "modified_by", "modified_on", "version" FROM r ORDER BY "n"
       ON CONFLICT ("entity", "id") DO NOTHING
       RETURNING "entity", "id"),
     -- One row per record (checked above), so the join finds each created one once.
     created AS (SELECT r.* FROM r JOIN inserted i ON i."entity" = r."entity" AND i."id" = r."id"),
     written AS (${outboxInsertSql(
       schema,
       `SELECT c."event_id", c."topic", c."message_key", c."envelope", c."headers", c."n" FROM created c`,
     )}),
     answered AS (
       INSERT INTO "${schema}"."idempotency_key" ("key", "request_hash", "response")
       SELECT c."key", c."request_hash", c."response" FROM created c WHERE c."key" IS NOT NULL)
     SELECT (SELECT coalesce(array_agg(c."n"), '{}') FROM created c) AS "created", ${outboxNotifySql(schema, 'written')} AS "notified"`),
    [JSON.stringify(rows)],
  );
  wakeRelayAfterCommit(schema, manager);
  return new Set(outcome!.created);
}
