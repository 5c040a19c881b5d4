/**
 * Writes messages to the outbox inside the caller's transaction: the message exists if and
 * only if the change it announces was committed.
 */
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { Envelope, TopicName } from '@flowline/contracts';
import { injectTraceHeaders } from '../tracing/trace-headers';
import { OutboxMessageRow } from './outbox-message.entity';

export interface OutboxMessage {
  topic: TopicName;
  key: string;
  envelope: Envelope;
  headers?: Record<string, string>;
}

export async function writeToOutbox(manager: EntityManager, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await manager.getRepository(OutboxMessageRow).insert(
    messages.map((message) => {
      const headers: Record<string, string> = { ...(message.headers ?? {}) };
      injectTraceHeaders(headers);
      return {
        eventId: message.envelope.id,
        topic: message.topic,
        messageKey: message.key,
        envelope: message.envelope as unknown as Record<string, unknown>,
        headers,
        publishedAt: null,
      } as QueryDeepPartialEntity<OutboxMessageRow>;
    }),
  );
}
