/**
 * Throughput and latency with kafkajs of the Kafka development broker (in memory and durable) and
 * of Apache Kafka (tools/apache-kafka, the pinned 4.x release, KRaft, one node), in one run.
 *   npm run bench:broker -- [messages]
 * Prints one table: produce and consume messages/s and MB/s (1 KiB messages sent in batches of
 * 500 with acks=all), and the latency of single-message sends with acks=all (p50, p99).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startApacheKafka } from '../../tools/apache-kafka/src';
import { freePort } from '../../tools/dev-infra/src';
import { startBroker } from '../../tools/kafka-broker/src';
import { percentile } from '../support';

const MESSAGES = Number(process.argv[2] ?? 50_000);
const SIZE = 1024;
const BATCH = 500;
const LATENCY_SAMPLES = 2_000;

interface Row {
  mode: string;
  produceRate: number;
  produceMBs: number;
  consumeRate: number;
  consumeMBs: number;
  p50: number;
  p99: number;
}

interface Started {
  brokers: string;
  close(): Promise<void>;
}

async function run(mode: string, start: () => Promise<Started>): Promise<Row> {
  const broker = await start();
  const kafka = new Kafka({ clientId: 'bench', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'bench', numPartitions: 3 },
      { topic: 'latency', numPartitions: 1 },
    ],
  });
  const producer = kafka.producer();
  await producer.connect();
  const value = Buffer.alloc(SIZE, 120);

  let started = performance.now();
  for (let sent = 0; sent < MESSAGES; sent += BATCH) {
    await producer.send({
      topic: 'bench',
      acks: -1,
      messages: Array.from({ length: Math.min(BATCH, MESSAGES - sent) }, (_, i) => ({ key: String(sent + i), value })),
    });
    if (sent % 10_000 === 0) process.stderr.write(`\r${mode}: produced ${sent}/${MESSAGES}`);
  }
  const produceSeconds = (performance.now() - started) / 1000;

  const consumer = kafka.consumer({ groupId: `bench-${mode}`, maxBytes: 10 * 1024 * 1024, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'bench', fromBeginning: true });
  let received = 0;
  started = performance.now();
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        received += batch.messages.length;
        if (received >= MESSAGES) resolve();
      },
    });
  });
  const consumeSeconds = (performance.now() - started) / 1000;
  await consumer.disconnect();

  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const t = performance.now();
    await producer.send({ topic: 'latency', acks: -1, messages: [{ value }] });
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  process.stderr.write(`\r${mode}: done${' '.repeat(30)}\n`);
  await producer.disconnect();
  await admin.disconnect();
  await broker.close();
  const mb = (MESSAGES * SIZE) / (1024 * 1024);
  return {
    mode,
    produceRate: MESSAGES / produceSeconds,
    produceMBs: mb / produceSeconds,
    consumeRate: MESSAGES / consumeSeconds,
    consumeMBs: mb / consumeSeconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'flowline-bench-broker-'));
  try {
    let apacheVersion = '';
    const rows = [
      await run('dev broker, in memory', () => startBroker({ logLevel: 'silent' })),
      await run('dev broker, durable', () => startBroker({ logLevel: 'silent', dataDir: path.join(dir, 'dev') })),
      await run('Apache Kafka', async () => {
        const kafka = await startApacheKafka({ port: await freePort(), controllerPort: await freePort(), dataDir: path.join(dir, 'apache') });
        apacheVersion = kafka.version;
        return kafka;
      }),
    ];
    const header = ['mode', 'produce msg/s', 'produce MB/s', 'consume msg/s', 'consume MB/s', 'send p50 ms', 'send p99 ms'];
    const lines = rows.map((r) => [
      r.mode,
      r.produceRate.toFixed(0),
      r.produceMBs.toFixed(1),
      r.consumeRate.toFixed(0),
      r.consumeMBs.toFixed(1),
      r.p50.toFixed(2),
      r.p99.toFixed(2),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
    const format = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
    console.log(
      `\nKafka development broker and Apache Kafka ${apacheVersion} (KRaft, one node, 512 MiB heap), kafkajs, ${MESSAGES} messages of ${SIZE} bytes, batches of ${BATCH}, acks=all; latency over ${LATENCY_SAMPLES} single sends\n`,
    );
    console.log(format(header));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const line of lines) console.log(format(line));
    const [memory, durable, apache] = rows as [Row, Row, Row];
    const ratio = (a: Row, b: Row) =>
      `produce ${(a.produceRate / b.produceRate).toFixed(2)}x, consume ${(a.consumeRate / b.consumeRate).toFixed(2)}x, send p50 ${(a.p50 / b.p50).toFixed(2)}x`;
    console.log(`\ndev durable / dev in-memory: ${ratio(durable, memory)}`);
    console.log(`dev durable / Apache Kafka: ${ratio(durable, apache)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
