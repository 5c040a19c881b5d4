/**
 * Where a chain of operations (one correlation id) stands in its loop-protection window: when
 * the window began and the depth it began at. Depth counts only within the window, so a chain
 * that goes deep slowly (a workflow that waits a day between steps) is not taken for a loop.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'correlation_window' })
// The purge of windows nobody has used for a while.
@Index('IDX_correlation_window_last_seen', ['lastSeenAt'])
export class CorrelationWindowRow {
  @PrimaryColumn({ name: 'correlation_id', type: 'text', primaryKeyConstraintName: 'PK_correlation_window' })
  correlationId!: string;

  @Column({ name: 'window_started_at', type: 'timestamptz' })
  windowStartedAt!: Date;

  /** The depth the window began after: the depth that counts is the operation's minus this. */
  @Column({ name: 'base_depth', type: 'integer' })
  baseDepth!: number;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;
}
