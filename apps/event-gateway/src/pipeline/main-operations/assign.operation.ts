/** Assign: a new owner, a user or a team (`parameters.assignee`). */
import { invalidArgument } from '@flowline/rpc';
import { PipelineErrorCode as Code } from '../pipeline.errors';
import { saveTouched, type MainOperation } from './main-operation';

export const assignRecord: MainOperation = async (context) => {
  const assignee = context.input.parameters['assignee'] as { entity?: string; id?: string } | undefined;
  if (!assignee || !['systemuser', 'team'].includes(assignee.entity ?? '') || typeof assignee.id !== 'string' || !assignee.id) {
    throw invalidArgument(Code.InvalidParameters, 'Assign needs the new owner', [
      { field: 'parameters.assignee', description: 'expected {"entity": "systemuser" or "team", "id": "..."}' },
    ]);
  }
  return saveTouched(context, { ownerId: `${assignee.entity}:${assignee.id}` });
};
