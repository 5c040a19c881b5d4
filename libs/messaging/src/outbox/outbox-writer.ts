/**
 * Writes messages to the outbox inside the caller's transaction: the message exists if and
 * only if the change it announces was committed.
 */
import type { EntityManager } from 'typeorm';
import type { Envelope, TopicName } from '@flowline/contracts';
import { injectTraceHeaders } from '../tracing/trace-headers';
import { outboxChannel } from './outbox-relay';
import { relayIsLocal, wakeRelayAfterCommit } from './outbox-signal';

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
  const rows = messages.map((message) => ({ message, headers: outboxHeaders(message.envelope.type, message.headers) }));
  // One statement, one round trip: the rows, and the relay's wake-up at commit (outbox-signal.ts).
  const local = relayIsLocal(schema);
  await manager.query(
    `WITH written AS (
       INSERT INTO "${schema}"."outbox" ("event_id", "topic", "message_key", "envelope", "headers", "published_at")
       SELECT e, t, k, v::jsonb, h::jsonb, NULL
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS m(e, t, k, v, h, n)
        ORDER BY n -- ids (the relay's publishing order) follow the order given
       RETURNING 1)
     SELECT ${local ? '$1::text IS NULL' : `pg_notify($1, '')`} FROM (SELECT count(*) FROM written) AS n`,
    [
      outboxChannel(schema),
      rows.map(({ message }) => message.envelope.id),
      rows.map(({ message }) => message.topic),
      rows.map(({ message }) => message.key),
      rows.map(({ message }) => JSON.stringify(message.envelope)),
      rows.map(({ headers }) => JSON.stringify(headers)),
    ],
  );
  if (local) wakeRelayAfterCommit(schema, manager);
}

/** The Kafka headers of an outbox message: its content type and type, extra ones, and the active trace context. */
export function outboxHeaders(type: string, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-flowline-type': type, ...extra };
  injectTraceHeaders(headers);
  return headers;
}

/** A text as a SQL string literal (standard_conforming_strings, on since PostgreSQL 9.1). */
export function sqlLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('a SQL literal cannot hold a NUL character');
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * For statements that write to the outbox themselves (a CTE beside the change they announce, so
 * the change and its messages are one statement): the insert of what `select` yields (columns
 * event_id uuid, topic, message_key, envelope jsonb, headers jsonb, in the order given by `n`).
 */
export function outboxInsertSql(schema: string, select: string): string {
  return `INSERT INTO "${schema}"."outbox" ("event_id", "topic", "message_key", "envelope", "headers", "published_at")
     SELECT m."event_id", m."topic", m."message_key", m."envelope", m."headers", NULL FROM (${select}) AS m ORDER BY m."n"
     RETURNING 1`;
}

/**
 * A scalar subquery that tells the relay (at commit) that `written` (the insert's CTE) has rows:
 * a NOTIFY, or nothing when the relay leading for the schema runs in this process. Either way the
 * caller calls `wakeRelayAfterCommit` once the statement is done (outbox-signal.ts).
 */
export function outboxNotifySql(schema: string, written: string): string {
  if (relayIsLocal(schema)) return '0';
  return `(SELECT count(*) FROM (SELECT pg_notify(${sqlLiteral(outboxChannel(schema))}, '') FROM (SELECT 1 FROM ${written} LIMIT 1) AS w) AS n)`;
}
