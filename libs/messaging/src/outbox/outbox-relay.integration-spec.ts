import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Kafka, logLevel, type EachMessagePayload } from 'kafkajs';
import { Topics } from '@flowline/contracts';
import { createTestDatabase, REPO_ROOT, testKafkaBrokers, testPrefix, waitFor, type TestDatabase } from '@flowline/testing';
import { createEnvelope } from '../envelope/envelope-factory';
import { createKafka, provisionTopics } from '../kafka/kafka-client';
import { TopicNames } from '../kafka/topic-names';
import { EnvelopeProducer } from '../producer/envelope-producer';
import { OutboxMessageRow } from './outbox-message.entity';
import { OutboxTable1764028900000 } from './outbox.migration';
import { OutboxRelay, outboxChannel } from './outbox-relay';
import { relayIsLocal } from './outbox-signal';
import { writeToOutbox } from './outbox-writer';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('transactional outbox and relay', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let names: TopicNames;
  let kafka: Kafka;
  const schema = 'relaytest';

  beforeAll(async () => {
    db = await createTestDatabase('outbox');
    dataSource = new DataSource({
      type: 'postgres',
      url: db.url,
      schema,
      entities: [OutboxMessageRow],
      migrations: [OutboxTable1764028900000],
    });
    await dataSource.initialize();
    await dataSource.query(`CREATE SCHEMA "${schema}"`);
    await dataSource.runMigrations();
    names = new TopicNames(`${testPrefix('outbox')}.`);
    kafka = createKafka({ brokers: [testKafkaBrokers()], clientId: 'outbox-test' });
    const admin = kafka.admin();
    await admin.connect();
    await provisionTopics(admin, [
      { name: names.topic(Topics.pipelineEvents) as never, key: 'k', partitions: 3, cleanupPolicy: 'delete', retentionMs: 60_000 },
    ]);
    await admin.disconnect();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  async function write(count: number, from = 0): Promise<string[]> {
    const ids: string[] = [];
    await dataSource.transaction(async (manager) => {
      const messages = Array.from({ length: count }, (_, i) => {
        const envelope = createEnvelope({
          type: 'test',
          schemaVersion: 1,
          source: 'test',
          correlationId: 'c',
          depth: 1,
          payload: { n: from + i },
        });
        ids.push(envelope.id);
        return { topic: Topics.pipelineEvents, key: `account:${(from + i) % 4}`, envelope };
      });
      await writeToOutbox(manager, messages);
    });
    return ids;
  }

  /** A relay whose poll is far longer than any test: only wake-ups make it publish in time. */
  const wakeOnlyRelay = (producer: EnvelopeProducer) =>
    new OutboxRelay({ dataSource, schema, databaseUrl: db.url, producer, topicNames: names, log: quiet, pollIntervalMs: 600_000 });

  async function consumeAll(groupId: string, until: (received: EachMessagePayload[]) => boolean): Promise<EachMessagePayload[]> {
    const consumer = new Kafka({ clientId: groupId, brokers: [testKafkaBrokers()], logLevel: logLevel.NOTHING }).consumer({
      groupId,
      sessionTimeout: 6000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: names.topic(Topics.pipelineEvents), fromBeginning: true });
    const received: EachMessagePayload[] = [];
    await consumer.run({ eachMessage: async (payload) => void received.push(payload) });
    try {
      await waitFor(() => until(received), { timeoutMs: 20_000, what: 'the relayed messages' });
      return received;
    } finally {
      await consumer.disconnect();
    }
  }

  it('a rolled-back transaction leaves nothing to publish', async () => {
    await expect(
      dataSource.transaction(async (manager) => {
        await writeToOutbox(manager, [
          {
            topic: Topics.pipelineEvents,
            key: 'x',
            envelope: createEnvelope({ type: 't', schemaVersion: 1, source: 's', correlationId: 'c', depth: 1, payload: {} }),
          },
        ]);
        throw new Error('the business change failed');
      }),
    ).rejects.toThrow('the business change failed');
    expect(await dataSource.getRepository(OutboxMessageRow).count()).toBe(0);
  });

  it('publishes every row exactly once, in order per key, with two relays running (one leads)', async () => {
    const ids = await write(40);
    const producerA = new EnvelopeProducer(kafka);
    const producerB = new EnvelopeProducer(kafka);
    await Promise.all([producerA.connect(), producerB.connect()]);
    const relays = [producerA, producerB].map(
      (producer) =>
        new OutboxRelay({
          dataSource,
          schema,
          databaseUrl: db.url,
          producer,
          topicNames: names,
          log: quiet,
          batchSize: 7,
          pollIntervalMs: 50,
        }),
    );
    relays.forEach((relay) => relay.start());
    try {
      await waitFor(async () => (await relays[0]!.lag()).pending === 0, { what: 'the outbox to drain' });
      expect(relays.filter((relay) => relay.isLeader)).toHaveLength(1);
      const received = await consumeAll(`${names.prefix}exactly-once`, (all) => all.length >= 40);
      const receivedIds = received.map((p) => (JSON.parse(p.message.value!.toString()) as { id: string }).id);
      expect(receivedIds.sort()).toEqual([...ids].sort()); // each exactly once
      for (const key of ['account:0', 'account:1', 'account:2', 'account:3']) {
        const order = received
          .filter((p) => p.message.key!.toString() === key)
          .map((p) => (JSON.parse(p.message.value!.toString()) as { payload: { n: number } }).payload.n);
        expect({ key, order }).toEqual({ key, order: [...order].sort((a, b) => a - b) });
      }
    } finally {
      await Promise.all(relays.map((relay) => relay.stop()));
      await Promise.all([producerA.disconnect(), producerB.disconnect()]);
    }
  });

  it('wakes a relay in its own process after the commit, without a NOTIFY, and notifies when the leading relay is elsewhere', async () => {
    await dataSource.query(`DELETE FROM "${schema}"."outbox"`);
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    const notifications: string[] = [];
    listener.on('notification', (message) => notifications.push(message.channel));
    await listener.query(`LISTEN ${outboxChannel(schema)}`);
    const producer = new EnvelopeProducer(kafka);
    await producer.connect();
    // Only a wake-up publishes in time.
    const relay = wakeOnlyRelay(producer);
    relay.start();
    try {
      await waitFor(() => relay.isLeader && relayIsLocal(schema), { what: 'the relay to lead' });
      await waitFor(async () => (await relay.lag()).pending === 0, { what: 'the first (empty) batch' });
      await write(3, 2000);
      await waitFor(async () => (await relay.lag()).pending === 0, { timeoutMs: 20_000, what: 'the relay to publish after the commit' });
      // Autocommitted writes (no transaction) wake it too.
      await writeToOutbox(dataSource.manager, [
        {
          topic: Topics.pipelineEvents,
          key: 'k',
          envelope: createEnvelope({ type: 't', schemaVersion: 1, source: 's', correlationId: 'c', depth: 1, payload: {} }),
        },
      ]);
      await waitFor(async () => (await relay.lag()).pending === 0, {
        timeoutMs: 20_000,
        what: 'the relay to publish an autocommitted write',
      });
      expect(notifications).toEqual([]);
    } finally {
      await relay.stop();
      await producer.disconnect();
    }
    expect(relayIsLocal(schema)).toBe(false);
    await write(1, 3000);
    await waitFor(() => notifications.length > 0, { what: 'the NOTIFY for a relay in another process' });
    await listener.end();
  });

  it('publishes a steady trickle from concurrent writers with wake-ups alone (a short batch does not look again until woken)', async () => {
    await dataSource.query(`DELETE FROM "${schema}"."outbox"`);
    const producer = new EnvelopeProducer(kafka);
    await producer.connect();
    // A write committed while a batch is read or published must still wake it.
    const relay = wakeOnlyRelay(producer);
    relay.start();
    try {
      await waitFor(() => relay.isLeader, { what: 'the relay to lead' });
      await Promise.all(
        Array.from({ length: 8 }, async (_, writer) => {
          for (let i = 0; i < 25; i++) {
            await write(1 + (i % 3), 5000 + writer * 100 + i * 3);
            if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
          }
        }),
      );
      await waitFor(async () => (await relay.lag()).pending === 0, { timeoutMs: 20_000, what: 'every trickled row to be published' });
      const [{ published }] = (await dataSource.query(
        `SELECT count(*)::int AS "published" FROM "${schema}"."outbox" WHERE "published_at" IS NOT NULL`,
      )) as Array<{ published: number }>;
      expect(published).toBe(8 * (9 * 1 + 8 * 2 + 8 * 3));
    } finally {
      await relay.stop();
      await producer.disconnect();
    }
  });

  it('delivers every row at least once when the relay process is killed mid-batch, and consumers can dedupe by id', async () => {
    await dataSource.query(`DELETE FROM "${schema}"."outbox"`);
    const ids = await write(60, 1000);
    const script = path.join(REPO_ROOT, 'libs/messaging/test/relay-process.ts');
    const first = spawn(process.execPath, ['-r', '@swc-node/register', script, db.url, schema, testKafkaBrokers(), names.prefix], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const firstExit = new Promise((resolve) => first.once('exit', resolve));
    const probe = new OutboxRelay({ dataSource, schema, databaseUrl: db.url, producer: new EnvelopeProducer(kafka), log: quiet });
    await waitFor(
      async () => {
        const { pending } = await probe.lag();
        return pending < 45 && pending > 0;
      },
      { what: 'the first relay to be part-way through' },
    );
    first.kill('SIGKILL');
    await firstExit;
    const second = spawn(process.execPath, ['-r', '@swc-node/register', script, db.url, schema, testKafkaBrokers(), names.prefix], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await waitFor(async () => (await probe.lag()).pending === 0, { timeoutMs: 30_000, what: 'the second relay to drain the outbox' });
      const received = await consumeAll(`${names.prefix}at-least-once`, (all) => {
        // The topic holds the earlier tests' messages too: wait for these rows' own.
        const got = new Set(all.map((p) => (JSON.parse(p.message.value!.toString()) as { id: string }).id));
        return ids.every((id) => got.has(id));
      });
      const seen = new Set(received.map((p) => (JSON.parse(p.message.value!.toString()) as { id: string }).id));
      for (const id of ids) expect(seen.has(id)).toBe(true);
    } finally {
      second.kill('SIGKILL');
    }
  });

  it('marks a published batch in one statement that commits without waiting for its flush, and leaves the connection as it was', async () => {
    // Last: the messages it publishes stay on the topic the tests above read from its beginning.
    await dataSource.query(`DELETE FROM "${schema}"."outbox"`);
    // One connection, so every statement of the relay and of the checks below shares it.
    const single = new DataSource({ type: 'postgres', url: db.url, schema, entities: [OutboxMessageRow], extra: { max: 1 } });
    await single.initialize();
    const producer = new EnvelopeProducer(kafka);
    await producer.connect();
    const relay = new OutboxRelay({
      dataSource: single,
      schema,
      databaseUrl: db.url,
      producer,
      topicNames: names,
      log: quiet,
      batchSize: 3,
    });
    const statements: string[] = [];
    const pool = (single.driver as unknown as { master: { on: (event: string, listener: (client: never) => void) => void } }).master;
    let unflushed = 0;
    try {
      await write(12);
      // Every statement the relay's connection runs from here on, as text or prepared name.
      pool.on('acquire', (client: { query: (...args: unknown[]) => unknown; counted?: boolean }) => {
        if (client.counted) return;
        client.counted = true;
        const query = client.query.bind(client);
        client.query = (config: unknown, ...rest: unknown[]) => {
          const text = typeof config === 'string' ? config : ((config as { text?: string }).text ?? '');
          statements.push(text.replace(/\s+/g, ' ').trim().split(' ')[0]!);
          return query(config, ...rest);
        };
      });
      for (let batch = 0; batch < 4; batch++) {
        statements.length = 0;
        expect(await relay.publishBatch()).toBe(3);
        // A read and a mark: no BEGIN, SET or COMMIT around the mark.
        expect(statements).toEqual(['SELECT', 'UPDATE']);
        // Committed without waiting for its WAL flush (a synchronous commit returns once it is flushed).
        const [{ lag }] = await single.query(`SELECT (pg_current_wal_insert_lsn() - pg_current_wal_flush_lsn())::int AS lag`);
        if (lag > 0) unflushed += 1;
        // The connection's own setting is untouched: the services' commits still wait for their flush.
        expect(await single.query(`SELECT current_setting('synchronous_commit') AS value`)).toEqual([{ value: 'on' }]);
      }
      expect(unflushed).toBeGreaterThan(0);
      expect((await relay.lag()).pending).toBe(0);
    } finally {
      await producer.disconnect();
      await single.destroy();
    }
  });
});
