/**
 * A plain Create in one statement. When nothing runs inside the transaction (no plug-in step and
 * no real-time workflow at stages 20 and 40, no lookup to find, no relative operation), the whole
 * write is known before it starts: the record, its pipeline event and the idempotency answer.
 * Then one autocommitted statement writes them all, and wakes the relay, where the
 * transaction took five round trips (BEGIN, the lock, the insert, the outbox, COMMIT).
 *
 * Nothing changes for the caller or the events: an existing record is refused as ALREADY_EXISTS
 * (ON CONFLICT DO NOTHING writes no event then), a key race fails on the idempotency key's
 * primary key as in the transaction, and the event is the one the transaction would write.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { PipelineStage, SdkMessage } from '@flowline/contracts';
import { outboxHeaders, outboxInsertSql, outboxNotifySql, wakeRelayAfterCommit } from '@flowline/messaging';
import { FlowlineError } from '@flowline/rpc';
import { requestHash } from '../idempotency/idempotency.store';
import type { RealTimeWorkflows } from '../real-time/real-time-workflows';
import { validateTarget } from '../records/attribute-validation';
import { recordView, selectColumns } from '../records/record-view';
import { refuseViolations } from './main-operations/check-target';
import { newRecordRow } from './main-operations/create.operation';
import type { Operation } from './operation';
import { buildPipelineEvent, outboxMessageOf } from './pipeline-event';
import { PipelineErrorCode as Code } from './pipeline.errors';
import { preparedStatement, runPrepared } from '@flowline/persistence';
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

/**
 * Writes a plain Create (`isPlainCreate`) in one statement; answers undefined, having written
 * nothing, when the target sets a lookup, which the transaction must find under its lock.
 */
export async function createInOneStatement(
  dataSource: DataSource,
  schema: string,
  operation: Operation,
): Promise<ExecuteResult | undefined> {
  const { entity, input, context, recordId, resolution } = operation;
  const target = context.inputParameters.Target ?? {};
  const checked = validateTarget(entity, target, { creating: true });
  if (checked.lookups.length > 0) return undefined;
  refuseViolations({ entity, input, fromOperations: new Set() }, checked);

  const now = new Date();
  const row = newRecordRow({ entity, input, recordId, target, now });
  const post = recordView(entity, row);
  const event = buildPipelineEvent({
    eventId: randomUUID(),
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
    message.envelope.id,
    message.topic,
    message.key,
    JSON.stringify(message.envelope),
    JSON.stringify(outboxHeaders(message.envelope.type, message.headers)),
  ];
  const idempotency = input.idempotencyKey
    ? `, answered AS (
         INSERT INTO "${schema}"."idempotency_key" ("key", "request_hash", "response")
         SELECT $17, $18, $19 FROM created)`
    : '';
  if (input.idempotencyKey) parameters.push(input.idempotencyKey, requestHash(input), JSON.stringify(result));

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
     )})${idempotency}
     SELECT (SELECT count(*) FROM created)::int AS "created", ${outboxNotifySql(schema, 'written')} AS "notified"`),
    parameters,
  );
  wakeRelayAfterCommit(schema);
  if (outcome!.created === 0)
    throw new FlowlineError('ALREADY_EXISTS', Code.RecordExists, `${entity.logicalName} ${recordId} already exists: use Update`);
  return result;
}
