/** Every change of a session goes to flowline.sessions.v1 through the outbox, in the change's transaction. */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SESSION_CHANGE_SCHEMA_VERSION, SESSION_CHANGE_TYPE, SessionChangeSchema, Topics, type SessionChange } from '@flowline/contracts';
import { createEnvelope, writeToOutbox } from '@flowline/messaging';
import { SERVICE } from '../config';
import type { ProcessSessionRow } from './process-session.entity';

@Injectable()
export class SessionEvents {
  async record(manager: EntityManager, row: ProcessSessionRow, change: SessionChange['change'], changedBy: string): Promise<void> {
    // Checked against the published contract before it leaves: a consumer never sees a malformed change.
    const payload = SessionChangeSchema.parse({
      sessionId: row.id,
      change,
      dialogId: row.dialogId,
      dialogUniqueName: row.dialogUniqueName,
      dialogVersion: row.dialogVersion,
      entity: row.entity,
      recordId: row.recordId,
      state: row.state,
      status: row.status,
      currentPageId: row.currentPageId,
      answers: row.answers,
      startedBy: row.startedBy,
      startedOn: row.startedOn.toISOString(),
      changedBy,
      completedOn: row.completedOn?.toISOString() ?? null,
      nextDialog: row.nextDialog,
      rowVersion: row.rowVersion,
    } satisfies SessionChange);
    await writeToOutbox(manager, [
      {
        topic: Topics.sessions,
        key: row.id,
        envelope: createEnvelope({
          type: SESSION_CHANGE_TYPE,
          schemaVersion: SESSION_CHANGE_SCHEMA_VERSION,
          source: SERVICE.name,
          correlationId: row.correlationId,
          depth: 1,
          payload,
        }),
      },
    ]);
  }
}
