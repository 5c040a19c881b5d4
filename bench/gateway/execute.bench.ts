/**
 * Execute throughput and latency, and pipeline-event lag from commit to Kafka.
 *   node -r @swc-node/register bench/gateway/execute.bench.ts [updates]
 * Starts an embedded PostgreSQL (or uses DATABASE_URL), the development broker, a registry and
 * a gateway; creates 100 accounts; then sends Update messages over gRPC one at a time (latency)
 * and 16 at a time (throughput), while a consumer measures how long each pipeline event took
 * from its commit (occurredAt) to arrival. The same updates as plain SQL on the same database
 * are the reference: the ratio is what the pipeline (validation, outbox, steps lookup) costs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { signToken } from '../../libs/auth/src';
import { createGrpcClient, ProtoFiles, type GatewayProto } from '../../libs/rpc/src';
import { ensureDatabase, freePort, startEmbeddedPostgres } from '../../tools/dev-infra/src';
import { startBroker } from '../../tools/kafka-broker/src';
import { percentile, waitReady } from '../support';

const UPDATES = Number(process.argv[2] ?? 2000);
const SECRET = 'bench-secret-0123456789abcdef';
const REPO_ROOT = path.resolve(__dirname, '../..');

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'flowline-bench-gateway-'));
  chmodSync(dir, 0o755);
  const postgres = process.env['DATABASE_URL']
    ? undefined
    : await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), ephemeral: true });
  if (postgres) await ensureDatabase(postgres.adminUrl, 'bench');
  const databaseUrl = process.env['DATABASE_URL'] ?? postgres!.urlFor('bench');
  const broker = await startBroker({ logLevel: 'silent' });
  const prefix = `bench${Date.now()}.`;
  const ports = {
    registryHttp: await freePort(),
    registryGrpc: await freePort(),
    gatewayHttp: await freePort(),
    gatewayGrpc: await freePort(),
  };
  const common = {
    PATH: process.env['PATH'],
    DATABASE_URL: databaseUrl,
    AUTH_JWT_SECRET: SECRET,
    KAFKA_BROKERS: broker.brokers,
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    // The bench fires far more requests than one caller may in production.
    RATE_LIMIT_PER_MINUTE: '0',
    OUTBOUND_ALLOW: 'loopback',
  };
  const children: ChildProcess[] = [];
  const start = (app: string, env: Record<string, string>) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(REPO_ROOT, `apps/${app}/src/main.ts`)], {
      cwd: REPO_ROOT,
      env: { ...common, ...env },
      stdio: 'inherit',
    });
    children.push(child);
  };
  try {
    start('process-registry', { HTTP_PORT: String(ports.registryHttp), GRPC_PORT: String(ports.registryGrpc) });
    await waitReady(ports.registryHttp);
    start('event-gateway', {
      HTTP_PORT: String(ports.gatewayHttp),
      GRPC_PORT: String(ports.gatewayGrpc),
      REGISTRY_ADDRESS: `127.0.0.1:${ports.registryGrpc}`,
    });
    await waitReady(ports.gatewayHttp);

    const token = signToken(SECRET, { subject: 'bench', roles: ['service'] });
    const { client, close } = createGrpcClient<GatewayProto.ExecuteServiceClient>(
      ProtoFiles.gateway,
      'flowline.gateway.v1.ExecuteService',
      { address: `127.0.0.1:${ports.gatewayGrpc}`, token },
    );
    const request = (message: string, id: string, target: Record<string, unknown>) => ({
      message,
      entity: 'account',
      id,
      targetJson: JSON.stringify(target),
      parametersJson: '',
      expectedVersion: 0,
      idempotencyKey: '',
      depth: 1,
      correlationId: 'bench',
      columns: [],
      operationsJson: '',
    });
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push((await client.execute(request('Create', '', { name: `Account ${i}`, creditlimit: 0 }))).id);

    // Lag from commit (the event's occurredAt) to arrival on Kafka.
    const lags: number[] = [];
    const consumer = new Kafka({ clientId: 'bench-lag', brokers: [broker.brokers], logLevel: logLevel.NOTHING }).consumer({
      groupId: `${prefix}lag`,
      maxWaitTimeInMs: 50,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}flowline.pipeline-events.v1`, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const envelope = JSON.parse(message.value!.toString()) as { occurredAt: string };
        lags.push(Date.now() - Date.parse(envelope.occurredAt));
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // let the consumer join before measuring

    const latencies: number[] = [];
    let started = performance.now();
    for (let i = 0; i < UPDATES; i++) {
      const t = performance.now();
      await client.execute(request('Update', ids[i % ids.length]!, { creditlimit: i }));
      latencies.push(performance.now() - t);
      if (i % 500 === 0) process.stderr.write(`\rsequential updates: ${i}/${UPDATES}`);
    }
    const sequentialRate = UPDATES / ((performance.now() - started) / 1000);
    started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < UPDATES) {
          const i = next++;
          await client.execute(request('Update', ids[i % ids.length]!, { creditlimit: i + 1 }));
        }
      }),
    );
    const concurrentRate = UPDATES / ((performance.now() - started) / 1000);
    const expectedEvents = UPDATES * 2;
    for (let i = 0; i < 600 && lags.length < expectedEvents; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    process.stderr.write('\r' + ' '.repeat(40) + '\r');
    await consumer.disconnect();
    close();

    // Reference: the same updates as plain SQL on the same database, one at a time.
    const sql = new Client({ connectionString: databaseUrl });
    await sql.connect();
    started = performance.now();
    for (let i = 0; i < UPDATES; i++) {
      await sql.query(
        `UPDATE "gateway"."record" SET "attributes" = "attributes" || $1::jsonb, "version" = "version" + 1 WHERE "entity" = 'account' AND "id" = $2`,
        [JSON.stringify({ creditlimit: i }), ids[i % ids.length]],
      );
    }
    const sqlRate = UPDATES / ((performance.now() - started) / 1000);
    await sql.end();

    latencies.sort((a, b) => a - b);
    lags.sort((a, b) => a - b);
    console.log(`\nExecute(Update account) over gRPC, ${UPDATES} updates each way, 100 records\n`);
    const rows: Array<[string, string]> = [
      ['sequential updates/s', sequentialRate.toFixed(0)],
      ['16 concurrent updates/s', concurrentRate.toFixed(0)],
      ['latency p50 (ms)', percentile(latencies, 50).toFixed(2)],
      ['latency p99 (ms)', percentile(latencies, 99).toFixed(2)],
      ['commit-to-Kafka lag p50 (ms)', lags.length ? percentile(lags, 50).toFixed(0) : 'n/a'],
      ['commit-to-Kafka lag p99 (ms)', lags.length ? percentile(lags, 99).toFixed(0) : 'n/a'],
      [`pipeline events received`, `${lags.length}/${expectedEvents}`],
      ['plain SQL updates/s (reference)', sqlRate.toFixed(0)],
      ['Execute sequential / plain SQL', `${(sequentialRate / sqlRate).toFixed(2)}x`],
    ];
    const width = Math.max(...rows.map(([name]) => name.length));
    console.log(`${'measure'.padEnd(width)}  value`);
    console.log(`${'-'.repeat(width)}  ------`);
    for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))),
    );
    await broker.close();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
