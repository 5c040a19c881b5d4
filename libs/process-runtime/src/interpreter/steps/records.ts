/**
 * Steps that act on records through the gateway: each asks for one record message and stops
 * until its result arrives. Relative updates (increment, decrement, multiply, append) go as
 * operations the gateway applies inside its transaction, never computed on the run's copy.
 */
import type { StepOfType } from '@flowline/process-model';
import type { Json, RecordImage, RelativeOperation } from '../types';
import { RunError, type StepContext, type StepHandler } from './context';

export const createRecord: StepHandler<'createRecord'> = (step, { path }, run) =>
  run.message(step, path, 'Create', step.entity, undefined, run.resolve(step.set) as RecordImage);

/** An updateRecord's values: set and clear as the target; the relative ones as operations, their value resolved. */
function updateValues(
  step: StepOfType<'updateRecord'>,
  run: StepContext,
): { target: RecordImage; operations: Record<string, RelativeOperation> } {
  const target: RecordImage = {};
  const operations: Record<string, RelativeOperation> = {};
  for (const [name, raw] of Object.entries(step.set)) {
    const operation = raw && typeof raw === 'object' && 'op' in raw ? (raw as { op: string; value?: unknown }) : { op: 'set', value: raw };
    switch (operation.op) {
      case 'set':
        target[name] = run.resolve(operation.value);
        break;
      case 'clear':
        target[name] = null;
        break;
      case 'append':
      case 'increment':
      case 'decrement':
      case 'multiply':
        operations[name] = { op: operation.op, value: run.resolve(operation.value) };
        break;
      default:
        throw new RunError('INVALID_INPUT', `step '${step.id}': unknown update operation '${operation.op}'`);
    }
  }
  return { target, operations };
}

export const updateRecord: StepHandler<'updateRecord'> = (step, { path }, run) => {
  const record = run.target(step);
  const { target, operations } = updateValues(step, run);
  return run.message(step, path, 'Update', record.entity, record.id, target, {}, operations);
};

export const assign: StepHandler<'assign'> = (step, { path }, run) => {
  const record = run.target(step);
  return run.message(step, path, 'Assign', record.entity, record.id, {}, { assignee: run.resolve(step.owner) });
};

export const setState: StepHandler<'setState'> = (step, { path }, run) => {
  const record = run.target(step);
  const parameters: Record<string, Json> = { state: step.state, ...(step.status !== undefined ? { status: step.status } : {}) };
  return run.message(step, path, 'SetState', record.entity, record.id, {}, parameters);
};

export const sendEmail: StepHandler<'sendEmail'> = (step, { path }, run) => {
  const ref = run.state.record['ref'] as { entity?: string; id?: string } | undefined;
  return run.message(step, path, 'Create', 'email', undefined, {
    subject: run.resolve(step.subject),
    description: run.resolve(step.body),
    to: run.resolve(step.to),
    directioncode: true,
    ...(ref?.id ? { regardingobjectid: { entity: String(ref.entity ?? ''), id: ref.id } } : {}),
  });
};

/** Dialogs: the records found are saved as the variable `saveAs` when the result arrives. */
export const queryData: StepHandler<'queryData'> = (step, { path }, run) =>
  run.message(step, path, 'RetrieveMultiple', step.entity, undefined, {}, { conditions: run.resolve(step.conditions) });
