/** Delete: the record is gone; the pipeline event keeps its pre-image. */
import { RecordRow } from '../../records/record.entity';
import type { MainOperation } from './main-operation';

export const deleteRecord: MainOperation = async (context) => {
  await context.manager.getRepository(RecordRow).delete({ entity: context.entity.logicalName, id: context.recordId });
  return null;
};
