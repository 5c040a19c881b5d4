/**
 * One write on its way through the stages: what can be checked before the transaction (the
 * message, the record id, the relative operations) and the steps and workflows it triggers;
 * then, inside the transaction, its record locked and checked.
 */
import type { EntityManager } from 'typeorm';
import { PipelineStage, SdkMessage, type EntityMetadata } from '@flowline/contracts';
import type { MetadataCache, Resolution } from '@flowline/metadata-cache';
import type { ExecutionContext } from '@flowline/plugin-steps';
import { FlowlineError, invalidArgument, notFound } from '@flowline/rpc';
import type { DepthWindow } from '../loop-protection/loop-guard';
import { RecordRow } from '../records/record.entity';
import { isWriteMessage } from './main-operations';
import { PipelineErrorCode as Code } from './pipeline.errors';
import type { ExecuteInput } from './pipeline.types';
import { checkOperations, type CheckedOperations } from './relative-operations';
import { timeOrderedId } from '@flowline/persistence';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export /** One write, checked and resolved, on its way through the stages. */
interface Operation {
  input: ExecuteInput;
  entity: EntityMetadata;
  recordId: string;
  custom: boolean;
  operations: CheckedOperations;
  resolution: Resolution;
  context: ExecutionContext;
  /** The loop-protection window of the operation's chain. */
  window: DepthWindow;
}

/** Everything that can be checked before the transaction: the message, the id, the operations; the steps it triggers. */
export function prepareOperation(metadata: MetadataCache, entity: EntityMetadata, input: ExecuteInput, window: DepthWindow): Operation {
  const operations = checkOperations(entity, input.message, input.target, input.operations);
  const resolution = metadata.resolve(input.message, entity.logicalName, [...Object.keys(input.target), ...Object.keys(operations)]);
  const custom = !isWriteMessage(input.message);
  if (custom && resolution.synchronous.every((stage) => stage.steps.length === 0) && resolution.asynchronous.length === 0) {
    throw notFound(Code.UnknownMessage, `no message '${input.message}' for ${entity.logicalName}: register a step for it in the registry`);
  }
  const recordId = input.id || (input.message === SdkMessage.Create ? timeOrderedId() : '');
  if (!UUID.test(recordId) && !(custom && recordId === '')) {
    throw invalidArgument(Code.InvalidParameters, `the record id must be a UUID, got '${recordId}'`, [
      { field: 'id', description: 'expected a UUID' },
    ]);
  }
  const context: ExecutionContext = {
    messageName: input.message,
    primaryEntityName: entity.logicalName,
    primaryEntityId: recordId,
    stage: PipelineStage.PreValidation,
    mode: 0,
    depth: Math.max(1, input.depth),
    correlationId: input.correlationId,
    initiatingUserId: input.initiatingUserId,
    inputParameters: { ...input.parameters, Target: { ...input.target } },
    outputParameters: {},
    sharedVariables: {},
    preEntityImages: {},
    postEntityImages: {},
    operationCreatedOn: new Date().toISOString(),
  };
  return { input, entity, recordId, custom, operations, resolution, context, window };
}

/** The record locked for this transaction, checked for existence and the expected version. */
export async function lockRecord(manager: EntityManager, operation: Operation): Promise<RecordRow | null> {
  const { entity, input, recordId, custom } = operation;
  const existing = recordId
    ? await manager
        .getRepository(RecordRow)
        .findOne({ where: { entity: entity.logicalName, id: recordId }, lock: { mode: 'pessimistic_write' } })
    : null;
  const creating = input.message === SdkMessage.Create;
  if (creating && existing)
    throw new FlowlineError('ALREADY_EXISTS', Code.RecordExists, `${entity.logicalName} ${recordId} already exists: use Update`);
  if (!creating && !custom && !existing) throw notFound(Code.RecordNotFound, `no ${entity.logicalName} with id ${recordId}`);
  if (existing && input.expectedVersion && existing.version !== input.expectedVersion) {
    throw new FlowlineError(
      'ABORTED',
      Code.VersionConflict,
      `${entity.logicalName} ${recordId} is at version ${existing.version}, not ${input.expectedVersion}: read it again and reapply your change`,
    );
  }
  return existing;
}
