import { Kafka, logLevel, type EachMessagePayload } from 'kafkajs';
import { Topics, type Envelope } from '@flowline/contracts';
import { testKafkaBrokers, testPrefix, waitFor } from '@flowline/testing';
import type { DeadLetterValue } from '../dead-letter/dead-letter';
import { createEnvelope } from '../envelope/envelope-factory';
import { createKafka, provisionTopics } from '../kafka/kafka-client';
import { TopicNames } from '../kafka/topic-names';
import { EnvelopeProducer } from '../producer/envelope-producer';
import { ConsumerRunner, PermanentMessageError } from './consumer-runner';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('ConsumerRunner', () => {
  const names = new TopicNames(`${testPrefix('consumer')}.`);
  const kafka = createKafka({ brokers: [testKafkaBrokers()], clientId: 'consumer-test' });
  const producer = new EnvelopeProducer(kafka);
  const topic = names.topic(Topics.domainEvents);
  const deadLetterTopic = names.topic(Topics.deadLetter);

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await provisionTopics(admin, [
      { name: topic as never, key: 'k', partitions: 1, cleanupPolicy: 'delete', retentionMs: 60_000 },
      { name: deadLetterTopic as never, key: 'k', partitions: 1, cleanupPolicy: 'delete', retentionMs: 60_000 },
    ]);
    await admin.disconnect();
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
  });

  const envelope = (payload: unknown) =>
    createEnvelope({ type: 'test.event', schemaVersion: 1, source: 'test', correlationId: 'c', depth: 1, payload });

  async function deadLetters(count: number): Promise<DeadLetterValue[]> {
    const consumer = new Kafka({ clientId: 'dlq', brokers: [testKafkaBrokers()], logLevel: logLevel.NOTHING }).consumer({
      groupId: `${names.prefix}dlq-reader-${count}`,
      maxWaitTimeInMs: 100,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: deadLetterTopic, fromBeginning: true });
    const received: EachMessagePayload[] = [];
    await consumer.run({ eachMessage: async (payload) => void received.push(payload) });
    await waitFor(() => received.length >= count, { what: `${count} dead letters` });
    await consumer.disconnect();
    return received.map((payload) => JSON.parse(payload.message.value!.toString()) as DeadLetterValue);
  }

  it('handles valid messages, retries a transient failure, and dead-letters what cannot be processed with the reason', async () => {
    const handled: unknown[] = [];
    let flaky = 0;
    const runner = new ConsumerRunner({
      kafka,
      groupId: names.group('runner'),
      topics: [topic],
      deadLetterTopic,
      deadLetters: producer,
      log: quiet,
      maxAttempts: 3,
      retryBackoffMs: 20,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      handler: async (received: Envelope, context) => {
        const payload = received.payload as { kind: string };
        if (payload.kind === 'flaky' && ++flaky < 2) throw new Error('database briefly unavailable');
        if (payload.kind === 'always-fails') throw new Error('the handler cannot cope');
        if (payload.kind === 'permanent') throw new PermanentMessageError('account 42 does not exist in this tenant');
        handled.push({ kind: payload.kind, attempt: context.attempt });
      },
    });
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({
      topic,
      messages: [
        { key: 'a', value: JSON.stringify(envelope({ kind: 'ok' })) },
        { key: 'b', value: '{"not":"an envelope"}' },
        { key: 'c', value: JSON.stringify(envelope({ kind: 'flaky' })) },
        { key: 'd', value: JSON.stringify(envelope({ kind: 'always-fails' })) },
        { key: 'e', value: JSON.stringify(envelope({ kind: 'permanent' })) },
        { key: 'f', value: JSON.stringify(envelope({ kind: 'last' })) },
      ],
    });
    await raw.disconnect();
    await runner.start();
    await waitFor(() => handled.length === 3, { what: 'the three processable messages' });
    expect(handled).toEqual([
      { kind: 'ok', attempt: 1 },
      { kind: 'flaky', attempt: 2 },
      { kind: 'last', attempt: 1 },
    ]);
    const dead = await deadLetters(3);
    expect(dead.map((letter) => [letter.reason.split(':')[0], letter.attempts, letter.originalTopic])).toEqual([
      ['invalid envelope', 0, topic],
      ['gave up after 3 attempts', 3, topic],
      ['account 42 does not exist in this tenant', 1, topic],
    ]);
    expect(dead[0]!.originalValue).toBe('{"not":"an envelope"}');
    await runner.stop();

    // Offsets were committed after each message: a restarted runner sees only new messages.
    const again: unknown[] = [];
    const restarted = new ConsumerRunner({
      kafka,
      groupId: names.group('runner'),
      topics: [topic],
      deadLetterTopic,
      deadLetters: producer,
      log: quiet,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      handler: async (received: Envelope) => void again.push(received.payload),
    });
    const more = kafka.producer();
    await more.connect();
    await more.send({ topic, messages: [{ key: 'g', value: JSON.stringify(envelope({ kind: 'after restart' })) }] });
    await more.disconnect();
    await restarted.start();
    await waitFor(() => again.length === 1, { what: 'the message sent after the restart' });
    expect(again).toEqual([{ kind: 'after restart' }]);
    await restarted.stop();
  });
});
