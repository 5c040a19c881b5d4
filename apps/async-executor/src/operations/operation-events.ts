/** Every state change of an operation goes to flowline.async-operations.v1 through the outbox. */
import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { Topics } from '@flowline/contracts';
import { createEnvelope, writeToOutbox } from '@flowline/messaging';
import { SERVICE } from '../config';
import { AsyncOperationRow } from './async-operation.entity';

export const ASYNC_OPERATION_CHANGED = 'async-operation.changed';

/** What a change message carries of an operation. */
export type ChangedOperation = Pick<
  AsyncOperationRow,
  | 'id'
  | 'correlationId'
  | 'depth'
  | 'name'
  | 'operationType'
  | 'state'
  | 'status'
  | 'definitionId'
  | 'definitionVersion'
  | 'primaryEntity'
  | 'regardingId'
  | 'errorCode'
  | 'friendlyMessage'
>;

@Injectable()
export class OperationEvents {
  /** One change message per operation; the correlation id is the operation's own unless given. */
  async recordMany(manager: EntityManager, ids: string[], correlationId?: string): Promise<void> {
    if (ids.length === 0) return;
    // Only what the change event carries (not the input and state documents).
    const rows = await manager.getRepository(AsyncOperationRow).find({
      where: { id: In(ids) },
      select: {
        id: true,
        correlationId: true,
        depth: true,
        name: true,
        operationType: true,
        state: true,
        status: true,
        definitionId: true,
        definitionVersion: true,
        primaryEntity: true,
        regardingId: true,
        errorCode: true,
        friendlyMessage: true,
      },
    });
    await this.recordRows(manager, rows, correlationId);
  }

  /** The change messages of rows the caller has just read or returned (no second read). */
  async recordRows(manager: EntityManager, rows: ChangedOperation[], correlationId?: string): Promise<void> {
    if (rows.length === 0) return;
    await writeToOutbox(
      manager,
      rows.map((row) => ({
        topic: Topics.asyncOperations,
        key: row.id,
        envelope: createEnvelope({
          type: ASYNC_OPERATION_CHANGED,
          schemaVersion: 1,
          source: SERVICE.name,
          correlationId: correlationId || row.correlationId,
          depth: row.depth,
          payload: {
            operationId: row.id,
            name: row.name,
            operationType: row.operationType,
            state: row.state,
            status: row.status,
            definitionId: row.definitionId,
            definitionVersion: row.definitionVersion,
            primaryEntity: row.primaryEntity,
            regardingId: row.regardingId,
            errorCode: row.errorCode,
            friendlyMessage: row.friendlyMessage,
          },
        }),
      })),
    );
  }
}
