/**
 * Publishes enveloped messages: idempotent, acknowledged by all in-sync replicas, keyed so
 * one record's events stay in order, with the W3C trace context in the headers.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { Envelope, TopicName } from '@flowline/contracts';
import { injectTraceHeaders } from '../tracing/trace-headers';
import { defaultPartitioner } from '../kafka/kafka-client';

export interface OutgoingMessage {
  key: string;
  envelope: Envelope;
  headers?: Record<string, string>;
}

export class EnvelopeProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: defaultPartitioner,
      allowAutoTopicCreation: false,
    });
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.producer.connect();
    this.connected = true;
  }

  /** Sends in order; resolves once every message is acknowledged (acks = all). */
  async send(topic: TopicName, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.producer.send({
      topic,
      acks: -1,
      messages: messages.map((message) => ({
        key: message.key,
        value: JSON.stringify(message.envelope),
        headers: injectTraceHeaders({
          'content-type': 'application/json',
          'x-flowline-type': message.envelope.type,
          ...(message.headers ?? {}),
        }),
      })),
    });
  }

  /** Raw send for relays that already hold the headers and serialized value. */
  async sendRaw(topic: string, messages: Array<{ key: string; value: string; headers: Record<string, string> }>): Promise<void> {
    if (messages.length === 0) return;
    await this.producer.send({ topic, acks: -1, messages });
  }

  /** Sends one raw message and answers where it was written (for replays that record their offset). */
  async sendRawOne(
    topic: string,
    message: { key: string | null; value: string | Buffer | null; headers: Record<string, string> },
  ): Promise<{ partition: number; offset: string }> {
    const [written] = await this.producer.send({ topic, acks: -1, messages: [message] });
    if (!written) throw new Error(`the broker did not answer where the message to ${topic} was written`);
    return { partition: written.partition, offset: written.baseOffset ?? written.offset ?? '' };
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }
}
