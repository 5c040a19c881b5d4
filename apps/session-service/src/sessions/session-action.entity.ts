/**
 * The log of a session: every page shown and answered, each step back, records queried,
 * created and updated through the gateway, variables assigned, child dialogs linked, and how
 * the session ended. Append-only, numbered per session.
 */
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Json } from '@flowline/process-runtime';

export const SessionActionKinds = [
  'pageShown',
  'pageAnswered',
  'previousPage',
  'recordsQueried',
  'recordCreated',
  'recordUpdated',
  'recordMessage',
  'variableAssigned',
  'childDialogLinked',
  'completed',
  'canceled',
  'failed',
] as const;

export type SessionActionKind = (typeof SessionActionKinds)[number];

@Entity({ name: 'session_action' })
// A session's log is read in order; the uniqueness also stops two writers from interleaving.
@Index('UQ_session_action_sequence', ['sessionId', 'sequence'], { unique: true })
export class SessionActionRow {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'PK_session_action' })
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  @Column({ type: 'integer' })
  sequence!: number;

  @Column({ type: 'text' })
  kind!: SessionActionKind;

  @Column({ name: 'step_id', type: 'text', nullable: true })
  stepId!: string | null;

  @Column({ type: 'text', nullable: true })
  entity!: string | null;

  @Column({ name: 'record_id', type: 'text', nullable: true })
  recordId!: string | null;

  @Column({ type: 'jsonb' })
  detail!: Record<string, Json>;

  @Column({ name: 'performed_by', type: 'text' })
  performedBy!: string;

  @Column({ name: 'performed_on', type: 'timestamptz' })
  performedOn!: Date;

  /** The row version of the session the request that did this acted on (its page token). */
  @Column({ name: 'page_token', type: 'integer' })
  pageToken!: number;
}
