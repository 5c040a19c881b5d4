/**
 * End-to-end workflow throughput and latency, with graphile-worker on the same database as the
 * reference.
 *   node -r @swc-node/register bench/executor/workflows.bench.ts [workflows] [worker concurrency]
 * Starts an embedded PostgreSQL (or uses DATABASE_URL), the development broker, a registry, a
 * gateway and an executor, with one activated workflow (a `noop` custom activity) on contact
 * creation. Contacts are created over gRPC, 16 at a time; each creation commits a pipeline event
 * that the dispatcher turns into an operation that a worker runs. Measured: events in per
 * second, workflows completed per second, and the latency from submitting the Execute (the
 * event commits inside it) to the workflow's start and to its completion; for graphile-worker,
 * from calling addJob. The reference runs the same number of
 * no-op jobs through graphile-worker (added 16 at a time, the same worker concurrency) on the
 * same PostgreSQL in the same run: the ratio is what Flowline's pipeline, Kafka hop and durable
 * interpreter cost over a bare job queue.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Logger, makeWorkerUtils, run } from 'graphile-worker';
import { Client } from 'pg';
import { signToken } from '../../libs/auth/src';
import { createGrpcClient, ProtoFiles, RegistryProto, type GatewayProto } from '../../libs/rpc/src';
import { ensureDatabase, freePort, startEmbeddedPostgres } from '../../tools/dev-infra/src';
import { startBroker } from '../../tools/kafka-broker/src';
import { percentile, waitReady } from '../support';

const WORKFLOWS = Number(process.argv[2] ?? 1000);
const CONCURRENCY = Number(process.argv[3] ?? 8);
const SECRET = 'bench-secret-0123456789abcdef';
const REPO_ROOT = path.resolve(__dirname, '../..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const DEFINITION = `schemaVersion: 1
name: Bench no-op
uniqueName: bench-noop
category: workflow
primaryEntity: contact
triggers:
  - on: create
steps:
  - id: nothing
    type: customActivity
    handler: noop
`;

interface Figures {
  inRate: number;
  doneRate: number;
  /** Flowline only: from the Execute to the operation's insert by the dispatcher (through the outbox and Kafka). */
  toDispatch: number[];
  toStart: number[];
  toDone: number[];
  /** One at a time on an idle system: the latency a single event sees. */
  idleStart: number[];
  idleDone: number[];
}

const ONE_AT_A_TIME = 50;

async function flowline(databaseUrl: string, brokers: string, children: ChildProcess[]): Promise<Figures> {
  const prefix = `bench${Date.now()}.`;
  const ports = Object.fromEntries(
    await Promise.all(['rh', 'rg', 'gh', 'gg', 'eh', 'eg'].map(async (name) => [name, await freePort()] as const)),
  ) as Record<string, number>;
  const common = {
    PATH: process.env['PATH'],
    DATABASE_URL: databaseUrl,
    AUTH_JWT_SECRET: SECRET,
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  };
  const start = (app: string, env: Record<string, string>) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(REPO_ROOT, `apps/${app}/src/main.ts`)], {
      cwd: REPO_ROOT,
      env: { ...common, ...env },
      stdio: 'inherit',
    });
    children.push(child);
  };
  start('process-registry', { HTTP_PORT: String(ports['rh']), GRPC_PORT: String(ports['rg']) });
  await waitReady(ports['rh']!);
  const author = signToken(SECRET, { subject: 'bench', roles: ['author'] });
  const registry = createGrpcClient<RegistryProto.ProcessDefinitionServiceClient>(
    ProtoFiles.registry,
    'flowline.registry.v1.ProcessDefinitionService',
    {
      address: `127.0.0.1:${ports['rg']}`,
      token: author,
    },
  );
  const saved = await registry.client.saveDefinition({
    source: DEFINITION,
    format: RegistryProto.DefinitionFormat.DEFINITION_FORMAT_YAML,
    id: '',
    expectedRowVersion: 0,
  });
  await registry.client.activateDefinition({ ref: { id: saved.id, uniqueName: '' } });
  registry.close();
  start('event-gateway', { HTTP_PORT: String(ports['gh']), GRPC_PORT: String(ports['gg']), REGISTRY_ADDRESS: `127.0.0.1:${ports['rg']}` });
  await waitReady(ports['gh']!);
  start('async-executor', {
    HTTP_PORT: String(ports['eh']),
    GRPC_PORT: String(ports['eg']),
    REGISTRY_ADDRESS: `127.0.0.1:${ports['rg']}`,
    GATEWAY_ADDRESS: `127.0.0.1:${ports['gg']}`,
    WORKER_CONCURRENCY: String(CONCURRENCY),
    WORKER_POLL_MS: '500',
  });
  await waitReady(ports['eh']!);
  await sleep(1500); // the dispatcher's consumer group settles

  const token = signToken(SECRET, { subject: 'bench', roles: ['service'] });
  const gateway = createGrpcClient<GatewayProto.ExecuteServiceClient>(ProtoFiles.gateway, 'flowline.gateway.v1.ExecuteService', {
    address: `127.0.0.1:${ports['gg']}`,
    token,
  });
  const committed = new Map<string, number>();
  const began = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < WORKFLOWS) {
        const i = next++;
        const sentAt = Date.now();
        const answer = await gateway.client.execute({
          message: 'Create',
          entity: 'contact',
          id: '',
          targetJson: JSON.stringify({ lastname: `Bench ${i}` }),
          parametersJson: '',
          expectedVersion: 0,
          idempotencyKey: '',
          depth: 1,
          correlationId: 'bench',
          columns: [],
          operationsJson: '',
        });
        committed.set(answer.id, sentAt);
      }
    }),
  );
  const inRate = WORKFLOWS / ((Date.now() - began) / 1000);
  const sql = new Client({ connectionString: databaseUrl });
  await sql.connect();
  let rows: Array<{ regarding_id: string; created: string; started: string; done: string; state: number }> = [];
  for (let i = 0; i < 1200; i++) {
    rows = (
      await sql.query(
        `SELECT regarding_id, extract(epoch FROM created_on) * 1000 AS created, extract(epoch FROM started_on) * 1000 AS started, extract(epoch FROM completed_on) * 1000 AS done, state
           FROM "executor"."async_operation" WHERE name = 'bench-noop'`,
      )
    ).rows;
    const done = rows.filter((row) => row.state === 3).length;
    process.stderr.write(`\rflowline workflows completed: ${done}/${WORKFLOWS}`);
    if (done >= WORKFLOWS) break;
    await sleep(100);
  }
  process.stderr.write('\n');
  const finished = Math.max(...rows.map((row) => Number(row.done)));
  // One at a time, each waited for: the latency of a single event on an idle system.
  const idleStart: number[] = [];
  const idleDone: number[] = [];
  for (let i = 0; i < ONE_AT_A_TIME; i++) {
    const sentAt = Date.now();
    const answer = await gateway.client.execute({
      message: 'Create',
      entity: 'contact',
      id: '',
      targetJson: JSON.stringify({ lastname: `Alone ${i}` }),
      parametersJson: '',
      expectedVersion: 0,
      idempotencyKey: '',
      depth: 1,
      correlationId: 'bench',
      columns: [],
      operationsJson: '',
    });
    for (;;) {
      const [row] = (
        await sql.query(
          `SELECT extract(epoch FROM started_on) * 1000 AS started, extract(epoch FROM completed_on) * 1000 AS done
             FROM "executor"."async_operation" WHERE regarding_id = $1 AND state = 3`,
          [answer.id],
        )
      ).rows as Array<{ started: string; done: string }>;
      if (row) {
        idleStart.push(Number(row.started) - sentAt);
        idleDone.push(Number(row.done) - sentAt);
        break;
      }
      await sleep(2);
    }
  }
  gateway.close();
  await sql.end();
  return {
    inRate,
    doneRate: WORKFLOWS / ((finished - began) / 1000),
    toDispatch: rows.map((row) => Number(row.created) - committed.get(row.regarding_id)!).sort((a, b) => a - b),
    toStart: rows.map((row) => Number(row.started) - committed.get(row.regarding_id)!).sort((a, b) => a - b),
    toDone: rows.map((row) => Number(row.done) - committed.get(row.regarding_id)!).sort((a, b) => a - b),
    idleStart: idleStart.sort((a, b) => a - b),
    idleDone: idleDone.sort((a, b) => a - b),
  };
}

async function graphile(databaseUrl: string): Promise<Figures> {
  const quiet = new Logger(() => () => undefined);
  const utils = await makeWorkerUtils({ connectionString: databaseUrl, logger: quiet });
  await utils.migrate();
  const added = new Map<string, number>();
  const started = new Map<string, number>();
  const toDone: number[] = [];
  const runner = await run({
    connectionString: databaseUrl,
    concurrency: CONCURRENCY,
    noHandleSignals: true,
    pollInterval: 500,
    logger: quiet,
    taskList: {
      noop: async (payload) => {
        started.set((payload as { key: string }).key, Date.now());
      },
    },
  });
  runner.events.on('job:success', ({ job }) => {
    const key = (job.payload as { key: string }).key;
    toDone.push(Date.now() - added.get(key)!);
  });
  await sleep(500);
  const began = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < WORKFLOWS) {
        const key = `job-${next++}`;
        added.set(key, Date.now());
        await utils.addJob('noop', { key });
      }
    }),
  );
  const inRate = WORKFLOWS / ((Date.now() - began) / 1000);
  for (let i = 0; i < 1200 && toDone.length < WORKFLOWS; i++) {
    process.stderr.write(`\rgraphile-worker jobs completed: ${toDone.length}/${WORKFLOWS}`);
    await sleep(50);
  }
  process.stderr.write('\n');
  const doneRate = WORKFLOWS / ((Date.now() - began) / 1000);
  const idleStart: number[] = [];
  const idleDone: number[] = [];
  for (let i = 0; i < ONE_AT_A_TIME; i++) {
    const key = `alone-${i}`;
    const done = new Promise<void>((resolve) => {
      const listener = ({ job }: { job: { payload: unknown } }) => {
        if ((job.payload as { key: string }).key !== key) return;
        runner.events.off('job:success', listener);
        resolve();
      };
      runner.events.on('job:success', listener);
    });
    const sentAt = Date.now();
    added.set(key, sentAt);
    await utils.addJob('noop', { key });
    await done;
    idleDone.push(Date.now() - sentAt);
    idleStart.push(started.get(key)! - sentAt);
  }
  await runner.stop();
  await utils.release();
  return {
    inRate,
    doneRate,
    toDispatch: [],
    toStart: [...started.entries()].map(([key, at]) => Math.max(0, at - added.get(key)!)).sort((a, b) => a - b),
    toDone: toDone.sort((a, b) => a - b),
    idleStart: idleStart.sort((a, b) => a - b),
    idleDone: idleDone.sort((a, b) => a - b),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'flowline-bench-executor-'));
  chmodSync(dir, 0o755);
  const postgres = process.env['DATABASE_URL']
    ? undefined
    : await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), ephemeral: true });
  if (postgres) await ensureDatabase(postgres.adminUrl, 'bench');
  const databaseUrl = process.env['DATABASE_URL'] ?? postgres!.urlFor('bench');
  const broker = await startBroker({ logLevel: 'silent' });
  const children: ChildProcess[] = [];
  try {
    const ours = await flowline(databaseUrl, broker.brokers, children);
    const reference = await graphile(databaseUrl);
    const rows: Array<[string, string, string, string]> = [
      ['events (or jobs) in per second', ours.inRate.toFixed(0), reference.inRate.toFixed(0), (ours.inRate / reference.inRate).toFixed(2)],
      ['completed per second', ours.doneRate.toFixed(0), reference.doneRate.toFixed(0), (ours.doneRate / reference.doneRate).toFixed(2)],
      ...(
        [
          ['commit to dispatch p50 (ms)', ours.toDispatch, reference.toDispatch, 50],
          ['commit to dispatch p99 (ms)', ours.toDispatch, reference.toDispatch, 99],
          ['commit to start p50 (ms)', ours.toStart, reference.toStart, 50],
          ['commit to start p99 (ms)', ours.toStart, reference.toStart, 99],
          ['commit to completion p50 (ms)', ours.toDone, reference.toDone, 50],
          ['commit to completion p99 (ms)', ours.toDone, reference.toDone, 99],
          [`one at a time: to start p50 (ms)`, ours.idleStart, reference.idleStart, 50],
          [`one at a time: to start p99 (ms)`, ours.idleStart, reference.idleStart, 99],
          [`one at a time: to completion p50 (ms)`, ours.idleDone, reference.idleDone, 50],
          [`one at a time: to completion p99 (ms)`, ours.idleDone, reference.idleDone, 99],
        ] as const
      ).map(([name, a, b, p]): [string, string, string, string] => {
        const x = percentile(a, p);
        if (b.length === 0) return [name, x.toFixed(0), '-', '-'];
        const y = percentile(b, p);
        return [name, x.toFixed(0), y.toFixed(0), y > 0 ? (x / y).toFixed(1) : 'n/a'];
      }),
    ];
    console.log(
      `\n${WORKFLOWS} workflows (Flowline) and ${WORKFLOWS} no-op jobs (graphile-worker 0.16), worker concurrency ${CONCURRENCY}, one PostgreSQL\n`,
    );
    const w = Math.max(...rows.map(([name]) => name.length));
    console.log(`${'measure'.padEnd(w)}  ${'flowline'.padStart(9)}  ${'graphile'.padStart(9)}  ratio`);
    console.log(`${'-'.repeat(w)}  ---------  ---------  -----`);
    for (const [name, a, b, ratio] of rows) console.log(`${name.padEnd(w)}  ${a.padStart(9)}  ${b.padStart(9)}  ${ratio}`);
  } finally {
    // Last started, first stopped: the registry goes after the services that read from it.
    for (const child of children.reverse()) {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    }
    await broker.close();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
