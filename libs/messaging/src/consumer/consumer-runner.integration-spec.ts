import { Kafka, KafkaJSNonRetriableError, logLevel, type EachMessagePayload } from 'kafkajs';
import { Topics, type Envelope } from '@flowline/contracts';
import { spawn } from 'node:child_process';
import { freePortForTests, REPO_ROOT, testKafkaBrokers, testPrefix, waitFor } from '@flowline/testing';
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

  /** Each test has its own topic and dead-letter topic, so no test depends on what another left. */
  async function topicsFor(test: string): Promise<{ topic: string; deadLetterTopic: string }> {
    const topic = `${names.topic(Topics.domainEvents)}.${test}`;
    const deadLetterTopic = `${names.topic(Topics.deadLetter)}.${test}`;
    const admin = kafka.admin();
    await admin.connect();
    await provisionTopics(admin, [
      { name: topic as never, key: 'k', partitions: 1, cleanupPolicy: 'delete', retentionMs: 600_000 },
      { name: deadLetterTopic as never, key: 'k', partitions: 1, cleanupPolicy: 'delete', retentionMs: 600_000 },
    ]);
    await admin.disconnect();
    return { topic, deadLetterTopic };
  }

  beforeAll(async () => {
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
  });

  const envelope = (payload: unknown) =>
    createEnvelope({ type: 'test.event', schemaVersion: 1, source: 'test', correlationId: 'c', depth: 1, payload });

  async function deadLetters(deadLetterTopic: string, count: number): Promise<DeadLetterValue[]> {
    const consumer = new Kafka({ clientId: 'dlq', brokers: [testKafkaBrokers()], logLevel: logLevel.NOTHING }).consumer({
      groupId: `${deadLetterTopic}.reader`,
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
    const { topic, deadLetterTopic } = await topicsFor('runner');
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
    const dead = await deadLetters(deadLetterTopic, 3);
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

  it('keeps a message while a dependency is down for longer than its attempts, and never dead-letters it for that', async () => {
    const { topic, deadLetterTopic } = await topicsFor('outage');
    const handled: Array<{ kind: string; attempt: number }> = [];
    let databaseUp = false;
    const runner = new ConsumerRunner({
      kafka,
      groupId: names.group('outage'),
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
        // What node-postgres throws while the database is down or restarting.
        if (!databaseUp) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        if (payload.kind === 'broken') throw new Error('the handler cannot cope');
        handled.push({ kind: payload.kind, attempt: context.attempt });
      },
    });
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({
      topic,
      messages: [
        { key: 'a', value: JSON.stringify(envelope({ kind: 'during the outage' })) },
        { key: 'b', value: JSON.stringify(envelope({ kind: 'broken' })) },
      ],
    });
    await raw.disconnect();
    await runner.start();
    // Far more tries than maxAttempts while the database is down; the message is still held.
    await waitFor(() => runner.dependencyWaits >= 6, { what: '6 tries put off for the database' });
    expect(handled).toEqual([]);
    databaseUp = true;
    await waitFor(() => handled.length === 1, { what: 'the message kept through the outage' });
    expect(handled[0]!.kind).toBe('during the outage');
    expect(handled[0]!.attempt).toBeGreaterThan(6);
    // A real failure of a message still ends in the dead letters after maxAttempts, and only it.
    const dead = await deadLetters(deadLetterTopic, 1);
    expect(dead.map((letter) => letter.reason)).toEqual(['gave up after 3 attempts: the handler cannot cope']);
    await runner.stop();
  });

  it('starts itself again after a crash kafkajs does not recover from, and loses no message', async () => {
    const { topic, deadLetterTopic } = await topicsFor('crash');
    const groupId = names.group('crash');
    const logged: string[] = [];
    const log = {
      ...quiet,
      warn: (_f: unknown, message: string) => void logged.push(message),
      error: (_f: unknown, message: string) => void logged.push(message),
    };
    // The first dead letter cannot be written, with an error kafkajs does not retry: its consumer crashes for good.
    let refusals = 0;
    const failingDeadLetters = Object.assign(Object.create(producer) as EnvelopeProducer, {
      sendRaw: async (...args: Parameters<EnvelopeProducer['sendRaw']>) => {
        if (refusals++ === 0) throw new KafkaJSNonRetriableError('the dead-letter topic refused the write');
        return producer.sendRaw(...args);
      },
    });
    const handled: string[] = [];
    const runner = new ConsumerRunner({
      kafka,
      groupId,
      topics: [topic],
      deadLetterTopic,
      deadLetters: failingDeadLetters,
      log,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      handler: async (received: Envelope) => {
        const payload = received.payload as { kind: string; n: number };
        if (payload.kind === 'poison') throw new PermanentMessageError(`poison ${payload.n}`);
        handled.push(`${payload.kind} ${payload.n}`);
      },
    });
    await runner.start();
    const n = Date.now();
    const raw = kafka.producer();
    await raw.connect();
    // The topic is this test's own and read from the beginning: nothing sent can be missed.
    await raw.send({ topic, messages: [{ key: 'r', value: JSON.stringify(envelope({ kind: 'ready', n })) }] });
    await waitFor(() => handled.includes(`ready ${n}`), { timeoutMs: 30_000, what: 'the runner to consume' });
    await raw.send({
      topic,
      messages: [
        { key: 'p', value: JSON.stringify(envelope({ kind: 'poison', n })) },
        { key: 'a', value: JSON.stringify(envelope({ kind: 'after', n })) },
      ],
    });
    await raw.disconnect();
    // The crash, then the runner's own restart: the poison message comes again (it was not committed),
    // now reaches the dead letters, and the message after it is handled.
    await waitFor(() => handled.includes(`after ${n}`), { timeoutMs: 30_000, what: 'the message after the crash' });
    expect(runner.restartCount).toBe(1);
    expect(logged).toEqual(expect.arrayContaining([expect.stringContaining('consumer crashed'), 'consumer started again after a crash']));
    expect(refusals).toBe(2);
    const dead = await deadLetters(deadLetterTopic, 1);
    expect(dead.some((letter) => letter.reason === `poison ${n}`)).toBe(true);
    await runner.stop();
  });

  it('keeps consuming when its commit is refused because the group moved on without it (a member joined mid-message)', async () => {
    const { topic, deadLetterTopic } = await topicsFor('rebalance');
    const groupId = names.group('rebalance');
    const warnings: string[] = [];
    const log = { ...quiet, warn: (_fields: unknown, message: string) => void warnings.push(message) };
    const handledBy: Array<{ runner: string; kind: string }> = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inSlow = false;
    const runner = (name: string) =>
      new ConsumerRunner({
        kafka,
        groupId,
        topics: [topic],
        deadLetterTopic,
        deadLetters: producer,
        log,
        sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 300,
        // A member that does not rejoin within 2 s of a rebalance starting is left out of it.
        rebalanceTimeoutMs: 2000,
        handler: async (received: Envelope) => {
          const kind = (received.payload as { kind: string }).kind;
          if (kind === 'slow' && name === 'first' && !inSlow) {
            inSlow = true;
            await held;
          }
          handledBy.push({ runner: name, kind });
        },
      });
    const first = runner('first');
    await first.start();
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({ topic, messages: [{ key: 's', value: JSON.stringify(envelope({ kind: 'slow' })) }] });
    await waitFor(() => inSlow, { timeoutMs: 30_000, what: 'the first runner to be inside the slow message' });
    // A second member joins while the first is busy: the first cannot rejoin in time, so the
    // group completes the rebalance without it, and the second member's start returns.
    const second = runner('second');
    await second.start();
    // The first finishes its message: its commit belongs to a generation that is over.
    release();
    await waitFor(() => warnings.some((w) => w.includes('the group is rebalancing')), {
      timeoutMs: 30_000,
      what: 'the refused commit to be noticed',
    });
    // The second member leaves; the first, still alive, takes the partition and goes on.
    await second.stop();
    await raw.send({ topic, messages: [{ key: 'f', value: JSON.stringify(envelope({ kind: 'final' })) }] });
    await waitFor(() => handledBy.some((h) => h.kind === 'final' && h.runner === 'first'), {
      timeoutMs: 60_000,
      what: 'the first runner to handle a message after the rebalance',
    });
    // The slow message was not committed by the first, so whoever owned the partition next handled it (again).
    expect(handledBy.filter((h) => h.kind === 'slow').length).toBeGreaterThanOrEqual(1);
    await raw.disconnect();
    await first.stop();
  });

  it('reports a member that gets no fetch answers as stalled, and consumes again once the broker answers', async () => {
    // A broker of its own, in another process, so it can be frozen (SIGSTOP) like a hung machine.
    const port = await freePortForTests();
    const broker = spawn(process.execPath, ['-r', '@swc-node/register', 'tools/kafka-broker/src/main.ts', '--port', String(port), '--in-memory'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const errors: string[] = [];
    const log = { ...quiet, error: (_fields: unknown, message: string) => void errors.push(message) };
    try {
      await new Promise<void>((resolve, reject) => {
        broker.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
        broker.once('exit', (code) => reject(new Error(`the broker exited with ${code}`)));
      });
      const own = createKafka({ brokers: [`127.0.0.1:${port}`], clientId: 'stall-test' });
      const ownProducer = new EnvelopeProducer(own);
      await ownProducer.connect();
      const topic = 'stall.events';
      const handled: string[] = [];
      const runner = new ConsumerRunner({
        kafka: own,
        groupId: 'stall.group',
        topics: [topic],
        deadLetterTopic: 'stall.dead',
        deadLetters: ownProducer,
        log,
        sessionTimeoutMs: 30_000,
        heartbeatIntervalMs: 1000,
        fetchPatienceMs: 3000,
        healthCheckIntervalMs: 500,
        handler: async (received: Envelope) => void handled.push((received.payload as { n: string }).n),
      });
      const raw = own.producer();
      await raw.connect();
      await raw.send({ topic, messages: [{ key: 'a', value: JSON.stringify(envelope({ n: 'before' })) }] });
      await runner.start();
      await waitFor(() => handled.includes('before'), { timeoutMs: 30_000, what: 'the first message' });
      expect(runner.healthReport()).toMatchObject({ state: 'consuming', partitions: 3 });

      broker.kill('SIGSTOP');
      const stalled = await waitFor(() => (runner.healthReport().state === 'stalled' ? runner.healthReport() : undefined), {
        timeoutMs: 30_000,
        what: 'the member to be reported stalled',
      });
      expect(stalled.problem).toMatch(/^holds 3 partition\(s\) but completed no fetch for \d+ s$/);
      expect(errors.some((line) => line.startsWith('consumer group stall.group stalled: this member holds 3 partition(s)'))).toBe(true);

      broker.kill('SIGCONT');
      await waitFor(
        async () => {
          if (handled.includes('after')) return true;
          await raw.send({ topic, messages: [{ key: 'b', value: JSON.stringify(envelope({ n: 'after' })) }] }).catch(() => undefined);
          return false;
        },
        { timeoutMs: 120_000, intervalMs: 2000, what: 'a message after the broker answers again' },
      );
      await waitFor(() => runner.healthReport().state === 'consuming', { timeoutMs: 60_000, what: 'the member to consume again' });
      await raw.disconnect();
      await runner.stop();
      await ownProducer.disconnect();
    } finally {
      broker.kill('SIGCONT');
      broker.kill('SIGKILL');
    }
  });

  it('hands a partition\'s batch to a batch handler in one call, and isolates a bad message of a failing batch', async () => {
    const { topic, deadLetterTopic } = await topicsFor('batch');
    const raw = kafka.producer();
    await raw.connect();
    const kinds = Array.from({ length: 20 }, (_, n) => (n === 7 ? 'poison' : `ok-${n}`));
    await raw.send({ topic, messages: kinds.map((kind) => ({ key: 'same', value: JSON.stringify(envelope({ kind })) })) });
    await raw.disconnect();
    const batchSizes: number[] = [];
    const handled: string[] = [];
    const runner = new ConsumerRunner({
      kafka,
      groupId: names.group('batch'),
      topics: [topic],
      deadLetterTopic,
      deadLetters: producer,
      log: quiet,
      retryBackoffMs: 20,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      // Like a transaction: the whole batch is applied, or nothing of it.
      batchHandler: async (items) => {
        batchSizes.push(items.length);
        const kindsOf = items.map((item) => (item.envelope.payload as { kind: string }).kind);
        if (kindsOf.includes('poison')) {
          if (items.length === 1) throw new PermanentMessageError('poison cannot be applied');
          throw new Error('one message of the batch cannot be applied');
        }
        handled.push(...kindsOf);
      },
    });
    await runner.start();
    await waitFor(() => handled.length === 19, { timeoutMs: 30_000, what: 'the 19 good messages' });
    await runner.stop();
    // Every good message applied once, in order; the first batch held several messages.
    expect(handled).toEqual(kinds.filter((kind) => kind !== 'poison'));
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    const dead = await deadLetters(deadLetterTopic, 1);
    expect(dead).toEqual([expect.objectContaining({ reason: 'poison cannot be applied', originalTopic: topic })]);

    // The batch's offsets were committed: a runner of the same group starts after them.
    const again: string[] = [];
    const restarted = new ConsumerRunner({
      kafka,
      groupId: names.group('batch'),
      topics: [topic],
      deadLetterTopic,
      deadLetters: producer,
      log: quiet,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      batchHandler: async (items) => void again.push(...items.map((item) => (item.envelope.payload as { kind: string }).kind)),
    });
    const more = kafka.producer();
    await more.connect();
    await more.send({ topic, messages: [{ key: 'same', value: JSON.stringify(envelope({ kind: 'later' })) }] });
    await more.disconnect();
    await restarted.start();
    await waitFor(() => again.length >= 1, { timeoutMs: 30_000, what: 'the later message' });
    expect(again).toEqual(['later']);
    await restarted.stop();
  });
});
