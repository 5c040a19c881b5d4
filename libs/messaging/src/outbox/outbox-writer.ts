/**
 * Writes messages to the outbox inside the caller's transaction: the message exists if and
 * only if the change it announces was committed.
 */
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { Envelope, TopicName } from '@flowline/contracts';
import { injectTraceHeaders } from '../tracing/trace-headers';
import { OutboxMessageRow } from './outbox-message.entity';
import { outboxChannel } from './outbox-relay';

export interface OutboxMessage {
  topic: TopicName;
  key: string;
  envelope: Envelope;
  headers?: Record<string, string>;
}

export async function writeToOutbox(manager: EntityManager, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const schema = (manager.connection.options as { schema?: string }).schema;
  if (!schema) throw new Error('the outbox needs the DataSource schema');
  // Delivered at commit: wakes the relay at once instead of at its next poll.
  await manager.query('SELECT pg_notify($1, $2)', [outboxChannel(schema), '']);
  await manager.getRepository(OutboxMessageRow).insert(
    messages.map((message) => {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-flowline-type': message.envelope.type,
        ...(message.headers ?? {}),
      };
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
