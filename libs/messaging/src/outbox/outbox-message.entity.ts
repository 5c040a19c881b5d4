/**
 * A message waiting in a service's transactional outbox: written in the same database
 * transaction as the change it announces, published to Kafka by the relay afterwards.
 */
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'outbox' })
@Index('UQ_outbox_event_id', ['eventId'], { unique: true })
// The relay's scan: unpublished rows in id order (see OutboxRelay.claimBatch).
@Index('IDX_outbox_unpublished', ['id'], { where: '"published_at" IS NULL' })
export class OutboxMessageRow {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'PK_outbox' })
  id!: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ type: 'text' })
  topic!: string;

  @Column({ name: 'message_key', type: 'text' })
  messageKey!: string;

  /** The whole envelope, as it will be published. */
  @Column({ type: 'jsonb' })
  envelope!: Record<string, unknown>;

  /** Kafka headers, trace context included. */
  @Column({ type: 'jsonb' })
  headers!: Record<string, string>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;
}
