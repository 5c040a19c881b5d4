/** Every TypeORM entity of the gateway schema; the migrations must create exactly these. */
import { OutboxMessageRow } from '@flowline/messaging';
import { CorrelationWindowRow } from '../loop-protection/correlation-window.entity';
import { IdempotencyKeyRow } from '../idempotency/idempotency-key.entity';
import { RecordRow } from '../records/record.entity';
import { WebhookDeliveryRow, WebhookSignatureRow } from '../webhooks/webhook.entities';

export const GatewayEntities: Array<new () => unknown> = [RecordRow, IdempotencyKeyRow, CorrelationWindowRow, OutboxMessageRow, WebhookDeliveryRow, WebhookSignatureRow];
