/**
 * A bulk action on system jobs. It runs as an async operation of type 13 (the source
 * platform's Bulk Delete; Flowline runs every bulk action under it) whose id is this row's;
 * here are what it does (action, filter, postpone time), who asked, its progress, and, one row
 * per target, each operation it acts on and the outcome (applied, or refused with the reason).
 * The targets are fixed when it is created, so a resumed bulk action acts on the same set.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type BulkActionKind = 'cancel' | 'pause' | 'resume' | 'postpone' | 'retry' | 'delete';
export type BulkItemOutcome = 'applied' | 'refused';

@Entity({ name: 'bulk_action' })
export class BulkActionRow {
  /** The id of its async operation. */
  @PrimaryColumn({ name: 'operation_id', type: 'uuid', primaryKeyConstraintName: 'PK_bulk_action' })
  operationId!: string;

  @Column({ type: 'text' })
  action!: BulkActionKind;

  /** The list filter it was created with, as given. */
  @Column({ type: 'jsonb' })
  filter!: Record<string, unknown>;

  /** For postpone: not before when. */
  @Column({ type: 'timestamptz', nullable: true })
  until!: Date | null;

  @Column({ name: 'requested_by', type: 'text' })
  requestedBy!: string;

  @Column({ type: 'integer' })
  total!: number;

  @Column({ type: 'integer', default: 0 })
  done!: number;

  @Column({ type: 'integer', default: 0 })
  applied!: number;

  @Column({ type: 'integer', default: 0 })
  refused!: number;

  @Column({ name: 'created_on', type: 'timestamptz', default: () => 'now()' })
  createdOn!: Date;
}

@Entity({ name: 'bulk_action_item' })
// The runner takes the next target without an outcome, in position order.
@Index('IDX_bulk_action_item_pending', ['bulkId', 'position'], { where: '"outcome" IS NULL' })
export class BulkActionItemRow {
  @PrimaryColumn({ name: 'bulk_id', type: 'uuid', primaryKeyConstraintName: 'PK_bulk_action_item' })
  bulkId!: string;

  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'PK_bulk_action_item' })
  position!: number;

  @Column({ name: 'operation_id', type: 'uuid' })
  operationId!: string;

  @Column({ type: 'text', nullable: true })
  outcome!: BulkItemOutcome | null;

  /** Why it was refused (the transition's refusal with the operation's state). */
  @Column({ type: 'text', nullable: true })
  message!: string | null;

  @Column({ name: 'done_at', type: 'timestamptz', nullable: true })
  doneAt!: Date | null;
}
