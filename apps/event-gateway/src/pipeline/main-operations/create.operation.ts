/** Create: a new record with the target's attributes, owned by the initiating user, in the first state. */
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { RecordRow } from '../../records/record.entity';
import { checkTarget } from './check-target';
import type { MainOperation, MainOperationContext } from './main-operation';

export const createRecord: MainOperation = async (context) => {
  await checkTarget(context, true);
  const row = newRecordRow(context);
  // An insert, not save(): save() would first read the row to choose between insert and update.
  await context.manager.getRepository(RecordRow).insert(row as QueryDeepPartialEntity<RecordRow>);
  return row;
};

/** The row a Create writes: the target's set attributes, the owner, the entity's first state and its status, version 1. */
export function newRecordRow(context: Pick<MainOperationContext, 'entity' | 'input' | 'recordId' | 'target' | 'now'>): RecordRow {
  const { entity, input, now } = context;
  const state = entity.attributes.find((attribute) => attribute.type === 'state');
  const status = entity.attributes.find((attribute) => attribute.type === 'status');
  const owned = entity.attributes.some((attribute) => attribute.type === 'owner');
  const firstState = state ? (state.options?.[0]?.value ?? 0) : null;
  return {
    entity: entity.logicalName,
    id: context.recordId,
    attributes: Object.fromEntries(Object.entries(context.target).filter(([, value]) => value !== null)),
    ownerId: owned ? `systemuser:${input.initiatingUserId}` : null,
    stateCode: firstState,
    statusCode: status ? (status.options?.find((option) => option.state === (firstState ?? 0))?.value ?? null) : null,
    createdBy: input.initiatingUserId,
    createdOn: now,
    modifiedBy: input.initiatingUserId,
    modifiedOn: now,
    version: 1,
  };
}
