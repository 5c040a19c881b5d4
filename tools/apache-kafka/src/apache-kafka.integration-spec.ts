/**
 * The real Apache Kafka broker as tests and `npm run kafka:apache` start it: fetched once,
 * formatted, ready when a client can fetch metadata, usable by kafkajs, and stopped cleanly
 * (the same data folder starts again with its topics kept).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { createServer } from 'node:net';
import { APACHE_KAFKA_VERSION, startApacheKafka } from './apache-kafka';

// This tool sits below dev-infra and libs/testing (their global setup starts it), so the spec
// has its own small port and wait helpers.
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function isPortTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

async function waitFor(probe: () => Promise<boolean> | boolean, options: { timeoutMs: number; what: () => string }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('Apache Kafka for tests', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'flowline-apache-kafka-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts a KRaft broker that kafkajs produces to and consumes from, and keeps its topics across a restart', async () => {
    const port = await freePort();
    const controllerPort = await freePort();
    const first = await startApacheKafka({ port, controllerPort, dataDir });
    expect(first.version).toBe(APACHE_KAFKA_VERSION);
    expect(first.brokers).toBe(`127.0.0.1:${port}`);
    const kafka = new Kafka({ clientId: 'apache-kafka-spec', brokers: [first.brokers], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    // Created on first use, with the default partition count.
    await producer.send({ topic: 'spec.auto', messages: [{ key: 'k', value: 'v', headers: { h: 'x' } }] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: ['spec.auto'] });
    expect(metadata.topics[0]!.partitions).toHaveLength(3);
    await admin.disconnect();
    await first.close();
    await waitFor(async () => !(await isPortTaken(port)), { timeoutMs: 30_000, what: () => 'the broker to release its port' });

    const second = await startApacheKafka({ port, controllerPort, dataDir });
    const again = kafka.admin();
    await again.connect();
    expect(await again.listTopics()).toContain('spec.auto');
    const offsets = await again.fetchTopicOffsets('spec.auto');
    expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(1);
    await again.disconnect();
    await second.close();
    expect(await readFile(path.join(dataDir, 'server.properties'), 'utf8')).toContain('group.initial.rebalance.delay.ms=0');
  });

  it('npm run kafka:apache prints when it is ready and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const root = path.resolve(__dirname, '../../..');
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', 'tools/apache-kafka/src/main.ts', '--port', String(port), '--controller-port', String(await freePort()), '--data', dataDir],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => output.includes('is ready on'), { timeoutMs: 120_000, what: () => `the ready line; output so far:\n${output}` });
      expect(output).toContain(`Apache Kafka ${APACHE_KAFKA_VERSION} is ready on 127.0.0.1:${port}`);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('Apache Kafka stopped.');
      expect(await isPortTaken(port)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
