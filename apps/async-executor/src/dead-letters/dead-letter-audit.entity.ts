/** Who did what to a dead letter, and when: stored, edited, replayed, discarded. Never updated. */
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type DeadLetterAuditAction = 'stored' | 'edited' | 'replayed' | 'discarded';

@Entity({ name: 'dead_letter_audit' })
@Index('IDX_dead_letter_audit_letter', ['deadLetterId', 'id'])
export class DeadLetterAuditRow {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'PK_dead_letter_audit' })
  id!: string;

  @Column({ name: 'dead_letter_id', type: 'uuid' })
  deadLetterId!: string;

  @Column({ type: 'text' })
  action!: DeadLetterAuditAction;

  /** The subject of the caller's token (or the service, for `stored`). */
  @Column({ type: 'text' })
  actor!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at!: Date;

  /** What changed: the fields edited, where a replay was written, whether it was forced. */
  @Column({ type: 'jsonb' })
  details!: Record<string, unknown>;
}
