/**
 * What the gateway keeps of inbound webhook calls: each delivery accepted (its key and the
 * operation it started, so a retry with the same key answers that operation and starts
 * nothing), and each signed request seen (id and timestamp, so a replay is refused).
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'webhook_delivery' })
@Index('IDX_webhook_delivery_created', ['createdAt'])
export class WebhookDeliveryRow {
  @PrimaryColumn({ name: 'definition_id', type: 'uuid', primaryKeyConstraintName: 'PK_webhook_delivery' })
  definitionId!: string;

  /** The caller's Idempotency-Key, or the signed delivery's webhook-id. */
  @PrimaryColumn({ name: 'delivery_key', type: 'text', primaryKeyConstraintName: 'PK_webhook_delivery' })
  deliveryKey!: string;

  @Column({ name: 'operation_id', type: 'uuid' })
  operationId!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

@Entity({ name: 'webhook_signature' })
@Index('IDX_webhook_signature_seen', ['seenAt'])
export class WebhookSignatureRow {
  /** SHA-256 of definition id, webhook-id and webhook-timestamp: one signed request. */
  @PrimaryColumn({ name: 'signature_key', type: 'text', primaryKeyConstraintName: 'PK_webhook_signature' })
  signatureKey!: string;

  @Column({ name: 'seen_at', type: 'timestamptz' })
  seenAt!: Date;
}
