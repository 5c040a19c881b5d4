/** One entry of an operation's step log (status codes of the source platform). */
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'operation_step_log' })
@Index('IDX_step_log_operation', ['operationId', 'id'])
// One entry per step start in an attempt: an entry with the same number in the same attempt replaces the
// earlier one (a wait that ended, an effect replayed); a later attempt adds its own rows.
@Index('UQ_step_log_attempt_seq', ['operationId', 'attempt', 'seq'], { unique: true, where: '"seq" IS NOT NULL' })
export class StepLogRow {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'PK_operation_step_log' })
  id!: string;

  @Column({ name: 'operation_id', type: 'uuid' })
  operationId!: string;

  /** The attempt that wrote the entry: the operation's retry count then, plus one (0: written before attempts were recorded). */
  @Column({ type: 'integer', default: 0 })
  attempt!: number;

  /** The step's start number in its run (null for asynchronous plug-in steps). */
  @Column({ type: 'integer', nullable: true })
  seq!: number | null;

  @Column({ name: 'step_id', type: 'text' })
  stepId!: string;

  @Column({ type: 'text' })
  path!: string;

  @Column({ name: 'step_type', type: 'text' })
  stepType!: string;

  @Column({ type: 'smallint' })
  status!: number;

  @Column({ type: 'text', nullable: true })
  message!: string | null;

  /** When the step began (a record message: when it was sent); null for steps that took no time. */
  @Column({ name: 'started_on', type: 'timestamptz', nullable: true })
  startedOn!: Date | null;

  /** When the step finished. */
  @Column({ name: 'logged_on', type: 'timestamptz' })
  loggedOn!: Date;
}
