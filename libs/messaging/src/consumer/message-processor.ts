/**
 * How the messages a consumer fetched are handled: validated at the edge, handed to the handler
 * (one at a time, or a partition's batch at once), retried with backoff, and sent to the
 * dead-letter topic with their reason when they cannot be processed, never dropped. Each attempt
 * is a consumer span continuing the producer's trace. The ConsumerRunner owns the group
 * membership and the commits; this owns what happens to a message.
 */
import { context as otelContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import { parseEnvelope, Topics, type Envelope } from '@flowline/contracts';
import { unavailabilityOf } from '@flowline/service-kit';
import { deadLetterMessage } from '../dead-letter/dead-letter';
import type { EnvelopeProducer } from '../producer/envelope-producer';
import { extractTraceContext } from '../tracing/trace-headers';
import type { KafkaLog } from '../kafka/kafka-client';
import {
  PermanentMessageError,
  type EnvelopeBatchHandler,
  type EnvelopeHandler,
  type MessageContext,
  type RawMessageHandler,
} from './handlers';

/** Links of a batch's consumer span at most: OpenTelemetry's default `linkCountLimit`. */
const MAX_BATCH_LINKS = 128;

const tracer = trace.getTracer('flowline.messaging');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function headersOf(message: KafkaMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.headers ?? {})) {
    if (value === undefined) continue;
    headers[key] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return headers;
}

export interface MessageProcessorOptions {
  groupId: string;
  deadLetterTopic?: string;
  deadLetters: EnvelopeProducer;
  log: KafkaLog;
  maxAttempts?: number;
  retryBackoffMs?: number;
}

/** The longest pause between tries of a message while a dependency is down. */
const DEPENDENCY_RETRY_MAX_MS = 5_000;

export class MessageProcessor {
  /** Tries put off because a dependency was unavailable (a metric). */
  dependencyWaits = 0;

  constructor(
    private readonly options: MessageProcessorOptions,
    private readonly handler: EnvelopeHandler,
    /** True once the consumer is stopping: a failing message is then left for the next owner. */
    private readonly isStopping: () => boolean,
    /** Given instead of envelope handling: each message goes to it as it came, unvalidated. */
    private readonly rawHandler?: RawMessageHandler,
  ) {}

  /**
   * One partition's batch in one handler call: the invalid messages go to the dead letters first,
   * the rest are retried together with backoff; a batch that keeps failing is handled one
   * message at a time instead (a bad message then fails alone).
   */
  async processBatch(
    topic: string,
    partition: number,
    messages: KafkaMessage[],
    heartbeat: () => Promise<void>,
    batchHandler: EnvelopeBatchHandler,
  ): Promise<void> {
    const items: Array<{ envelope: Envelope; context: MessageContext; message: KafkaMessage }> = [];
    for (const message of messages) {
      const parsed = parseEnvelope(message.value);
      if (!parsed.ok) {
        await this.deadLetter(topic, partition, message, parsed.reason, 0);
        continue;
      }
      const key = message.key?.toString() ?? null;
      items.push({
        envelope: parsed.envelope,
        context: { topic, partition, offset: message.offset, key, headers: headersOf(message), attempt: 1 },
        message,
      });
    }
    if (items.length === 0) return;
    const attempts = Math.min(this.options.maxAttempts ?? 5, 3);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      // One consumer span for the batch, linked to each message's producer span (OpenTelemetry
      // messaging conventions for batches), up to the SDK's default limit of links per span: a
      // bigger batch links its first ones (the SDK would drop the rest, with a warning per span).
      const span = tracer.startSpan(`process ${topic}`, {
        kind: SpanKind.CONSUMER,
        links: items.slice(0, MAX_BATCH_LINKS).flatMap((item) => {
          const producer = trace.getSpanContext(extractTraceContext(item.message.headers as Record<string, Buffer | string | undefined>));
          return producer ? [{ context: producer }] : [];
        }),
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.batch.message_count': items.length,
          'messaging.consumer.group.name': this.options.groupId,
          'flowline.attempt': attempt,
        },
      });
      try {
        await otelContext.with(trace.setSpan(otelContext.active(), span), () =>
          batchHandler(
            items.map(({ envelope, context }) => ({ envelope, context: { ...context, attempt } })),
            heartbeat,
          ),
        );
        span.end();
        return;
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        span.end();
        const reason = error instanceof Error ? error.message : String(error);
        if (this.isStopping()) throw error; // leave it uncommitted: the next owner of the partition retries it
        // A dependency that is down: the messages go one at a time, each waiting it out (none is dead-lettered for it).
        if (items.length === 1 || error instanceof PermanentMessageError || attempt === attempts || unavailabilityOf(error)) {
          this.options.log.warn(
            { topic, partition, messages: items.length, attempt, reason },
            `batch of ${items.length} failed (${reason}); handling its messages one at a time`,
          );
          break;
        }
        this.options.log.warn({ topic, partition, messages: items.length, attempt, reason }, `batch failed, retrying: ${reason}`);
        await sleep((this.options.retryBackoffMs ?? 200) * 2 ** (attempt - 1));
        await heartbeat();
      }
    }
    for (const item of items) {
      await this.process(topic, partition, item.message, heartbeat);
      await heartbeat();
    }
  }

  async process(topic: string, partition: number, message: KafkaMessage, heartbeat: () => Promise<void>): Promise<void> {
    const headers = headersOf(message);
    const key = message.key?.toString() ?? null;
    const parsed = this.rawHandler ? undefined : parseEnvelope(message.value);
    if (parsed && !parsed.ok) {
      await this.deadLetter(topic, partition, message, parsed.reason, 0);
      return;
    }
    const envelope = parsed?.envelope;
    const maxAttempts = this.options.maxAttempts ?? 5;
    // Failures of the message count towards maxAttempts; a dependency that is down does not: the
    // message is kept and tried again until the dependency is back (or this consumer stops).
    let failures = 0;
    let waitingSince: number | undefined;
    let lastWaitLog = 0;
    for (let attempt = 1; ; attempt++) {
      // A consumer span per attempt, child of the producer's span carried in the headers
      // (OpenTelemetry messaging conventions), so the trace continues across Kafka.
      const parent = extractTraceContext(message.headers as Record<string, Buffer | string | undefined>);
      const span = tracer.startSpan(
        `process ${topic}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.destination.name': topic,
            'messaging.destination.partition.id': String(partition),
            'messaging.kafka.offset': Number(message.offset),
            'messaging.consumer.group.name': this.options.groupId,
            ...(envelope ? { 'messaging.message.id': envelope.id, 'flowline.correlation_id': envelope.correlationId } : {}),
            ...(key ? { 'messaging.kafka.message.key': key } : {}),
            'flowline.attempt': attempt,
          },
        },
        parent,
      );
      try {
        const context = { topic, partition, offset: message.offset, key, headers, attempt };
        await otelContext.with(trace.setSpan(parent, span), () =>
          envelope ? this.handler(envelope, context) : this.rawHandler!({ key, value: message.value, headers }, context),
        );
        span.end();
        if (waitingSince !== undefined)
          this.options.log.warn(
            { topic, partition, offset: message.offset, attempt, waitedMs: Date.now() - waitingSince },
            `handled after waiting ${Math.round((Date.now() - waitingSince) / 100) / 10} s for a dependency`,
          );
        return;
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        span.end();
        const reason = error instanceof Error ? error.message : String(error);
        const permanent = error instanceof PermanentMessageError;
        const unavailable = permanent ? undefined : unavailabilityOf(error);
        if (unavailable) {
          if (this.isStopping()) throw error; // leave it uncommitted: the next owner of the partition retries it
          waitingSince ??= Date.now();
          const delay = Math.min((this.options.retryBackoffMs ?? 200) * 2 ** Math.min(attempt - 1, 10), DEPENDENCY_RETRY_MAX_MS);
          // The first wait and then one line every 30 s: an outage does not flood the log.
          if (Date.now() - lastWaitLog >= 30_000) {
            lastWaitLog = Date.now();
            this.options.log.warn(
              {
                topic,
                partition,
                offset: message.offset,
                attempt,
                dependency: unavailable.dependency,
                code: unavailable.code,
                waitingMs: Date.now() - waitingSince,
                reason,
              },
              `the ${unavailable.dependency} is unavailable (${unavailable.code}); the message is kept and tried again every ${delay / 1000} s at most: ${reason}`,
            );
          }
          this.dependencyWaits += 1;
          await sleep(delay);
          await heartbeat();
          continue;
        }
        failures += 1;
        if (permanent || failures >= maxAttempts) {
          this.options.log.error(
            { topic, partition, offset: message.offset, attempt, reason },
            `message sent to the dead letters: ${reason}`,
          );
          await this.deadLetter(topic, partition, message, permanent ? reason : `gave up after ${failures} attempts: ${reason}`, attempt);
          return;
        }
        this.options.log.warn({ topic, partition, offset: message.offset, attempt, reason }, `handler failed, retrying: ${reason}`);
        if (this.isStopping()) throw error; // leave it uncommitted: the next owner of the partition retries it
        await sleep((this.options.retryBackoffMs ?? 200) * 2 ** (failures - 1));
        await heartbeat();
      }
    }
  }

  async deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string, attempts: number): Promise<void> {
    const dead = deadLetterMessage(
      {
        topic,
        partition,
        offset: message.offset,
        key: message.key,
        value: message.value,
        headers: message.headers as Record<string, Buffer | string | undefined>,
      },
      { reason, consumerGroup: this.options.groupId, attempts, failedAt: new Date() },
    );
    await this.options.deadLetters.sendRaw(this.options.deadLetterTopic ?? Topics.deadLetter, [
      { key: dead.key?.toString() ?? '', value: dead.value, headers: dead.headers },
    ]);
  }
}
