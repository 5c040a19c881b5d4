/**
 * A dialog process session: one run of an activated dialog version on one record, by the
 * person who started it. Holds the page shown, the answers, the interpreter's persisted state
 * and the state / status reason with the source platform's codes. Every change goes through
 * an optimistic check on row_version, which is also the page token a client answers with.
 */
import { Column, Entity, Index, PrimaryColumn, VersionColumn } from 'typeorm';
import type { InstanceState, Json } from '@flowline/process-runtime';
import type { PageView } from './session-view';

@Entity({ name: 'process_session' })
// Lists: by record, by the user who started them, by dialog; newest first.
@Index('IDX_process_session_regarding', ['entity', 'recordId', 'startedOn'])
@Index('IDX_process_session_started_by', ['startedBy', 'startedOn'])
@Index('IDX_process_session_dialog', ['dialogId', 'startedOn'])
export class ProcessSessionRow {
  /** Random, or derived from (user, request id) so that a repeated start finds the same session. */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_process_session' })
  id!: string;

  @Column({ name: 'dialog_id', type: 'uuid' })
  dialogId!: string;

  @Column({ name: 'dialog_unique_name', type: 'text' })
  dialogUniqueName!: string;

  @Column({ name: 'dialog_name', type: 'text' })
  dialogName!: string;

  /** The activated version it runs, kept even when the dialog is activated again. */
  @Column({ name: 'dialog_version', type: 'integer' })
  dialogVersion!: number;

  /** The regarding record: entity logical name and id. */
  @Column({ name: 'regarding_entity', type: 'text' })
  entity!: string;

  @Column({ name: 'regarding_id', type: 'text' })
  recordId!: string;

  @Column({ type: 'jsonb' })
  inputs!: Record<string, Json>;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;

  @Column({ name: 'correlation_id', type: 'text' })
  correlationId!: string;

  /** ProcessSessionState: 0 Incomplete, 1 Complete. */
  @Column({ type: 'smallint' })
  state!: number;

  /** ProcessSessionStatus: 2 In Progress, 4 Completed, 5 Canceled, 6 Failed. */
  @Column({ type: 'smallint' })
  status!: number;

  @Column({ name: 'current_page_id', type: 'text', nullable: true })
  currentPageId!: string | null;

  /** The page shown, as the person sees it (prompts with texts, options and earlier answers). */
  @Column({ name: 'current_page', type: 'jsonb', nullable: true })
  currentPage!: PageView | null;

  /** Every page shown so far by id, as last shown: the summary names questions with them. */
  @Column({ name: 'pages_shown', type: 'jsonb' })
  pagesShown!: Record<string, PageView>;

  /** Answers by page id, then by prompt id (typed: numbers, dates as text, option values). */
  @Column({ type: 'jsonb' })
  answers!: Record<string, Record<string, Json>>;

  @Column({ name: 'interpreter_state', type: 'jsonb' })
  interpreterState!: InstanceState;

  @Column({ name: 'started_by', type: 'text' })
  startedBy!: string;

  @Column({ name: 'started_on', type: 'timestamptz' })
  startedOn!: Date;

  @Column({ name: 'completed_by', type: 'text', nullable: true })
  completedBy!: string | null;

  @Column({ name: 'completed_on', type: 'timestamptz', nullable: true })
  completedOn!: Date | null;

  @Column({ name: 'canceled_by', type: 'text', nullable: true })
  canceledBy!: string | null;

  @Column({ name: 'canceled_on', type: 'timestamptz', nullable: true })
  canceledOn!: Date | null;

  @Column({ name: 'outcome_message', type: 'text', nullable: true })
  outcomeMessage!: string | null;

  @Column({ name: 'error_code', type: 'text', nullable: true })
  errorCode!: string | null;

  /** Where a linkChildDialog step sends the person next. */
  @Column({ name: 'next_dialog', type: 'text', nullable: true })
  nextDialog!: string | null;

  @Column({ name: 'modified_on', type: 'timestamptz' })
  modifiedOn!: Date;

  @VersionColumn({ name: 'row_version' })
  rowVersion!: number;
}
