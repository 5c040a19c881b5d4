/**
 * Publishes a service's outbox to Kafka in id order and marks rows published.
 *
 * Several instances may run (one per replica); a PostgreSQL advisory lock makes exactly one
 * the active relay at a time, which keeps per-key order without coordination. Normal path:
 * each row is published once. Crash between send and mark: the row is sent again by the next
 * relay (at least once); consumers dedupe by the envelope id. So is a mark lost to a PostgreSQL
 * crash: marks commit asynchronously (no WAL flush waited for). New rows wake the relay: writers in
 * its own process directly after their commit, others through LISTEN/NOTIFY (outbox-signal.ts);
 * polling is the fallback.
 */
import { context as otelContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { EnvelopeProducer } from '../producer/envelope-producer';
import type { KafkaLog } from '../kafka/kafka-client';
import type { TopicNames } from '../kafka/topic-names';
import { extractTraceContext, injectTraceHeaders } from '../tracing/trace-headers';
import { preparedStatement, runPrepared } from '@flowline/persistence';
import { registerLocalRelay } from './outbox-signal';

const tracer = trace.getTracer('flowline.messaging');

export interface OutboxRelayOptions {
  dataSource: DataSource;
  /** The service's schema, where its `outbox` table is. */
  schema: string;
  databaseUrl: string;
  producer: EnvelopeProducer;
  /** Applies the deployment's topic prefix to the contract names stored in the rows. */
  topicNames?: TopicNames;
  log: KafkaLog;
  batchSize?: number;
  pollIntervalMs?: number;
  /** Observed after each published batch (metrics: lag from row creation to publication). */
  onPublished?: (rows: Array<{ topic: string; createdAt: Date }>) => void;
}

interface ClaimedRow {
  id: string;
  topic: string;
  message_key: string;
  /** The envelope as PostgreSQL prints it: published as it is, never parsed and serialized again here. */
  envelope: string;
  message_id: string | null;
  headers: Record<string, string>;
  created_at: Date;
}

export const outboxChannel = (schema: string): string => `flowline_outbox_${schema}`;

function lockKey(schema: string): number {
  let hash = 7;
  for (const char of `flowline:outbox-relay:${schema}`) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}

export class OutboxRelay {
  private stopped = false;
  private wake: (() => void) | undefined;
  private wakePending = false;
  private loop: Promise<void> | undefined;
  private listener: Client | undefined;
  private leader: Client | undefined;
  private readonly table: string;
  private unregister: (() => void) | undefined;

  constructor(private readonly options: OutboxRelayOptions) {
    this.table = `"${options.schema}"."outbox"`;
  }

  start(): void {
    this.unregister = registerLocalRelay(this.options.schema, this, this.options.dataSource);
    this.loop = this.run();
  }

  /** New rows are committed: publish them now rather than at the next poll. */
  wakeUp(): void {
    this.notified();
  }

  /** True when this instance holds the relay lock. */
  get isLeader(): boolean {
    return this.leader !== undefined;
  }

  /** Sleeps until woken or `ms` pass; a wake-up that came while publishing ends the next sleep at once. */
  private async sleep(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  /** A NOTIFY (or stop): ends the sleep, or marks that there may be new rows. */
  private get batchSize(): number {
    return this.options.batchSize ?? 200;
  }

  private notified(): void {
    if (this.wake) this.wake();
    else this.wakePending = true;
  }

  private async becomeLeader(): Promise<boolean> {
    const client = new Client({ connectionString: this.options.databaseUrl, application_name: `outbox-relay-${this.options.schema}` });
    await client.connect();
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [lockKey(this.options.schema)]);
    if (!rows[0]?.locked) {
      await client.end();
      return false;
    }
    this.leader = client;
    // The lock lives with this session: if the connection drops, another relay takes over.
    client.on('error', (error) => {
      this.options.log.warn({ err: String(error) }, 'outbox relay lost its database session; another instance may take over');
      this.leader = undefined;
    });
    const listener = new Client({ connectionString: this.options.databaseUrl, application_name: `outbox-listener-${this.options.schema}` });
    await listener.connect();
    listener.on('notification', () => this.notified());
    listener.on('error', () => undefined);
    await listener.query(`LISTEN ${outboxChannel(this.options.schema)}`);
    this.listener = listener;
    return true;
  }

  private async run(): Promise<void> {
    const pollMs = this.options.pollIntervalMs ?? 500;
    while (!this.stopped) {
      try {
        if (!this.leader && !(await this.becomeLeader())) {
          await this.sleep(pollMs * 4);
          continue;
        }
        const published = await this.publishBatch();
        // A batch short of full took every row committed before it was read; a row committed since
        // has woken the relay (kept while it publishes), so the next read waits for that instead of
        // finding nothing (one query less per wake-up under a steady trickle).
        if (published < this.batchSize) await this.sleep(pollMs);
      } catch (error) {
        this.options.log.error({ err: String(error) }, `outbox relay failed, retrying: ${String(error)}`);
        await this.sleep(pollMs);
      }
    }
  }

  /** Publishes one batch; returns how many rows it published. */
  async publishBatch(): Promise<number> {
    const batchSize = this.batchSize;
    // Uses IDX_outbox_unpublished (id WHERE published_at IS NULL).
    const rows = await runPrepared<ClaimedRow>(
      this.options.dataSource,
      preparedStatement(
        // ORDER BY the bigint column, not the text alias: "10" sorts before "2".
        `SELECT o."id"::text AS id, o."topic", o."message_key", o."envelope"::text AS envelope, o."envelope"->>'id' AS message_id,
                o."headers", o."created_at" FROM ${this.table} o
          WHERE o."published_at" IS NULL ORDER BY o."id" LIMIT $1`,
      ),
      [batchSize],
    );
    if (rows.length === 0) return 0;
    // Consecutive rows of one topic go in one request, preserving the id order.
    let start = 0;
    while (start < rows.length) {
      let end = start;
      while (end < rows.length && rows[end]!.topic === rows[start]!.topic) end++;
      const group = rows.slice(start, end);
      const topic = this.options.topicNames?.topic(rows[start]!.topic) ?? rows[start]!.topic;
      // A producer span per message, child of the trace the change was made in (stored with the
      // row); its context replaces the stored one in the headers, so consumers continue it.
      const spans = group.map((row) =>
        tracer.startSpan(
          `send ${topic}`,
          {
            kind: SpanKind.PRODUCER,
            attributes: {
              'messaging.system': 'kafka',
              'messaging.operation.type': 'send',
              'messaging.destination.name': topic,
              'messaging.kafka.message.key': row.message_key,
              'messaging.message.id': row.message_id ?? '',
              'flowline.outbox.id': row.id,
              'flowline.outbox.wait_ms': Date.now() - new Date(row.created_at).getTime(),
            },
          },
          extractTraceContext(row.headers),
        ),
      );
      try {
        await this.options.producer.sendRaw(
          topic,
          group.map((row, i) => ({
            key: row.message_key,
            value: row.envelope,
            headers: injectTraceHeaders({ ...row.headers }, trace.setSpan(otelContext.active(), spans[i]!)) as Record<string, string>,
          })),
        );
      } catch (error) {
        for (const span of spans) span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
        throw error;
      } finally {
        for (const span of spans) span.end();
      }
      start = end;
    }
    // The mark commits without waiting for its WAL flush: a mark lost to a PostgreSQL crash sends
    // its rows again, which at least once allows (consumers dedupe by id), and the relays' marks
    // were a seventh of the flushes the services' commits waited for in bench:executor. One
    // autocommitted statement: set_config(..., true) lasts for its own implicit transaction, so
    // its commit is asynchronous and the connection's setting is untouched after it (where
    // BEGIN, SET LOCAL, UPDATE, COMMIT took four round trips).
    await runPrepared(
      this.options.dataSource,
      preparedStatement(
        `UPDATE ${this.table} SET "published_at" = now()
          WHERE "id" = ANY($1::bigint[]) AND set_config('synchronous_commit', 'off', true) IS NOT NULL`,
      ),
      [rows.map((row) => row.id)],
    );
    this.options.onPublished?.(rows.map((row) => ({ topic: row.topic, createdAt: row.created_at })));
    return rows.length;
  }

  /** Rows not yet published, and how old the oldest is: for readiness and metrics. */
  async lag(): Promise<{ pending: number; oldestAgeMs: number }> {
    const rows: Array<{ pending: string; oldest: Date | null }> = await this.options.dataSource.query(
      `SELECT count(*)::text AS pending, min("created_at") AS oldest FROM ${this.table} WHERE "published_at" IS NULL`,
    );
    const oldest = rows[0]?.oldest;
    return { pending: Number(rows[0]?.pending ?? 0), oldestAgeMs: oldest ? Date.now() - new Date(oldest).getTime() : 0 };
  }

  async stop(): Promise<void> {
    this.unregister?.();
    this.stopped = true;
    this.notified();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
    await this.leader?.end().catch(() => undefined);
    this.listener = undefined;
    this.leader = undefined;
  }
}
