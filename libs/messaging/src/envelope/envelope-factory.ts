/**
 * Building the versioned envelope every Flowline Kafka message carries. The clock and id
 * generator are injected so callers stay testable and deterministic.
 */
import { randomUUID } from 'node:crypto';
import type { Envelope } from '@flowline/contracts';

export interface EnvelopeInput<TPayload> {
  type: string;
  schemaVersion: number;
  source: string;
  correlationId: string;
  depth: number;
  payload: TPayload;
  /** Set when the message must keep an id given upstream (an event id from the outbox). */
  id?: string;
  occurredAt?: Date;
}

export interface EnvelopeDeps {
  newId: () => string;
  now: () => Date;
}

export const systemEnvelopeDeps: EnvelopeDeps = { newId: randomUUID, now: () => new Date() };

export function createEnvelope<TPayload>(input: EnvelopeInput<TPayload>, deps: EnvelopeDeps = systemEnvelopeDeps): Envelope<TPayload> {
  if (!Number.isInteger(input.depth) || input.depth < 0) throw new Error(`envelope depth must be a whole number >= 0, got ${input.depth}`);
  if (!Number.isInteger(input.schemaVersion) || input.schemaVersion < 1) {
    throw new Error(`envelope schemaVersion must be a whole number >= 1, got ${input.schemaVersion}`);
  }
  return {
    id: input.id ?? deps.newId(),
    type: input.type,
    schemaVersion: input.schemaVersion,
    occurredAt: (input.occurredAt ?? deps.now()).toISOString(),
    source: input.source,
    correlationId: input.correlationId,
    depth: input.depth,
    payload: input.payload,
  };
}

/** The key that keeps one record's events in order on one partition. */
export function recordKey(entity: string, recordId: string): string {
  return `${entity}:${recordId}`;
}
