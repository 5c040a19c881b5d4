/** Async operations and step log entries as the API shows them (gRPC messages; REST uses the same shape as JSON). */
import type { ExecutorProto } from '@flowline/rpc';
import type { AsyncOperationRow } from './async-operation.entity';
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

export function stepToProto(row: StepLogRow): ExecutorProto.StepLogEntry {
  return {
    stepId: row.stepId,
    path: row.path,
    stepType: row.stepType,
    status: row.status,
    message: row.message ?? '',
    startedOn: iso(row.startedOn),
    loggedOn: iso(row.loggedOn),
  };
}
