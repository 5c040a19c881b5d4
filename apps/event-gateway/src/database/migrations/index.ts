/**
 * The event-gateway schema's own migrations, oldest first, after the shared service_instance one.
 * Generate a new one with: npx nx run event-gateway:migration-generate --name=<Name>
 */
import { OutboxTable1764028900000 } from '@flowline/messaging';
import { RecordsAndIdempotency1795575211328 } from './1795575211328-RecordsAndIdempotency';
import { CorrelationWindow1796140000000 } from './1796140000000-CorrelationWindow';
import { WebhookDeliveries1796300000000 } from './1796300000000-WebhookDeliveries';

export const GatewayMigrations: Array<new () => unknown> = [
  OutboxTable1764028900000,
  RecordsAndIdempotency1795575211328,
  CorrelationWindow1796140000000,
  WebhookDeliveries1796300000000,
];
