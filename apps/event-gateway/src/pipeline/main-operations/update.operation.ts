/** Update: the target's attributes written over the record's (null clears one). */
import { RecordRow } from '../../records/record.entity';
import { checkTarget } from './check-target';
import { touched, type MainOperation } from './main-operation';

export const updateRecord: MainOperation = async (context) => {
  await checkTarget(context, false);
  const attributes = { ...context.existing!.attributes, ...context.target };
  for (const [name, value] of Object.entries(context.target)) if (value === null) delete attributes[name];
  return context.manager.getRepository(RecordRow).save(touched(context, { attributes }));
};
