/**
 * Property-based: random and mutated Kafka request frames never bring the development broker
 * down. For each frame the broker answers or closes that connection (APIs that may rightly stay
 * silent, such as a JoinGroup waiting for its group, are not waited for), and it keeps serving
 * a connection opened before the fuzzing and new ones. Bounded runs; FLOWLINE_FC_SEED replays
 * a failing run (fast-check prints the seed it used).
 */
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { ApiKey } from './apis/context';
import { SUPPORTED_VERSIONS } from './apis/versions';
import { startBroker, type RunningBroker } from './broker';

const seed = process.env['FLOWLINE_FC_SEED'];
const runs = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, ...(seed ? { seed: Number(seed) } : {}) });

/** APIs whose answer may rightly wait (a group join, a long poll) or never come (Produce with acks=0). */
const MAY_STAY_SILENT = new Set<number>([ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Fetch, ApiKey.Produce]);
const ANSWER_DEADLINE_MS = 5_000;

function sizePrefixed(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/** A request: header v1 (api key, version, correlation id, client id) and a body. */
function request(apiKey: number, version: number, correlationId: number, clientId: string | null, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(correlationId, 4);
  const id = clientId === null ? Buffer.from([0xff, 0xff]) : Buffer.concat([Buffer.alloc(2), Buffer.from(clientId, 'utf8')]);
  if (clientId !== null) id.writeInt16BE(Buffer.byteLength(clientId, 'utf8'), 0);
  return sizePrefixed(Buffer.concat([header, id, body]));
}

/** Well-formed bodies to mutate: Metadata v1 for two topics, CreateTopics v2, ApiVersions v0. */
function metadataBody(topics: string[]): Buffer {
  const parts = [Buffer.alloc(4)];
  parts[0]!.writeInt32BE(topics.length, 0);
  for (const topic of topics) {
    const length = Buffer.alloc(2);
    length.writeInt16BE(Buffer.byteLength(topic), 0);
    parts.push(length, Buffer.from(topic));
  }
  return Buffer.concat(parts);
}

function createTopicsBody(topic: string, partitions: number): Buffer {
  const name = Buffer.from(topic);
  const buffer = Buffer.alloc(4 + 2 + name.length + 4 + 2 + 4 + 4 + 4 + 1);
  let at = buffer.writeInt32BE(1, 0);
  at = buffer.writeInt16BE(name.length, at);
  at += name.copy(buffer, at);
  at = buffer.writeInt32BE(partitions, at);
  at = buffer.writeInt16BE(1, at);
  at = buffer.writeInt32BE(0, at); // no assignments
  at = buffer.writeInt32BE(0, at); // no configs
  at = buffer.writeInt32BE(1000, at); // timeout
  buffer.writeInt8(0, at); // validate only: false
  return buffer;
}

const VALID = [
  request(ApiKey.Metadata, 1, 7, 'fuzz', metadataBody(['fuzz-a', 'fuzz-b'])),
  request(ApiKey.CreateTopics, 2, 8, 'fuzz', createTopicsBody('fuzz-created', 2)),
  request(ApiKey.ApiVersions, 0, 9, 'fuzz', Buffer.alloc(0)),
  request(ApiKey.ListGroups, 0, 10, null, Buffer.alloc(0)),
  request(ApiKey.FindCoordinator, 1, 11, 'fuzz', Buffer.concat([metadataBody(['g']).subarray(4), Buffer.from([0])])),
];

interface Observed {
  answered: boolean;
  closed: boolean;
}

/** Sends bytes on a new connection and watches until an answer, a close, or the deadline. */
function observe(port: number, bytes: Buffer, waitForAnswer: boolean): Promise<Observed> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const seen: Observed = { answered: false, closed: false };
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(seen);
    };
    const timer = setTimeout(settle, waitForAnswer ? ANSWER_DEADLINE_MS : 50);
    socket.on('data', () => {
      seen.answered = true;
      settle();
    });
    socket.on('close', () => {
      seen.closed = true;
      settle();
    });
    socket.on('error', () => {
      seen.closed = true;
      settle();
    });
    socket.write(bytes);
  });
}

/** ApiVersions v0 on a socket, answered with its correlation id. */
function apiVersionsOn(socket: Socket, correlationId: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error('the broker did not answer ApiVersions within 10 s')), 10_000);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 8 || received.length < 4 + received.readInt32BE(0)) return;
      clearTimeout(timer);
      socket.off('data', onData);
      if (received.readInt32BE(4) === correlationId) resolve();
      else reject(new Error(`answered correlation id ${received.readInt32BE(4)}, expected ${correlationId}`));
    };
    socket.on('data', onData);
    socket.write(request(ApiKey.ApiVersions, 0, correlationId, 'probe', Buffer.alloc(0)));
  });
}

describe('the development broker under random and mutated request frames', () => {
  let broker: RunningBroker;
  let bystander: Socket;
  let probes = 0;
  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', autoCreateTopics: false });
    bystander = connect(broker.port, '127.0.0.1');
    await new Promise<void>((resolve) => bystander.once('connect', () => resolve()));
  });
  afterAll(async () => {
    bystander?.destroy();
    await broker?.close();
  });

  /** The broker still serves the connection opened before, and a new one. */
  async function stillServing(): Promise<void> {
    await apiVersionsOn(bystander, ++probes);
    const fresh = connect(broker.port, '127.0.0.1');
    try {
      await apiVersionsOn(fresh, ++probes);
    } finally {
      fresh.destroy();
    }
  }

  it('survives random bytes, framed or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (bytes, framed) => {
        const data = framed ? sizePrefixed(Buffer.from(bytes)) : Buffer.from(bytes);
        await observe(broker.port, data, false);
        await stillServing();
      }),
      runs(100),
    );
  });

  it('answers or closes a request of every supported API with a random body, version and header', async () => {
    const keys = Object.keys(SUPPORTED_VERSIONS).map(Number);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...keys),
        fc.integer({ min: -2, max: 12 }),
        fc.integer(),
        fc.option(fc.string({ maxLength: 20 }), { nil: null }),
        fc.uint8Array({ maxLength: 200 }),
        async (apiKey, version, correlationId, clientId, body) => {
          const seen = await observe(
            broker.port,
            request(apiKey, version, correlationId, clientId, Buffer.from(body)),
            !MAY_STAY_SILENT.has(apiKey),
          );
          if (!MAY_STAY_SILENT.has(apiKey)) expect(seen.answered || seen.closed).toBe(true);
          await stillServing();
        },
      ),
      runs(150),
    );
  });

  it('answers or closes well-formed requests with bytes flipped, cut or appended', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...VALID),
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.uint8Array({ maxLength: 16 }),
        async (valid, flips, cutAt, appended) => {
          const mutated = Buffer.from(valid);
          // The first 4 bytes are the frame size: flips there make frames of any size.
          for (const { at, value } of flips) mutated[at % mutated.length] = value;
          const cut = cutAt === undefined ? mutated : mutated.subarray(0, cutAt % (mutated.length + 1));
          const bytes = Buffer.concat([cut, Buffer.from(appended)]);
          const apiKey = bytes.length >= 6 ? bytes.readInt16BE(4) : -1;
          const complete = bytes.length >= 4 && bytes.length >= 4 + bytes.readInt32BE(0);
          const mustAnswer = complete && !MAY_STAY_SILENT.has(apiKey);
          const seen = await observe(broker.port, bytes, mustAnswer);
          if (mustAnswer) expect(seen.answered || seen.closed).toBe(true);
          await stillServing();
        },
      ),
      runs(150),
    );
  });
});
