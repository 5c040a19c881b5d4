/**
 * Stage 30, the main operation: what a message does to the record, inside the transaction
 * that holds the record's lock. One handler per message, in an exhaustive map, so a message
 * the pipeline writes without a handler does not compile.
 */
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { SdkMessage, type EntityMetadata } from '@flowline/contracts';
import { RecordRow } from '../../records/record.entity';
import type { ExecuteInput } from '../pipeline.types';

export interface MainOperationContext {
  manager: EntityManager;
  entity: EntityMetadata;
  input: ExecuteInput;
  recordId: string;
  /** The record as it is, locked for this transaction (null before a Create). */
  existing: RecordRow | null;
  /** The target after stage 20 (and with relative operations applied). */
  target: Record<string, unknown>;
  /** Attributes whose value a relative operation computed: their problems are reported at `operations.<name>`. */
  fromOperations: ReadonlySet<string>;
  now: Date;
}

/** The record after the operation, or null when it no longer exists. */
export type MainOperation = (context: MainOperationContext) => Promise<RecordRow | null>;

export type WriteMessage = SdkMessage.Create | SdkMessage.Update | SdkMessage.Delete | SdkMessage.Assign | SdkMessage.SetState;

export const WRITE_MESSAGES: ReadonlySet<string> = new Set<WriteMessage>([
  SdkMessage.Create,
  SdkMessage.Update,
  SdkMessage.Delete,
  SdkMessage.Assign,
  SdkMessage.SetState,
]);

export function isWriteMessage(message: string): message is WriteMessage {
  return WRITE_MESSAGES.has(message);
}

/** The record saved with a new version, by the initiating user, now. */
export function touched(context: MainOperationContext, changes: Partial<RecordRow>): RecordRow {
  return {
    ...context.existing!,
    ...changes,
    modifiedBy: context.input.initiatingUserId,
    modifiedOn: context.now,
    version: context.existing!.version + 1,
  };
}

/**
 * Saves the record with a new version (touched): one UPDATE of the row the pipeline holds locked,
 * without the read a repository save() would make first.
 */
export async function saveTouched(context: MainOperationContext, changes: Partial<RecordRow>): Promise<RecordRow> {
  const row = touched(context, changes);
  await context.manager.getRepository(RecordRow).update(
    { entity: row.entity, id: row.id },
    {
      attributes: row.attributes as QueryDeepPartialEntity<RecordRow>['attributes'],
      ownerId: row.ownerId,
      stateCode: row.stateCode,
      statusCode: row.statusCode,
      modifiedBy: row.modifiedBy,
      modifiedOn: row.modifiedOn,
      version: row.version,
    },
  );
  return row;
}
