/**
 * Broker conformance: the client scenarios Flowline relies on, run against whichever broker the
 * run's global setup provides (the development broker by default, Apache Kafka with
 * FLOWLINE_TEST_KAFKA=apache). Both must pass the same assertions, so the development broker stays
 * a faithful stand-in for Apache Kafka 4.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { testKafkaBrokers, testPrefix, waitFor } from '@flowline/testing';

const brokerName = process.env['FLOWLINE_TEST_KAFKA_DESCRIPTION'] ?? 'the test broker';

/**
 * The oldest version of each API that Apache Kafka 4 still accepts (KIP-896 removed the older
 * ones), for the APIs a broker of Flowline's must serve. A broker that accepts an older version
 * would let a client work in development and fail in production.
 */
const KAFKA_4_MIN_VERSIONS: Record<string, [key: number, min: number]> = {
  Produce: [0, 0],
  Fetch: [1, 4],
  ListOffsets: [2, 1],
  Metadata: [3, 0],
  OffsetCommit: [8, 2],
  OffsetFetch: [9, 1],
  FindCoordinator: [10, 0],
  JoinGroup: [11, 0],
  Heartbeat: [12, 0],
  LeaveGroup: [13, 0],
  SyncGroup: [14, 0],
  DescribeGroups: [15, 0],
  ListGroups: [16, 0],
  ApiVersions: [18, 0],
  CreateTopics: [19, 2],
  DeleteTopics: [20, 1],
};

/** ApiVersions v0 over a plain socket: every API key the broker serves with its version range. */
function apiVersions(brokers: string): Promise<Map<number, [number, number]>> {
  const [host, port] = brokers.split(':') as [string, string];
  const clientId = Buffer.from('conformance');
  const body = Buffer.alloc(10 + clientId.length);
  body.writeInt16BE(18, 0); // ApiVersions
  body.writeInt16BE(0, 2); // version 0
  body.writeInt32BE(7, 4); // correlation id
  body.writeInt16BE(clientId.length, 8);
  clientId.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host, () => socket.write(Buffer.concat([size, body])));
    let received = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      socket.end();
      let offset = 8;
      const errorCode = received.readInt16BE(offset);
      offset += 2;
      if (errorCode !== 0) return reject(new Error(`ApiVersions answered error ${errorCode}`));
      const count = received.readInt32BE(offset);
      offset += 4;
      const versions = new Map<number, [number, number]>();
      for (let i = 0; i < count; i++, offset += 6) {
        versions.set(received.readInt16BE(offset), [received.readInt16BE(offset + 2), received.readInt16BE(offset + 4)]);
      }
      resolve(versions);
    });
  });
}

/** The protocol error a kafkajs failure carries (kafkajs wraps it once or twice). */
function errorType(error: unknown): string | undefined {
  for (let current = error as { type?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 5; depth++) {
    if (typeof current.type === 'string') return current.type;
    current = current.cause as typeof current;
  }
  return undefined;
}

function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') reject(new Error('kcat is not installed: apt-get install kcat'));
      else if (error) reject(new Error(`kcat ${args.join(' ')} failed: ${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe(`Kafka broker conformance on ${brokerName}`, () => {
  const brokers = testKafkaBrokers();
  const prefix = testPrefix('conformance');
  const kafka = new Kafka({ clientId: 'conformance', brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  const admin = kafka.admin();
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    await admin.connect();
  });
  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.disconnect().catch(() => undefined)));
    await admin.disconnect();
  });

  async function createTopic(name: string, partitions: number): Promise<string> {
    const topic = `${prefix}.${name}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    return topic;
  }

  function consumer(groupId: string, options: { sessionTimeout?: number; rebalanceTimeout?: number } = {}): Consumer {
    const created = kafka.consumer({
      groupId: `${prefix}.${groupId}`,
      sessionTimeout: options.sessionTimeout ?? 10_000,
      rebalanceTimeout: options.rebalanceTimeout ?? 20_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 200,
      allowAutoTopicCreation: false,
    });
    consumers.push(created);
    return created;
  }

  it('serves every API Flowline uses, in no version Apache Kafka 4 removed', async () => {
    const served = await apiVersions(brokers);
    const wrong: string[] = [];
    for (const [name, [key, min]] of Object.entries(KAFKA_4_MIN_VERSIONS)) {
      const range = served.get(key);
      if (!range) wrong.push(`${name} is not served`);
      else if (range[0] < min) wrong.push(`${name} accepts v${range[0]}, which Apache Kafka 4 removed (oldest kept: v${min})`);
    }
    expect(wrong).toEqual([]);
  });

  it('produces and fetches with keys and headers, one key always on one partition and in order', async () => {
    const topic = await createTopic('keyed', 3);
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, n) => ({ key: `k${n % 5}`, value: `v${n}`, headers: { n: String(n), kind: 'conformance' } }));
    await producer.send({ topic, messages: sent });
    await producer.disconnect();
    const reader = consumer('keyed');
    await reader.connect();
    await reader.subscribe({ topic, fromBeginning: true });
    const received: EachMessagePayload[] = [];
    await reader.run({ eachMessage: async (payload) => void received.push(payload) });
    await waitFor(() => received.length === 30, { timeoutMs: 60_000, what: 'all 30 messages' });
    await reader.disconnect();
    for (let k = 0; k < 5; k++) {
      const ofKey = received.filter((p) => p.message.key?.toString() === `k${k}`);
      expect(new Set(ofKey.map((p) => p.partition)).size).toBe(1);
      expect(ofKey.map((p) => Number(p.message.headers!['n']!.toString()))).toEqual([k, k + 5, k + 10, k + 15, k + 20, k + 25]);
    }
    expect(received.every((p) => p.message.headers!['kind']!.toString() === 'conformance')).toBe(true);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(30);
    expect(offsets.every((partition) => partition.low === '0')).toBe(true);
  });

  it('restarts a group from the earliest offset when its committed offset is out of range', async () => {
    const topic = await createTopic('out-of-range', 1);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    await producer.disconnect();
    // A committed offset far past the end (the log was truncated, say): fetching there is out of range.
    await admin.setOffsets({ groupId: `${prefix}.out-of-range`, topic, partitions: [{ partition: 0, offset: '1000' }] });
    const committed = await admin.fetchOffsets({ groupId: `${prefix}.out-of-range`, topics: [topic] });
    expect(committed[0]!.partitions[0]!.offset).toBe('1000');
    const reader = consumer('out-of-range');
    await reader.connect();
    await reader.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await reader.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    await waitFor(() => values.length === 3, { timeoutMs: 60_000, what: 'the three messages from the earliest offset' });
    expect(values).toEqual(['a', 'b', 'c']);
    await reader.disconnect();
  });

  it('refuses a produce to an unknown topic when auto-creation is off, and creates it on first use when on', async () => {
    const unknown = `${prefix}.never-created`;
    const strict = new Kafka({ clientId: 'conformance-strict', brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 1 } });
    const refused = strict.producer({ allowAutoTopicCreation: false });
    await refused.connect();
    const outcome = await refused.send({ topic: unknown, messages: [{ value: 'x' }] }).then(
      () => 'accepted',
      (error: unknown) => errorType(error) ?? String(error),
    );
    await refused.disconnect();
    expect(outcome).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(await admin.listTopics()).not.toContain(unknown);

    const created = `${prefix}.auto-created`;
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic: created, messages: [{ value: 'y' }] });
    await producer.disconnect();
    const metadata = await admin.fetchTopicMetadata({ topics: [created] });
    expect(metadata.topics[0]!.partitions).toHaveLength(3);
  });

  it('creates and deletes topics through the admin client', async () => {
    const topic = `${prefix}.admin-made`;
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
    // Creating it again changes nothing and says so.
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] })).toBe(false);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3]);
    const invalid = await admin.createTopics({ topics: [{ topic: `${prefix}.no-partitions`, numPartitions: 0 }] }).then(
      () => 'accepted',
      (error: unknown) => {
        const errors = (error as { errors?: Array<{ type?: string }> }).errors;
        return errors?.[0]?.type ?? errorType(error) ?? String(error);
      },
    );
    expect(invalid).toBe('INVALID_PARTITIONS');
    await admin.deleteTopics({ topics: [topic] });
    await waitFor(async () => !(await admin.listTopics()).includes(topic), { timeoutMs: 30_000, what: 'the topic to be deleted' });
  });

  it('commits offsets and fetches them; a restarted member sees only what came after; offsets set back replay', async () => {
    const topic = await createTopic('commits', 1);
    const groupId = `${prefix}.commits`;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: ['1', '2', '3', '4', '5'].map((value) => ({ value })) });
    const first = consumer('commits');
    await first.connect();
    await first.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await first.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        seen.push(message.value!.toString());
        await first.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      },
    });
    await waitFor(() => seen.length === 5, { timeoutMs: 60_000, what: 'five messages' });
    await first.disconnect();
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]!.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '5' })]);

    await producer.send({ topic, messages: [{ value: '6' }] });
    const second = consumer('commits');
    await second.connect();
    await second.subscribe({ topic, fromBeginning: true });
    const after: string[] = [];
    await second.run({ eachMessage: async ({ message }) => void after.push(message.value!.toString()) });
    await waitFor(() => after.length >= 1, { timeoutMs: 60_000, what: 'the message after the commit' });
    await second.disconnect();
    expect(after).toEqual(['6']);

    // Set back to the start while the group is empty: the committed offset wins over fromBeginning.
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] });
    const third = consumer('commits');
    await third.connect();
    await third.subscribe({ topic, fromBeginning: false });
    const again: string[] = [];
    await third.run({ eachMessage: async ({ message }) => void again.push(message.value!.toString()) });
    await waitFor(() => again.length === 6, { timeoutMs: 60_000, what: 'all six messages after the reset' });
    await third.disconnect();
    await producer.disconnect();
  });

  it('shares partitions among three members of a group as they join and leave, each message handled once', async () => {
    const topic = await createTopic('group-of-three', 6);
    const groupId = `${prefix}.three`;
    const assignments = new Map<string, number[]>();
    const handled = new Map<string, string[]>();
    const members: Consumer[] = [];
    const join = async (name: string) => {
      const member = consumer('three');
      member.on(member.events.GROUP_JOIN, (event) => assignments.set(name, [...(event.payload.memberAssignment[topic] ?? [])].sort()));
      handled.set(name, []);
      await member.connect();
      await member.subscribe({ topic, fromBeginning: true });
      await member.run({ eachMessage: async ({ message }) => void handled.get(name)!.push(message.value!.toString()) });
      members.push(member);
      return member;
    };
    /** Every partition held by exactly one of the named members, each holding its share. */
    const settled = (names: string[]) => {
      const held = names.flatMap((name) => assignments.get(name) ?? []);
      const shares = names.map((name) => (assignments.get(name) ?? []).length);
      return held.length === 6 && new Set(held).size === 6 && shares.every((share) => share === 6 / names.length);
    };
    const stable = async (count: number) => {
      const { groups } = await admin.describeGroups([groupId]);
      return groups[0]!.state === 'Stable' && groups[0]!.members.length === count;
    };

    await join('a');
    await join('b');
    const c = await join('c');
    await waitFor(async () => settled(['a', 'b', 'c']) && (await stable(3)), { timeoutMs: 60_000, what: 'three members with two partitions each' });
    const producer = kafka.producer();
    await producer.connect();
    const batch = (from: number) => Array.from({ length: 60 }, (_, n) => ({ key: `k${n}`, value: String(from + n) }));
    await producer.send({ topic, messages: batch(0) });
    const all = () => [...handled.values()].flat();
    await waitFor(() => all().length >= 60, { timeoutMs: 60_000, what: 'the first 60 messages' });

    // One member leaves: the two left take three partitions each and go on.
    await c.disconnect();
    await waitFor(async () => settled(['a', 'b']) && (await stable(2)), { timeoutMs: 60_000, what: 'two members with three partitions each' });
    await producer.send({ topic, messages: batch(60) });
    await waitFor(() => all().filter((v) => Number(v) >= 60).length >= 60, { timeoutMs: 60_000, what: 'the next 60 messages' });
    await producer.disconnect();
    await Promise.all(members.slice(0, 2).map((member) => member.disconnect()));
    // Every message was handled; auto-commit between rebalances may hand a few over twice, never drop one.
    expect(new Set(all())).toEqual(new Set(Array.from({ length: 120 }, (_, n) => String(n))));
    expect(all().filter((v) => Number(v) >= 60)).toHaveLength(60);
  });

  it('accepts a commit of the current generation while a rebalance is only preparing', async () => {
    const topic = await createTopic('commit-preparing', 1);
    const groupId = `${prefix}.preparing`;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'held' }] });
    await producer.disconnect();
    const first = consumer('preparing');
    let entered = false;
    let commit: () => void = () => undefined;
    const mayCommit = new Promise<void>((resolve) => (commit = resolve));
    let outcome = 'not tried';
    await first.connect();
    await first.subscribe({ topic, fromBeginning: true });
    await first.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (message.value!.toString() !== 'held' || entered) return;
        entered = true;
        await mayCommit;
        outcome = await first.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]).then(
          () => 'committed',
          (error: unknown) => errorType(error) ?? String(error),
        );
      },
    });
    await waitFor(() => entered, { timeoutMs: 60_000, what: 'the first member to be inside its message' });
    // A second member asks to join: the group prepares a rebalance and waits for the first.
    const second = consumer('preparing');
    await second.connect();
    await second.subscribe({ topic, fromBeginning: true });
    const joining = second.run({ eachMessage: async () => undefined });
    await waitFor(async () => (await admin.describeGroups([groupId])).groups[0]!.state === 'PreparingRebalance', {
      timeoutMs: 30_000,
      what: 'the group to prepare a rebalance',
    });
    commit();
    await waitFor(() => outcome !== 'not tried', { timeoutMs: 30_000, what: 'the commit to be answered' });
    expect(outcome).toBe('committed');
    await joining;
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]!.partitions[0]!.offset).toBe('1');
  });

  it('refuses the commit of a member the group rebalanced without', async () => {
    const topic = await createTopic('commit-left-out', 1);
    const groupId = `${prefix}.left-out`;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'slow' }] });
    await producer.disconnect();
    const first = consumer('left-out', { sessionTimeout: 10_000, rebalanceTimeout: 2000 });
    let entered = false;
    let commit: () => void = () => undefined;
    const mayCommit = new Promise<void>((resolve) => (commit = resolve));
    let outcome = 'not tried';
    await first.connect();
    await first.subscribe({ topic, fromBeginning: true });
    await first.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (entered) return;
        entered = true;
        await mayCommit;
        outcome = await first.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]).then(
          () => 'committed',
          (error: unknown) => errorType(error) ?? String(error),
        );
      },
    });
    await waitFor(() => entered, { timeoutMs: 60_000, what: 'the first member to be inside its message' });
    // The first member cannot rejoin within the 2 s rebalance timeout: the group goes on with the second only.
    const second = consumer('left-out', { rebalanceTimeout: 2000 });
    let secondHas: number[] = [];
    second.on(second.events.GROUP_JOIN, (event) => (secondHas = event.payload.memberAssignment[topic] ?? []));
    await second.connect();
    await second.subscribe({ topic, fromBeginning: true });
    await second.run({ eachMessage: async () => undefined });
    await waitFor(() => secondHas.length === 1, { timeoutMs: 60_000, what: 'the second member to hold the partition' });
    commit();
    await waitFor(() => outcome !== 'not tried', { timeoutMs: 30_000, what: 'the commit to be answered' });
    expect(outcome).toBe('UNKNOWN_MEMBER_ID');
    // The first member then joins again as a new member: the group goes on with both.
    await waitFor(async () => (await admin.describeGroups([groupId])).groups[0]!.members.length === 2, {
      timeoutMs: 60_000,
      what: 'the first member to join again',
    });
  });

  it('interoperates with librdkafka (kcat): keys and headers both ways, and a kcat group that commits', async () => {
    const topic = await createTopic('kcat', 1);
    await kcat(['-P', '-b', brokers, '-t', topic, '-K:', '-H', 'origin=kcat'], 'a:one\nb:two\n');
    const reader = consumer('kcat-js');
    await reader.connect();
    await reader.subscribe({ topic, fromBeginning: true });
    const received: EachMessagePayload[] = [];
    await reader.run({ eachMessage: async (payload) => void received.push(payload) });
    await waitFor(() => received.length === 2, { timeoutMs: 60_000, what: 'the two kcat messages' });
    await reader.disconnect();
    expect(received.map((p) => `${p.message.key!.toString()}:${p.message.value!.toString()}:${p.message.headers!['origin']!.toString()}`)).toEqual([
      'a:one:kcat',
      'b:two:kcat',
    ]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'c', value: 'three', headers: { origin: 'kafkajs' } }] });
    await producer.disconnect();
    const out = await kcat(['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-f', '%k:%s:%h\n']);
    expect(out.trim().split('\n')).toEqual(['a:one:origin=kcat', 'b:two:origin=kcat', 'c:three:origin=kafkajs']);

    const group = `${prefix}.kcat-readers`;
    const read = await kcat([
      '-b',
      brokers,
      '-G',
      group,
      topic,
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
    expect(read.trim().split('\n').sort()).toEqual(['one', 'three', 'two']);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain(group);
  });
});
