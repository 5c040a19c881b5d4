/** Create: a new record with the target's attributes, owned by the initiating user, in the first state. */
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { RecordRow } from '../../records/record.entity';
import { checkTarget } from './check-target';
import type { MainOperation } from './main-operation';

export const createRecord: MainOperation = async (context) => {
  await checkTarget(context, true);
  const { entity, input, now } = context;
  const state = entity.attributes.find((attribute) => attribute.type === 'state');
  const status = entity.attributes.find((attribute) => attribute.type === 'status');
  const owned = entity.attributes.some((attribute) => attribute.type === 'owner');
  const firstState = state ? (state.options?.[0]?.value ?? 0) : null;
  const records = context.manager.getRepository(RecordRow);
  const row = records.create({
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
  });
  // An insert, not save(): save() would first read the row to choose between insert and update.
  await records.insert(row as QueryDeepPartialEntity<RecordRow>);
  return row;
};
