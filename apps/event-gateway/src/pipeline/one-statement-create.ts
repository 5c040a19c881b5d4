/**
 * A plain Create in one statement. When nothing runs inside the transaction (no plug-in step and
 * no real-time workflow at stages 20 and 40, no lookup to find, no relative operation), the whole
 * write is known before it starts: the record, its pipeline event and the idempotency answer.
 * Then one autocommitted statement writes them all, and wakes the relay, where the
 * transaction took five round trips (BEGIN, the lock, the insert, the outbox, COMMIT). Creates
 * that arrive while others are being written share one statement (create-group.ts).
 *
 * Nothing changes for the caller or the events: an existing record is refused as ALREADY_EXISTS
 * (ON CONFLICT DO NOTHING writes no event then), a key race fails on the idempotency key's
 * primary key as in the transaction, and the event is the one the transaction would write.
 */
import { randomUUID } from 'node:crypto';
import { PipelineStage, SdkMessage } from '@flowline/contracts';
import { outboxHeaders } from '@flowline/messaging';
import { FlowlineError } from '@flowline/rpc';
import { requestHash } from '../idempotency/idempotency.store';
import type { RealTimeWorkflows } from '../real-time/real-time-workflows';
import { validateTarget } from '../records/attribute-validation';
import { recordView, selectColumns } from '../records/record-view';
import { refuseViolations } from './main-operations/check-target';
import { newRecordRow } from './main-operations/create.operation';
import type { Operation } from './operation';
import type { CreateGroups } from './create-group';
import { buildPipelineEvent, outboxMessageOf } from './pipeline-event';
import { PipelineErrorCode as Code } from './pipeline.errors';
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
export async function createInOneStatement(groups: CreateGroups, operation: Operation): Promise<ExecuteResult | undefined> {
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
  const created = await groups.write({
    row,
    outbox: {
      eventId: message.envelope.id,
      topic: message.topic,
      key: message.key,
      envelope: message.envelope,
      headers: outboxHeaders(message.envelope.type, message.headers),
    },
    idempotency: input.idempotencyKey ? { key: input.idempotencyKey, requestHash: requestHash(input), response: result } : undefined,
  });
  if (!created)
    throw new FlowlineError('ALREADY_EXISTS', Code.RecordExists, `${entity.logicalName} ${recordId} already exists: use Update`);
  return result;
}
