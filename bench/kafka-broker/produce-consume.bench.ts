/**
 * Throughput and latency of the Kafka development broker with kafkajs, in memory and durable.
 *   node -r @swc-node/register bench/kafka-broker/produce-consume.bench.ts [messages]
 * Prints one table: produce and consume messages/s and MB/s (1 KiB messages sent in batches of
 * 500 with acks=all), and the latency of single-message sends with acks=all (p50, p99).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type BrokerOptions } from '../../tools/kafka-broker/src';
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

async function run(mode: string, options: BrokerOptions): Promise<Row> {
  const broker = await startBroker({ ...options, logLevel: 'silent' });
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
    const rows = [await run('in-memory', {}), await run('durable', { dataDir: dir })];
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
      `\nKafka development broker, kafkajs, ${MESSAGES} messages of ${SIZE} bytes, batches of ${BATCH}, acks=all; latency over ${LATENCY_SAMPLES} single sends\n`,
    );
    console.log(format(header));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const line of lines) console.log(format(line));
    const [memory, durable] = rows as [Row, Row];
    console.log(
      `\ndurable / in-memory: produce ${(durable.produceRate / memory.produceRate).toFixed(2)}x, consume ${(durable.consumeRate / memory.consumeRate).toFixed(2)}x, send p50 ${(durable.p50 / memory.p50).toFixed(2)}x`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
