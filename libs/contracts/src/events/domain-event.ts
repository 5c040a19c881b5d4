/**
 * `flowline.domain-events.v1`: changes other services made to business data, for the gateway
 * to run through the pipeline (so plug-ins and workflows see them), keyed `entity:recordId`.
 * The envelope's `type` is `domain.record-changed`; its payload is a DomainEvent.
 */
import { z } from 'zod';

export const DOMAIN_EVENT_TYPE = 'domain.record-changed';

export const DomainEventSchema = z.object({
  /** Create, Update, Delete, Assign, SetState or a registered custom message. */
  message: z.string().min(1),
  entity: z.string().regex(/^[a-z][a-z0-9_]{1,63}$/, { error: 'expected an entity logical name' }),
  recordId: z.string({ error: 'expected the record id, a UUID' }).uuid({ error: 'expected the record id, a UUID' }),
  /** Create/Update: the attributes that changed, with their new values. */
  target: z.record(z.string(), z.unknown()).default({}),
  /** Assign: { assignee }, SetState: { state, status }, custom messages: their inputs. */
  parameters: z.record(z.string(), z.unknown()).default({}),
  /** The user on whose behalf the other service acted. */
  initiatingUserId: z.string().min(1),
});

export type DomainEvent = z.infer<typeof DomainEventSchema>;
