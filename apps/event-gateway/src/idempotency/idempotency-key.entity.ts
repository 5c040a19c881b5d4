/**
 * The answer given to an Execute call with an idempotency key: a repeated call with the same
 * key gets this answer back and changes nothing. Written in the operation's transaction.
 */
import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'idempotency_key' })
export class IdempotencyKeyRow {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_idempotency_key' })
  key!: string;

  /** Hash of the request: the same key with a different request is refused. */
  @Column({ name: 'request_hash', type: 'text' })
  requestHash!: string;

  @Column({ type: 'jsonb' })
  response!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
