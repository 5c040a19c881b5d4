/**
 * `flowline.pipeline-events.v1`: what the gateway publishes after every operation that
 * changed a record (stage 40, post-operation), keyed `entity:recordId`. The executor turns
 * these into async operations; other services may listen too.
 */
import { z } from 'zod';

export const PIPELINE_EVENT_TYPE = 'pipeline.post-operation';
export const PIPELINE_EVENT_SCHEMA_VERSION = 1;

const RecordImage = z.record(z.string(), z.unknown());

export const PipelineEventSchema = z.object({
  /** The same id as the envelope's: consumers dedupe by it. */
  eventId: z.string().uuid(),
  message: z.string().min(1),
  entity: z.string().min(1),
  recordId: z.string().min(1),
  /** Record version after the operation (0 after a Delete). */
  recordVersion: z.number().int().min(0),
  /** The attributes the caller sent (after stage-20 changes). */
  target: RecordImage,
  /** The whole record before the operation (null for Create). */
  preImage: RecordImage.nullable(),
  /** The whole record after the operation (null for Delete). */
  postImage: RecordImage.nullable(),
  /** Images registered by asynchronous steps, by alias. */
  preImages: z.record(z.string(), RecordImage),
  postImages: z.record(z.string(), RecordImage),
  changedAttributes: z.array(z.string()),
  depth: z.number().int().min(1),
  correlationId: z.string().min(1),
  initiatingUserId: z.string().min(1),
  /** api (Execute), domain-event (another service's event), or the calling service. */
  origin: z.string().min(1),
  occurredAt: z.string().datetime({ offset: true }),
  /** Output parameters of custom messages. */
  parameters: z.record(z.string(), z.unknown()).optional(),
  /**
   * Message `Webhook`: an inbound call accepted by the gateway for the active version of one
   * workflow. The executor creates exactly this operation (its id chosen by the gateway and
   * already given to the caller), with these inputs, and resolves no subscriptions for it.
   */
  webhook: z
    .object({
      definitionId: z.string().uuid(),
      version: z.number().int().min(1),
      uniqueName: z.string().min(1),
      operationId: z.string().uuid(),
      path: z.string().min(1),
      inputs: z.record(z.string(), z.unknown()),
      /** Whether recordId names a record (the trigger's `record` input) or is the delivery's own id. */
      hasRecord: z.boolean(),
    })
    .optional(),
});

/** The message of the pipeline event that hands an accepted webhook call to the executor. */
export const WEBHOOK_MESSAGE = 'Webhook';

export type PipelineEvent = z.infer<typeof PipelineEventSchema>;
