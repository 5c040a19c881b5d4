/**
 * An async operation (system job): one run of a workflow or an asynchronous plug-in step for
 * one pipeline event, with its state and status reason, lease, retries and persisted
 * interpreter state.
 */
import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryColumn, VersionColumn } from 'typeorm';

@Entity({ name: 'async_operation' })
@Index('UQ_async_operation_event_process', ['eventId', 'processKey'], { unique: true })
// Workers claim with: WHERE state = 0 AND postpone_until <= now() ORDER BY sequence (see the claim query).
@Index('IDX_async_operation_ready', ['sequence'], { where: '"state" = 0' })
@Index('IDX_async_operation_dependency', ['dependencyToken', 'sequence'], { where: '"dependency_token" IS NOT NULL' })
// Retention and the list's completedOn sort (keyset on completed_on, sequence).
@Index('IDX_async_operation_completed_sequence', ['completedOn', 'sequence'], { where: '"state" = 3' })
// The system jobs list (operation-page.ts): the default sort, and a filter by state, status, definition or name in it.
@Index('IDX_async_operation_created', ['createdOn', 'sequence'])
@Index('IDX_async_operation_state_created', ['state', 'createdOn', 'sequence'])
@Index('IDX_async_operation_status_created', ['status', 'createdOn', 'sequence'])
@Index('IDX_async_operation_definition_created', ['definitionId', 'createdOn', 'sequence'])
@Index('IDX_async_operation_name_created', ['name', 'createdOn', 'sequence'])
// The list's text filter: a pg_trgm GIN index over an expression, kept by its migration alone.
@Index('IDX_async_operation_text', { synchronize: false })
@Index('IDX_async_operation_correlation', ['correlationId'])
@Index('IDX_async_operation_locked', ['definitionId'], { where: '"state" = 2' })
@Index('IDX_async_operation_regarding', ['primaryEntity', 'regardingId'])
@Index('IDX_async_operation_parent', ['parentOperationId'], { where: '"parent_operation_id" IS NOT NULL' })
@Index('IDX_async_operation_timer', ['postponeUntil'], { where: '"state" = 1 AND "status" = 10' })
@Index('IDX_async_operation_lease', ['leaseExpiresAt'], { where: '"state" = 2' })
// The bulk runner takes Ready bulk actions (type 13) without walking the Ready queue of runs.
@Index('IDX_async_operation_bulk_ready', ['sequence'], { where: '"state" = 0 AND "operation_type" = 13' })
export class AsyncOperationRow {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_async_operation' })
  id!: string;

  /** Submission order: operations sharing a dependency token run in this order. */
  @Column({ type: 'bigint' })
  @Generated('increment')
  sequence!: string;

  /** 10 Workflow, 1 System Event (asynchronous plug-in step), ... */
  @Column({ name: 'operation_type', type: 'smallint' })
  operationType!: number;

  @Column({ type: 'text' })
  name!: string;

  /** The definition id or the step id: with the event id, what makes a dispatch idempotent. */
  @Column({ name: 'process_key', type: 'text' })
  processKey!: string;

  @Column({ name: 'definition_id', type: 'uuid', nullable: true })
  definitionId!: string | null;

  @Column({ name: 'definition_version', type: 'integer', nullable: true })
  definitionVersion!: number | null;

  @Column({ name: 'step_registration_id', type: 'uuid', nullable: true })
  stepRegistrationId!: string | null;

  @Column({ type: 'smallint' })
  state!: number;

  @Column({ type: 'smallint' })
  status!: number;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'correlation_id', type: 'text' })
  correlationId!: string;

  @Column({ type: 'integer' })
  depth!: number;

  @Column({ name: 'primary_entity', type: 'text' })
  primaryEntity!: string;

  @Column({ name: 'regarding_id', type: 'text' })
  regardingId!: string;

  @Column({ type: 'text' })
  owner!: string;

  /** The event and arguments as they were when the operation was created. */
  @Column({ type: 'jsonb' })
  input!: Record<string, unknown>;

  @Column({ name: 'instance_state', type: 'jsonb', nullable: true })
  instanceState!: Record<string, unknown> | null;

  @Column({ name: 'dependency_token', type: 'text', nullable: true })
  dependencyToken!: string | null;

  @Column({ name: 'postpone_until', type: 'timestamptz' })
  postponeUntil!: Date;

  @Column({ name: 'retry_count', type: 'integer', default: 0 })
  retryCount!: number;

  @Column({ name: 'error_code', type: 'text', nullable: true })
  errorCode!: string | null;

  @Column({ name: 'friendly_message', type: 'text', nullable: true })
  friendlyMessage!: string | null;

  /** The last failure a retry or a wait for a dependency answered (kept after a later success). */
  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  /** When a retried run (or one waiting out a dependency) will be tried again; null otherwise. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  /** Since when a dependency (gateway, registry) has been unavailable to this run; cleared by progress. */
  @Column({ name: 'unavailable_since', type: 'timestamptz', nullable: true })
  unavailableSince!: Date | null;

  @Column({ name: 'unavailable_attempts', type: 'integer', default: 0 })
  unavailableAttempts!: number;

  /** A child started by a parent that waits for it: completing it wakes the parent. */
  @Column({ name: 'parent_operation_id', type: 'uuid', nullable: true })
  parentOperationId!: string | null;

  @Column({ name: 'current_stage', type: 'text', nullable: true })
  currentStage!: string | null;

  @Column({ type: 'text', nullable: true })
  host!: string | null;

  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true })
  leaseExpiresAt!: Date | null;

  /** W3C trace context of the event that created it, so a run resumed later joins its trace. */
  @Column({ name: 'trace_context', type: 'jsonb' })
  traceContext!: Record<string, string>;

  @CreateDateColumn({ name: 'created_on', type: 'timestamptz' })
  createdOn!: Date;

  @Column({ name: 'started_on', type: 'timestamptz', nullable: true })
  startedOn!: Date | null;

  @Column({ name: 'completed_on', type: 'timestamptz', nullable: true })
  completedOn!: Date | null;

  @Column({ name: 'execution_time_ms', type: 'integer', default: 0 })
  executionTimeMs!: number;

  @VersionColumn({ name: 'row_version' })
  rowVersion!: number;
}
