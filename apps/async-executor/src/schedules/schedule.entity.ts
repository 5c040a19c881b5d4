/**
 * One schedule: a schedule trigger of an active definition version (the definition id and the
 * trigger's index name it), with its compiled timing, the next due time (nominal, and with its
 * jitter the time it fires), the last firing, a firing held back by `overlap: bufferOne`, and
 * whether an operator paused it. Rows follow the registry's active versions (ScheduleSync).
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { CompiledSchedule } from '@flowline/process-model';

@Entity({ name: 'schedule' })
@Index('IDX_schedule_due', ['nextFireAt'], { where: '"paused" = false' })
@Index('IDX_schedule_definition', ['definitionId'])
export class ScheduleRow {
  /** `<definition id>:<trigger index>`. */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_schedule' })
  id!: string;

  @Column({ name: 'definition_id', type: 'uuid' })
  definitionId!: string;

  @Column({ name: 'trigger_index', type: 'integer' })
  triggerIndex!: number;

  @Column({ name: 'unique_name', type: 'text' })
  uniqueName!: string;

  @Column({ name: 'definition_version', type: 'integer' })
  definitionVersion!: number;

  @Column({ name: 'primary_entity', type: 'text' })
  primaryEntity!: string;

  @Column({ type: 'jsonb' })
  spec!: CompiledSchedule;

  /** The content hash of the version the spec came from: a new version with other timing starts its count again. */
  @Column({ name: 'spec_hash', type: 'text' })
  specHash!: string;

  /** Who runs the scheduled runs: the person who activated the version. */
  @Column({ type: 'text' })
  owner!: string;

  @Column({ name: 'next_due_at', type: 'timestamptz', nullable: true })
  nextDueAt!: Date | null;

  @Column({ name: 'next_fire_at', type: 'timestamptz', nullable: true })
  nextFireAt!: Date | null;

  @Column({ name: 'buffered_due_at', type: 'timestamptz', nullable: true })
  bufferedDueAt!: Date | null;

  @Column({ name: 'last_due_at', type: 'timestamptz', nullable: true })
  lastDueAt!: Date | null;

  @Column({ name: 'last_fired_at', type: 'timestamptz', nullable: true })
  lastFiredAt!: Date | null;

  @Column({ name: 'last_outcome', type: 'text', nullable: true })
  lastOutcome!: string | null;

  /** The operations the last firing started: an overlap policy asks whether one is still open. */
  @Column({ name: 'last_operation_ids', type: 'jsonb' })
  lastOperationIds!: string[];

  @Column({ type: 'boolean', default: false })
  paused!: boolean;

  @Column({ name: 'paused_by', type: 'text', nullable: true })
  pausedBy!: string | null;

  /** The metadata snapshot version that last wrote the row: an older snapshot never overwrites a newer one. */
  @Column({ name: 'synced_version', type: 'bigint' })
  syncedVersion!: string;

  @Column({ name: 'created_on', type: 'timestamptz', default: () => 'now()' })
  createdOn!: Date;

  @Column({ name: 'updated_on', type: 'timestamptz', default: () => 'now()' })
  updatedOn!: Date;
}
