/** Async operations and step log entries as the API shows them (gRPC messages; REST uses the same shape as JSON). */
import type { ExecutorProto } from '@flowline/rpc';
import type { AsyncOperationRow } from './async-operation.entity';
import type { OperationDetail, OperationList } from './operation-commands.service';
import { describePosition } from './operation-transitions';
import type { StepLogRow } from './step-log.entity';

const iso = (date: Date | null | undefined): string => (date ? new Date(date).toISOString() : '');

export function operationToProto(row: AsyncOperationRow): ExecutorProto.AsyncOperation {
  const [stateName, statusName] = describePosition(row).replace(')', '').split(' (') as [string, string];
  return {
    id: row.id,
    name: row.name,
    operationType: row.operationType,
    state: row.state,
    status: row.status,
    stateName,
    statusName,
    definitionId: row.definitionId ?? '',
    definitionVersion: row.definitionVersion ?? 0,
    stepRegistrationId: row.stepRegistrationId ?? '',
    eventId: row.eventId,
    correlationId: row.correlationId,
    depth: row.depth,
    primaryEntity: row.primaryEntity,
    regardingId: row.regardingId,
    owner: row.owner,
    dependencyToken: row.dependencyToken ?? '',
    postponeUntil: iso(row.postponeUntil),
    retryCount: row.retryCount,
    errorCode: row.errorCode ?? '',
    friendlyMessage: row.friendlyMessage ?? '',
    currentStage: row.currentStage ?? '',
    host: row.host ?? '',
    leaseExpiresAt: iso(row.leaseExpiresAt),
    createdOn: iso(row.createdOn),
    startedOn: iso(row.startedOn),
    completedOn: iso(row.completedOn),
    executionTimeMs: row.executionTimeMs,
    sequence: String(row.sequence),
    rowVersion: row.rowVersion,
    nextAttemptAt: iso(row.nextAttemptAt),
    lastError: row.lastError ?? '',
    unavailableSince: iso(row.unavailableSince),
    unavailableAttempts: row.unavailableAttempts ?? 0,
    parentOperationId: row.parentOperationId ?? '',
  };
}

/** A page of the list (REST answers the same shape as JSON). */
export function listToProto(list: OperationList): ExecutorProto.ListOperationsResponse {
  return {
    operations: list.rows.map(operationToProto),
    page: list.page,
    totalCountCapped: list.totalCountCapped,
    estimatedTotalCount: list.estimatedTotalCount,
  };
}

/** Another operation as a job's page links to it. */
export function relatedToProto(
  row: Pick<AsyncOperationRow, 'id' | 'name' | 'state' | 'status' | 'createdOn' | 'completedOn'>,
): ExecutorProto.RelatedOperation {
  const [stateName, statusName] = describePosition(row).replace(')', '').split(' (') as [string, string];
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    status: row.status,
    stateName,
    statusName,
    createdOn: iso(row.createdOn),
    completedOn: iso(row.completedOn),
  };
}

/** The trace id of the W3C traceparent an operation keeps ('' without one). */
export function traceIdOf(row: Pick<AsyncOperationRow, 'traceContext'>): string {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(row.traceContext?.['traceparent'] ?? '');
  return match && !/^0+$/.test(match[1]!) ? match[1]! : '';
}

/** An operation's page: the operation, its step log, its parent and children, its trace id. */
export function detailToProto(detail: OperationDetail): ExecutorProto.OperationDetail {
  return {
    operation: operationToProto(detail.operation),
    steps: stepsToProto(detail.steps),
    ...(detail.parent ? { parent: relatedToProto(detail.parent) } : {}),
    children: detail.children.map(relatedToProto),
    traceId: traceIdOf(detail.operation),
    outputs: outputsOf(detail.operation),
    input: JSON.stringify(detail.operation.input ?? {}),
  };
}

/** A workflow run's step outputs by step id, as JSON text ("{}" when it has none yet). */
export function outputsOf(row: AsyncOperationRow): string {
  const outputs = (row.instanceState as { outputs?: unknown } | null)?.outputs;
  return JSON.stringify(outputs && typeof outputs === 'object' ? outputs : {});
}

export function stepToProto(row: StepLogRow): ExecutorProto.StepLogEntry {
  return {
    attempt: row.attempt,
    stepId: row.stepId,
    path: row.path,
    stepType: row.stepType,
    status: row.status,
    message: row.message ?? '',
    startedOn: iso(row.startedOn),
    loggedOn: iso(row.loggedOn),
  };
}

/**
 * An operation's step log as the API shows it: attempt by attempt, each in the order its steps
 * started (entries without a start number, a webhook step's, by when they were written).
 */
export function stepsToProto(rows: StepLogRow[]): ExecutorProto.StepLogEntry[] {
  return [...rows]
    .sort(
      (a, b) =>
        a.attempt - b.attempt || (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER) || Number(a.id) - Number(b.id),
    )
    .map(stepToProto);
}
