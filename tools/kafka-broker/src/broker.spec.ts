import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CompressionTypes, Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { startBroker, type RunningBroker } from './broker';

const REPO_ROOT = path.resolve(__dirname, '../../..');

async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const kafkaFor = (broker: RunningBroker, clientId = 'test') =>
  new Kafka({ clientId, brokers: [broker.brokers], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });

function collect(consumer: Consumer, into: EachMessagePayload[]): Promise<void> {
  return consumer.run({
    eachMessage: async (payload) => {
      into.push(payload);
    },
  });
}

describe('kafkajs against the development broker', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent' });
  });
  afterAll(async () => {
    await broker.close();
  });

  it('creates, lists, describes and deletes topics through the admin client', async () => {
    const admin = kafkaFor(broker).admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 4 }] })).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 4 }] })).toBe(false);
      expect(await admin.listTopics()).toContain('admin-a');
      const metadata = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
      expect(metadata.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3]);
      await admin.deleteTopics({ topics: ['admin-a'] });
      expect(await admin.listTopics()).not.toContain('admin-a');
    } finally {
      await admin.disconnect();
    }
  });

  it('keeps each partition in order with keys, headers, gzip and every acks level, and answers offset queries', async () => {
    const kafka = kafkaFor(broker);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'round-trip', numPartitions: 3 }] });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const before = Date.now();
    await producer.send({
      topic: 'round-trip',
      acks: -1,
      messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 3}`, value: `all-${i}`, headers: { seq: String(i) } })),
    });
    await producer.send({ topic: 'round-trip', acks: -1, compression: CompressionTypes.GZIP, messages: [{ key: 'k0', value: 'gzipped' }] });
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'round-trip', acks: 1, messages: [{ key: 'k1', value: 'acks-1' }] });
    await plain.send({ topic: 'round-trip', acks: 0, messages: [{ key: 'k2', value: 'acks-0' }] });

    const consumer = kafka.consumer({ groupId: 'round-trip-group', sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'round-trip', fromBeginning: true });
    const received: EachMessagePayload[] = [];
    await collect(consumer, received);
    await waitFor(() => received.length === 33, '33 messages');
    const byKey = new Map<string, string[]>();
    for (const { message } of received)
      byKey.set(message.key!.toString(), [...(byKey.get(message.key!.toString()) ?? []), message.value!.toString()]);
    expect(byKey.get('k0')).toEqual([...Array.from({ length: 10 }, (_, i) => `all-${i * 3}`), 'gzipped']);
    expect(byKey.get('k1')!.at(-1)).toBe('acks-1');
    expect(byKey.get('k2')!.at(-1)).toBe('acks-0');
    expect(received.find((p) => p.message.value!.toString() === 'all-7')!.message.headers!['seq']!.toString()).toBe('7');

    const offsets = await admin.fetchTopicOffsets('round-trip');
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(33);
    const byTime = await admin.fetchTopicOffsetsByTimestamp('round-trip', before);
    expect(byTime.every((p) => p.offset === '0')).toBe(true);
    const future = await admin.fetchTopicOffsetsByTimestamp('round-trip', Date.now() + 60_000);
    expect(future.map((p) => p.offset).sort()).toEqual(offsets.map((p) => p.high).sort());

    await waitFor(async () => {
      const committed = await admin.fetchOffsets({ groupId: 'round-trip-group', topics: ['round-trip'] });
      return committed[0]!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) === 33; // -1: nothing committed (an empty partition)
    }, 'offsets committed by the consumer');
    const described = await admin.describeGroups(['round-trip-group']);
    expect(described.groups[0]).toMatchObject({ groupId: 'round-trip-group', state: 'Stable', protocolType: 'consumer' });
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain('round-trip-group');

    await consumer.disconnect();
    // A new consumer of the same group resumes after the committed offsets.
    await producer.send({ topic: 'round-trip', acks: -1, messages: [{ key: 'k0', value: 'after-restart' }] });
    const second = kafka.consumer({ groupId: 'round-trip-group', sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    await second.connect();
    await second.subscribe({ topic: 'round-trip', fromBeginning: true });
    const resumed: EachMessagePayload[] = [];
    await collect(second, resumed);
    await waitFor(() => resumed.length >= 1, 'the message produced after the restart');
    expect(resumed.map((p) => p.message.value!.toString())).toEqual(['after-restart']);
    await second.disconnect();
    await producer.disconnect();
    await plain.disconnect();
    await admin.disconnect();
  });

  it('shares partitions among a three-member group and gives a killed member’s partitions to the survivors', async () => {
    const admin = kafkaFor(broker).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'shared', numPartitions: 6 }] });
    await admin.disconnect();
    const members: ChildProcess[] = [];
    const assignments = new Map<number, number[]>();
    const consumed = new Map<number, Set<string>>();
    const memberScript = path.join(__dirname, '../test/group-member.ts');
    for (let i = 0; i < 3; i++) {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', memberScript, broker.brokers, 'shared', 'shared-group'], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      consumed.set(i, new Set());
      let buffered = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const event = JSON.parse(line) as { assigned?: number[]; value?: string };
          if (event.assigned) assignments.set(i, event.assigned);
          if (event.value) consumed.get(i)!.add(event.value);
        }
      });
      members.push(child);
    }
    try {
      const all = () => [...assignments.values()].flat().sort((a, b) => a - b);
      await waitFor(
        () => assignments.size === 3 && [...assignments.values()].every((p) => p.length === 2) && JSON.stringify(all()) === '[0,1,2,3,4,5]',
        'six partitions spread two per member',
        30_000,
      );

      const victim = 0;
      const orphaned = assignments.get(victim)!;
      members[victim]!.kill('SIGKILL'); // no LeaveGroup: the broker must notice the missing heartbeats
      await waitFor(
        () => {
          const survivors = [1, 2].flatMap((i) => assignments.get(i) ?? []).sort((a, b) => a - b);
          return JSON.stringify(survivors) === '[0,1,2,3,4,5]';
        },
        'the survivors to own all six partitions',
        30_000,
      );

      const producer = kafkaFor(broker, 'after-kill').producer();
      await producer.connect();
      await producer.send({ topic: 'shared', messages: orphaned.map((partition) => ({ partition, value: `orphan-${partition}` })) });
      await producer.disconnect();
      await waitFor(
        () => orphaned.every((partition) => [1, 2].some((i) => consumed.get(i)!.has(`orphan-${partition}`))),
        'the survivors to consume the orphaned partitions',
        20_000,
      );
    } finally {
      for (const member of members) member.kill('SIGKILL');
    }
  });

  it('survives garbage, truncated and oversized frames, unknown APIs and unsupported versions', async () => {
    const send = (bytes: Buffer) =>
      new Promise<{ closed: boolean; data: Buffer }>((resolve) => {
        const socket = connect(broker.port, '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (chunk) => chunks.push(chunk));
        socket.on('close', () => resolve({ closed: true, data: Buffer.concat(chunks) }));
        socket.on('error', () => undefined);
        socket.write(bytes);
        setTimeout(() => {
          socket.destroy();
          resolve({ closed: false, data: Buffer.concat(chunks) });
        }, 500);
      });
    const header = (apiKey: number, version: number) => {
      const body = Buffer.alloc(10);
      body.writeInt16BE(apiKey, 0);
      body.writeInt16BE(version, 2);
      body.writeInt32BE(7, 4);
      body.writeInt16BE(-1, 8);
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length);
      return Buffer.concat([size, body]);
    };
    expect((await send(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]))).closed).toBe(true); // 2 GiB frame
    expect((await send(Buffer.from([0, 0, 0, 2, 1, 2]))).closed).toBe(true); // frame too small
    expect((await send(header(999, 0))).closed).toBe(true); // unknown API
    expect((await send(header(1, 11))).closed).toBe(true); // Fetch v11 is not implemented
    const truncatedMetadata = Buffer.concat([
      header(3, 1)
        .subarray(0, 4)
        .fill(0)
        .fill(Buffer.from([0, 0, 0, 12])),
      header(3, 1).subarray(4),
      Buffer.from([0, 0]),
    ]);
    expect((await send(truncatedMetadata)).closed).toBe(true);
    const apiVersionsV9 = await send(header(18, 9));
    expect(apiVersionsV9.data.readInt32BE(4)).toBe(7); // correlation id
    expect(apiVersionsV9.data.readInt16BE(8)).toBe(35); // UNSUPPORTED_VERSION, with our ranges
    // And it still serves a well-formed client.
    const admin = kafkaFor(broker).admin();
    await admin.connect();
    expect(Array.isArray(await admin.listTopics())).toBe(true);
    await admin.disconnect();
  });
});

describe('durability', () => {
  it('serves every message acknowledged with acks=all, and committed offsets, after a restart', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'flowline-broker-'));
    try {
      const first = await startBroker({ dataDir, logLevel: 'silent' });
      const kafka = kafkaFor(first);
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      for (let i = 0; i < 5; i++) await producer.send({ topic: 'durable', acks: -1, messages: [{ key: 'same', value: `m${i}` }] });
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.setOffsets({
        groupId: 'durable-group',
        topic: 'durable',
        partitions: (await admin.fetchTopicOffsets('durable')).map((p) => ({
          partition: p.partition,
          offset: p.partition === 0 ? '2' : '0',
        })),
      });
      await admin.disconnect();
      const port = first.port;
      await first.close();

      const second = await startBroker({ dataDir, port, logLevel: 'silent' });
      try {
        const consumer = kafkaFor(second).consumer({
          groupId: 'reader',
          sessionTimeout: 6000,
          heartbeatInterval: 500,
          maxWaitTimeInMs: 200,
        });
        await consumer.connect();
        await consumer.subscribe({ topic: 'durable', fromBeginning: true });
        const received: EachMessagePayload[] = [];
        await collect(consumer, received);
        await waitFor(() => received.length === 5, 'all five acknowledged messages');
        expect(received.map((p) => p.message.value!.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
        await consumer.disconnect();
        const admin2 = kafkaFor(second).admin();
        await admin2.connect();
        const committed = await admin2.fetchOffsets({ groupId: 'durable-group', topics: ['durable'] });
        expect(committed[0]!.partitions.find((p) => p.partition === 0)?.offset).toBe('2');
        await admin2.disconnect();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('librdkafka (kcat) against the development broker', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent' });
  });
  afterAll(async () => {
    await broker.close();
  });

  const kcat = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = execFile('kcat', args, { timeout: 20_000 }, (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') reject(new Error('kcat not installed: apt-get install kcat'));
        else if (error) reject(new Error(`kcat ${args.join(' ')} failed: ${stderr}`));
        else resolve(stdout);
      });
      if (input !== undefined) child.stdin!.end(input);
    });

  it('produces with kcat and consumes with kafkajs, and the other way round', async () => {
    await kcat(['-P', '-b', broker.brokers, '-t', 'interop', '-K:', '-p', '0'], 'a:one\nb:two\n');
    const consumer = kafkaFor(broker).consumer({
      groupId: 'interop-js',
      sessionTimeout: 6000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 200,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: 'interop', fromBeginning: true });
    const received: EachMessagePayload[] = [];
    await collect(consumer, received);
    await waitFor(() => received.length === 2, 'the two kcat messages');
    expect(received.map((p) => `${p.message.key!.toString()}:${p.message.value!.toString()}`)).toEqual(['a:one', 'b:two']);
    await consumer.disconnect();

    const producer = kafkaFor(broker).producer();
    await producer.connect();
    await producer.send({ topic: 'interop', messages: [{ key: 'c', value: 'three', partition: 0 }] });
    await producer.disconnect();
    const out = await kcat(['-C', '-b', broker.brokers, '-t', 'interop', '-p', '0', '-o', 'beginning', '-e', '-f', '%k:%s\n']);
    expect(out.trim().split('\n')).toEqual(['a:one', 'b:two', 'c:three']);
  });

  it('runs a kcat consumer group that commits offsets', async () => {
    await kcat(['-P', '-b', broker.brokers, '-t', 'kcat-group', '-K:'], 'x:1\ny:2\nz:3\n');
    const out = await kcat([
      '-b',
      broker.brokers,
      '-G',
      'kcat-readers',
      'kcat-group',
      '-o',
      'beginning',
      '-e',
      '-f',
      '%s\n',
      '-X',
      'session.timeout.ms=6000',
      '-X',
      'enable.auto.commit=true',
      '-X',
      'auto.commit.interval.ms=100',
    ]);
    expect(out.trim().split('\n').sort()).toEqual(['1', '2', '3']);
    const admin = kafkaFor(broker).admin();
    await admin.connect();
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain('kcat-readers');
    await admin.disconnect();
  });
});
