/** SetState: a state and one of its statuses (`parameters.state`, `parameters.status`; -1 or none: the state's default). */
import { invalidArgument } from '@flowline/rpc';
import { validateStateChange } from '../../records/attribute-validation';
import { PipelineErrorCode as Code } from '../pipeline.errors';
import { saveTouched, type MainOperation } from './main-operation';

export const setRecordState: MainOperation = async (context) => {
  const { entity, input } = context;
  const violations = validateStateChange(entity, input.parameters['state'], input.parameters['status']);
  if (violations.length > 0) throw invalidArgument(Code.InvalidParameters, `SetState of ${entity.logicalName} is invalid`, violations);
  const state = input.parameters['state'] as number;
  const statusOption = entity.attributes.find((a) => a.type === 'status')?.options?.find((o) => o.state === state);
  const status =
    typeof input.parameters['status'] === 'number' && input.parameters['status'] !== -1
      ? input.parameters['status']
      : (statusOption?.value ?? null);
  return saveTouched(context, { stateCode: state, statusCode: status });
};
