/**
 * The pipeline event of one operation: what changed (pre- and post-image, changed attributes,
 * the images asynchronous steps registered), written to the outbox in the operation's
 * transaction and published on `flowline.pipeline-events.v1` keyed `entity:recordId`.
 */
import type { EntityManager } from 'typeorm';
import { PIPELINE_EVENT_SCHEMA_VERSION, PIPELINE_EVENT_TYPE, Topics, type PipelineEvent } from '@flowline/contracts';
import { createEnvelope, recordKey, writeToOutbox, type OutboxMessage } from '@flowline/messaging';
import type { RecordImage } from '@flowline/plugin-steps';
import { SERVICE } from '../config';
import { changedAttributes, type RecordView } from '../records/record-view';
import type { RegistryProtoStep } from './registry-step';
import { imagesFor } from './step-runner';

export interface OperationOutcome {
  eventId: string;
  message: string;
  entity: string;
  recordId: string;
  recordVersion: number;
  /** The attributes written, after stage-20 changes and with relative operations applied. */
  target: RecordImage;
  pre: RecordView | null;
  post: RecordView | null;
  /** Custom messages change no record of their own. */
  custom: boolean;
  depth: number;
  correlationId: string;
  initiatingUserId: string;
  origin: string;
  occurredAt: Date;
  outputParameters: Record<string, unknown>;
  asynchronousSteps: readonly RegistryProtoStep[];
}

export function buildPipelineEvent(outcome: OperationOutcome): PipelineEvent {
  const preImages: Record<string, RecordImage> = {};
  const postImages: Record<string, RecordImage> = {};
  for (const step of outcome.asynchronousSteps) {
    const images = imagesFor(step, outcome.pre, outcome.post);
    Object.assign(preImages, images.pre);
    Object.assign(postImages, images.post);
  }
  return {
    eventId: outcome.eventId,
    message: outcome.message,
    entity: outcome.entity,
    recordId: outcome.recordId,
    recordVersion: outcome.recordVersion,
    target: outcome.target,
    preImage: outcome.pre,
    postImage: outcome.post,
    preImages,
    postImages,
    changedAttributes: outcome.custom ? [] : changedAttributes(outcome.pre, outcome.post),
    depth: outcome.depth,
    correlationId: outcome.correlationId,
    initiatingUserId: outcome.initiatingUserId,
    origin: outcome.origin,
    occurredAt: outcome.occurredAt.toISOString(),
    ...(Object.keys(outcome.outputParameters).length > 0 ? { parameters: outcome.outputParameters } : {}),
  };
}

/**
 * The pipeline events of one transaction, in the order their main operations ran: an operation
 * takes its place when its stage 30 is done and fills it after stage 40, so an operation a
 * real-time workflow performs at PostOperation follows the one that triggered it, and one it
 * performs at PreOperation comes before. All are written to the outbox at the end, in that order.
 */
export class TransactionEvents {
  private readonly slots: Array<PipelineEvent | undefined> = [];

  reserve(): number {
    return this.slots.push(undefined) - 1;
  }

  fill(slot: number, event: PipelineEvent): void {
    this.slots[slot] = event;
  }

  async write(manager: EntityManager): Promise<void> {
    await writeToOutbox(manager, this.slots.filter((event): event is PipelineEvent => event !== undefined).map(outboxMessageOf));
  }
}

/** A pipeline event as its outbox message: on the pipeline-events topic, keyed by its record. */
export function outboxMessageOf(event: PipelineEvent): OutboxMessage {
  return {
    topic: Topics.pipelineEvents,
    key: recordKey(event.entity, event.recordId || 'none'),
    envelope: createEnvelope({
      id: event.eventId,
      type: PIPELINE_EVENT_TYPE,
      schemaVersion: PIPELINE_EVENT_SCHEMA_VERSION,
      source: SERVICE.name,
      correlationId: event.correlationId,
      depth: event.depth,
      payload: event,
      occurredAt: new Date(event.occurredAt),
    }),
  };
}
