/**
 * A message that reached flowline.dead-letter.v1, kept so an operator can find, read, fix and
 * replay or discard it: where it came from (topic, partition, offset, key, headers, value as
 * it was), why it failed (reason and its code, the consumer group, attempts), what an operator
 * changed (the edited value and headers beside the original, never over it), and what was done
 * with it (replayed where, or discarded). One row per dead-letter message: its own topic,
 * partition and offset are unique, so a redelivered dead letter is stored once.
 */
import { Column, Entity, Generated, Index, PrimaryColumn } from 'typeorm';

export type DeadLetterStatus = 'pending' | 'replayed' | 'discarded';

@Entity({ name: 'dead_letter' })
@Index('UQ_dead_letter_source', ['deadLetterTopic', 'deadLetterPartition', 'deadLetterOffset'], { unique: true })
// Listing newest first (keyset on seq), narrowed by status, topic or reason code.
@Index('IDX_dead_letter_status', ['status', 'seq'])
@Index('IDX_dead_letter_topic', ['originalTopic', 'seq'])
@Index('IDX_dead_letter_reason', ['reasonCode', 'seq'])
@Index('IDX_dead_letter_failed_at', ['failedAt'])
export class DeadLetterRow {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_dead_letter' })
  id!: string;

  /** Arrival order: the keyset of the listing. */
  @Column({ type: 'bigint' })
  @Generated('increment')
  seq!: string;

  @Column({ name: 'dead_letter_topic', type: 'text' })
  deadLetterTopic!: string;

  @Column({ name: 'dead_letter_partition', type: 'integer' })
  deadLetterPartition!: number;

  @Column({ name: 'dead_letter_offset', type: 'bigint' })
  deadLetterOffset!: string;

  /** The contract name of the topic the message failed on (without the deployment's prefix). */
  @Column({ name: 'original_topic', type: 'text' })
  originalTopic!: string;

  @Column({ name: 'original_partition', type: 'integer' })
  originalPartition!: number;

  @Column({ name: 'original_offset', type: 'bigint' })
  originalOffset!: string;

  @Column({ name: 'message_key', type: 'text', nullable: true })
  key!: string | null;

  @Column({ type: 'jsonb' })
  headers!: Record<string, string>;

  /** The original value: text (UTF-8), or base64 when value_encoding says so. */
  @Column({ type: 'text', nullable: true })
  value!: string | null;

  @Column({ name: 'value_encoding', type: 'text' })
  valueEncoding!: 'utf8' | 'base64';

  @Column({ type: 'text' })
  reason!: string;

  /** A stable code for the reason (e.g. INVALID_ENVELOPE, INVALID_TARGET, RETRIES_EXHAUSTED). */
  @Column({ name: 'reason_code', type: 'text' })
  reasonCode!: string;

  @Column({ name: 'consumer_group', type: 'text' })
  consumerGroup!: string;

  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ name: 'failed_at', type: 'timestamptz' })
  failedAt!: Date;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;

  @Column({ type: 'text', default: 'pending' })
  status!: DeadLetterStatus;

  /** What an operator put in place of the value (replayed instead of it); the original stays. */
  @Column({ name: 'edited_value', type: 'text', nullable: true })
  editedValue!: string | null;

  @Column({ name: 'edited_headers', type: 'jsonb', nullable: true })
  editedHeaders!: Record<string, string> | null;

  @Column({ name: 'replay_count', type: 'integer', default: 0 })
  replayCount!: number;

  @Column({ name: 'replayed_at', type: 'timestamptz', nullable: true })
  replayedAt!: Date | null;

  @Column({ name: 'replayed_partition', type: 'integer', nullable: true })
  replayedPartition!: number | null;

  @Column({ name: 'replayed_offset', type: 'bigint', nullable: true })
  replayedOffset!: string | null;

  @Column({ name: 'row_version', type: 'integer', default: 1 })
  rowVersion!: number;
}
