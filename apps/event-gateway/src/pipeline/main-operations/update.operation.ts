/** Update: the target's attributes written over the record's (null clears one). */
import { checkTarget } from './check-target';
import { saveTouched, type MainOperation } from './main-operation';

export const updateRecord: MainOperation = async (context) => {
  await checkTarget(context, false);
  const attributes = { ...context.existing!.attributes, ...context.target };
  for (const [name, value] of Object.entries(context.target)) if (value === null) delete attributes[name];
  return saveTouched(context, { attributes });
};
