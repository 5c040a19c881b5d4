/**
 * `flowline.sessions.v1`: one message per change of a dialog process session (started, page
 * answered, back a page, completed, canceled, failed), keyed by the session id. A consumer that
 * wants finished dialogs looks for `change: 'completed'` (state Complete, status Completed):
 * the answers come with it.
 */
import { z } from 'zod';

export const SESSION_CHANGE_TYPE = 'session.changed';
export const SESSION_CHANGE_SCHEMA_VERSION = 1;

export const SessionChangeKinds = ['started', 'pageAnswered', 'previousPage', 'completed', 'canceled', 'failed'] as const;

export const SessionChangeSchema = z.object({
  sessionId: z.string().uuid(),
  change: z.enum(SessionChangeKinds),
  dialogId: z.string().uuid(),
  dialogUniqueName: z.string().min(1),
  dialogVersion: z.number().int().positive(),
  entity: z.string().min(1),
  recordId: z.string().min(1),
  /** ProcessSessionState: 0 Incomplete, 1 Complete. */
  state: z.number().int().min(0).max(1),
  /** ProcessSessionStatus: 2 In Progress, 4 Completed, 5 Canceled, 6 Failed. */
  status: z.number().int().min(1).max(6),
  /** The page now shown; null once the session has ended. */
  currentPageId: z.string().nullable(),
  /** Answers by page id, then by prompt id. */
  answers: z.record(z.string(), z.record(z.string(), z.unknown())),
  startedBy: z.string().min(1),
  startedOn: z.string().datetime({ offset: true }),
  /** Who made this change. */
  changedBy: z.string().min(1),
  completedOn: z.string().datetime({ offset: true }).nullable(),
  /** The dialog a linkChildDialog step continues in. */
  nextDialog: z.string().nullable(),
  rowVersion: z.number().int().min(1),
});

export type SessionChange = z.infer<typeof SessionChangeSchema>;
