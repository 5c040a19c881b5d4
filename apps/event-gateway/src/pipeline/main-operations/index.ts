/** The main operation of every message the pipeline writes itself. */
import { SdkMessage } from '@flowline/contracts';
import { assignRecord } from './assign.operation';
import { createRecord } from './create.operation';
import { deleteRecord } from './delete.operation';
import type { MainOperation, WriteMessage } from './main-operation';
import { setRecordState } from './set-state.operation';
import { updateRecord } from './update.operation';

export const MAIN_OPERATIONS: Record<WriteMessage, MainOperation> = {
  [SdkMessage.Create]: createRecord,
  [SdkMessage.Update]: updateRecord,
  [SdkMessage.Delete]: deleteRecord,
  [SdkMessage.Assign]: assignRecord,
  [SdkMessage.SetState]: setRecordState,
};

export { isWriteMessage, WRITE_MESSAGES, type MainOperationContext } from './main-operation';
