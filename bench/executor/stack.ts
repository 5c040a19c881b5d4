/**
 * What the executor benches start and drive: an embedded PostgreSQL (or DATABASE_URL), the
 * development broker, and the registry, gateway and executors as processes (each on free ports,
 * one topic prefix), with one activated no-op workflow on contact creation; plus the ways of
 * feeding it (gRPC Execute, pipeline events or domain events produced with kafkajs) and of
 * reading the operations' progress from the executor's table.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { signToken } from '../../libs/auth/src';
import {
  ALL_SERVICES,
  DOMAIN_EVENT_TYPE,
  nodeFlagsOf,
  PIPELINE_EVENT_SCHEMA_VERSION,
  PIPELINE_EVENT_TYPE,
  Topics,
  type PipelineEvent,
} from '../../libs/contracts/src';
import { createEnvelope } from '../../libs/messaging/src';
import { timeOrderedId } from '../../libs/persistence/src';
import { createGrpcClient, ProtoFiles, RegistryProto, type GatewayProto } from '../../libs/rpc/src';
import { ensureDatabase, freePort, startEmbeddedPostgres } from '../../tools/dev-infra/src';
import { startBroker } from '../../tools/kafka-broker/src';
import { waitReady } from '../support';

export const SECRET = 'bench-secret-0123456789abcdef';
const REPO_ROOT = path.resolve(__dirname, '../..');
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The workflow every bench runs: one `noop` custom activity on contact creation. */
export const WORKFLOW_NAME = 'bench-noop';
const DEFINITION = `schemaVersion: 1
name: Bench no-op
uniqueName: ${WORKFLOW_NAME}
category: workflow
primaryEntity: contact
triggers:
  - on: create
steps:
  - id: nothing
    type: customActivity
    handler: noop
`;

/** `--name value` from the command line, or the fallback. */
export function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

/** The database and the broker, for the run. */
export interface Infra {
  databaseUrl: string;
  brokers: string;
  close(): Promise<void>;
}

export async function startInfra(): Promise<Infra> {
  const dir = mkdtempSync(path.join(tmpdir(), 'flowline-bench-executor-'));
  chmodSync(dir, 0o755);
  const postgres = process.env['DATABASE_URL']
    ? undefined
    : await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), ephemeral: true });
  if (postgres) await ensureDatabase(postgres.adminUrl, 'bench');
  const databaseUrl = process.env['DATABASE_URL'] ?? postgres!.urlFor('bench');
  const broker = await startBroker({ logLevel: 'silent' });
  return {
    databaseUrl,
    brokers: broker.brokers,
    close: async () => {
      await broker.close();
      await postgres?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * CPU time (user + system, in ms) used so far by each part of a bench: the services started by a
 * stack (by app name, replicas summed), PostgreSQL's processes (embedded only: with DATABASE_URL
 * they are not on this machine), and this process (the bench's clients, the development broker,
 * and the peer's worker when it runs). Two snapshots taken around a burst give its CPU cost.
 */
export type CpuTimes = Record<string, number>;

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux: /proc/<pid>/stat counts hundredths of a second

function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS; // utime, stime
  } catch {
    return 0; // exited
  }
}

function postgresCpuMs(): number {
  if (process.env['DATABASE_URL']) return Number.NaN;
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += processCpuMs(Number(entry));
    } catch {
      // exited between the listing and the read
    }
  }
  return total;
}

export function cpuTimes(services: ReadonlyArray<Service>): CpuTimes {
  const times: CpuTimes = { postgres: postgresCpuMs(), bench: processCpuMs(process.pid) };
  for (const service of services) times[service.app] = (times[service.app] ?? 0) + processCpuMs(service.child.pid ?? 0);
  return times;
}

/** CPU ms per unit of work between two snapshots, by part. */
export function cpuPer(before: CpuTimes, after: CpuTimes, units: number): CpuTimes {
  return Object.fromEntries(Object.keys(after).map((part) => [part, (after[part]! - (before[part] ?? 0)) / units]));
}

/** One service process. */
export interface Service {
  app: string;
  child: ChildProcess;
  httpPort: number;
  grpcPort: number;
  /** Resident memory of the process now (VmRSS), in MB. */
  rssMb(): number;
  stop(): Promise<void>;
}

export interface ExecutorOptions {
  concurrency: number;
  pollMs?: number;
  env?: Record<string, string>;
}

/** Registry, gateway and executors on one database and topic prefix. */
export class Stack {
  readonly prefix = `bench${Date.now()}.`;
  private readonly services: Service[] = [];
  registry!: Service;
  gateway!: Service;
  private kafka: Kafka;
  private producerOnce: Promise<Producer> | undefined;

  /** CPU used so far by the stack's services, PostgreSQL and this process (see cpuTimes). */
  cpu(): CpuTimes {
    return cpuTimes(this.services);
  }

  constructor(readonly infra: Infra) {
    this.kafka = new Kafka({ clientId: 'bench', brokers: [infra.brokers], logLevel: logLevel.NOTHING });
  }

  private async startService(app: string, env: Record<string, string>): Promise<Service> {
    const httpPort = await freePort();
    const grpcPort = await freePort();
    // BENCH_CPU_PROF_DIR=dir: each service writes a V8 CPU profile there when it stops (open it in Chrome's DevTools).
    const profile = process.env['BENCH_CPU_PROF_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF_DIR']}/${app}`] : [];
    // BENCH_TRACE_DIR=dir: each service writes its spans there (OTLP JSON lines, `flowline trace` reads them);
    // OTEL_* (OTEL_SDK_DISABLED, OTEL_TRACES_SAMPLER, ...), DATABASE_PREPARED_STATEMENTS and WORKER_PREFETCH reach every service as they are.
    const tracing: Record<string, string> = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] =>
          (entry[0].startsWith('OTEL_') || entry[0] === 'DATABASE_PREPARED_STATEMENTS' || entry[0] === 'WORKER_PREFETCH') &&
          entry[1] !== undefined,
      ),
    );
    if (process.env['BENCH_TRACE_DIR'])
      tracing['FLOWLINE_TRACE_FILE'] = path.join(process.env['BENCH_TRACE_DIR'], `${app}-${httpPort}.jsonl`);
    // BENCH_NODE_FLAGS="--max-old-space-size=512": V8 flags for every service (memory experiments). By
    // default each service runs with the heap limit it is deployed with (libs/contracts' descriptors).
    const nodeFlags = (process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
    const descriptor = ALL_SERVICES.find((service) => service.name === app);
    if (descriptor && !nodeFlags.some((flag) => flag.startsWith('--max-old-space-size'))) nodeFlags.push(...nodeFlagsOf(descriptor));
    const child = spawn(
      process.execPath,
      [...profile, ...nodeFlags, '-r', '@swc-node/register', path.join(REPO_ROOT, `apps/${app}/src/main.ts`)],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env['PATH'],
          DATABASE_URL: this.infra.databaseUrl,
          AUTH_JWT_SECRET: SECRET,
          KAFKA_BROKERS: this.infra.brokers,
          KAFKA_TOPIC_PREFIX: this.prefix,
          LOG_LEVEL: 'warn',
          // Benches fire far more requests than one caller may in production; their webhooks listen on loopback.
          RATE_LIMIT_PER_MINUTE: '0',
          OUTBOUND_ALLOW: 'loopback',
          HTTP_PORT: String(httpPort),
          GRPC_PORT: String(grpcPort),
          ...tracing,
          ...env,
        },
        stdio: 'inherit',
      },
    );
    const service: Service = {
      app,
      child,
      httpPort,
      grpcPort,
      rssMb: () => {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
      },
      stop: async () => {
        const at = this.services.indexOf(service);
        if (at >= 0) this.services.splice(at, 1);
        if (child.exitCode !== null) return;
        child.kill('SIGTERM');
        await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      },
    };
    this.services.push(service);
    await waitReady(httpPort);
    return service;
  }

  /** The registry with the no-op workflow activated, and the gateway. */
  async startCore(gatewayEnv: Record<string, string> = {}): Promise<void> {
    this.registry = await this.startService('process-registry', {});
    const author = signToken(SECRET, { subject: 'bench', roles: ['author'] });
    const registry = createGrpcClient<RegistryProto.ProcessDefinitionServiceClient>(
      ProtoFiles.registry,
      'flowline.registry.v1.ProcessDefinitionService',
      { address: `127.0.0.1:${this.registry.grpcPort}`, token: author },
    );
    const saved = await registry.client.saveDefinition({
      source: DEFINITION,
      format: RegistryProto.DefinitionFormat.DEFINITION_FORMAT_YAML,
      id: '',
      expectedRowVersion: 0,
    });
    await registry.client.activateDefinition({ ref: { id: saved.id, uniqueName: '' } });
    registry.close();
    this.gateway = await this.startService('event-gateway', {
      REGISTRY_ADDRESS: `127.0.0.1:${this.registry.grpcPort}`,
      ...gatewayEnv,
    });
  }

  /** An executor; WORKER_CONCURRENCY 0 makes it a dispatcher only. */
  async startExecutor(options: ExecutorOptions): Promise<Service> {
    const executor = await this.startService('async-executor', {
      REGISTRY_ADDRESS: `127.0.0.1:${this.registry.grpcPort}`,
      GATEWAY_ADDRESS: `127.0.0.1:${this.gateway.grpcPort}`,
      WORKER_CONCURRENCY: String(options.concurrency),
      WORKER_POLL_MS: String(options.pollMs ?? 500),
      ...options.env,
    });
    return executor;
  }

  /** A session service serving the operator console (built in `consoleDir`), forwarding to the registry, the gateway and `executor`. */
  async startSessions(executor: Service, consoleDir: string): Promise<Service> {
    return this.startService('session-service', {
      REGISTRY_ADDRESS: `127.0.0.1:${this.registry.grpcPort}`,
      GATEWAY_ADDRESS: `127.0.0.1:${this.gateway.grpcPort}`,
      CONSOLE_DIR: consoleDir,
      REGISTRY_HTTP_URL: `http://127.0.0.1:${this.registry.httpPort}`,
      GATEWAY_HTTP_URL: `http://127.0.0.1:${this.gateway.httpPort}`,
      EXECUTOR_HTTP_URL: `http://127.0.0.1:${executor.httpPort}`,
    });
  }

  /** A gRPC client of the gateway's Execute, as a service. */
  gatewayClient() {
    const token = signToken(SECRET, { subject: 'bench', roles: ['service'] });
    return createGrpcClient<GatewayProto.ExecuteServiceClient>(ProtoFiles.gateway, 'flowline.gateway.v1.ExecuteService', {
      address: `127.0.0.1:${this.gateway.grpcPort}`,
      token,
    });
  }

  private producer(): Promise<Producer> {
    this.producerOnce ??= (async () => {
      const producer = this.kafka.producer();
      await producer.connect();
      return producer;
    })();
    return this.producerOnce;
  }

  /**
   * `count` pipeline events of contact creations, as the gateway's relay would publish them, in
   * batches of `batch`: the dispatcher turns each into one no-op operation. Answers the record ids.
   */
  async producePipelineEvents(count: number, batch = 500): Promise<string[]> {
    const producer = await this.producer();
    const ids: string[] = [];
    for (let from = 0; from < count; from += batch) {
      const messages = [];
      for (let i = from; i < Math.min(count, from + batch); i++) {
        // Ids as the gateway makes them for a Create without an id (time-ordered).
        const recordId = timeOrderedId();
        ids.push(recordId);
        const eventId = timeOrderedId();
        const record = { contactid: recordId, lastname: `Bench ${i}`, statecode: 0, statuscode: 1, ownerid: 'bench' };
        const event: PipelineEvent = {
          eventId,
          message: 'Create',
          entity: 'contact',
          recordId,
          recordVersion: 1,
          target: { lastname: `Bench ${i}` },
          preImage: null,
          postImage: record,
          preImages: {},
          postImages: {},
          changedAttributes: Object.keys(record).sort(),
          depth: 1,
          correlationId: `bench-${i}`,
          initiatingUserId: 'bench',
          origin: 'api',
          occurredAt: new Date().toISOString(),
        };
        const envelope = createEnvelope({
          id: eventId,
          type: PIPELINE_EVENT_TYPE,
          schemaVersion: PIPELINE_EVENT_SCHEMA_VERSION,
          source: 'event-gateway',
          correlationId: event.correlationId,
          depth: 1,
          payload: event,
        });
        messages.push({ key: `contact:${recordId}`, value: JSON.stringify(envelope), headers: { 'content-type': 'application/json' } });
      }
      await producer.send({ topic: `${this.prefix}${Topics.pipelineEvents}`, messages });
    }
    return ids;
  }

  /** `count` domain events creating contacts, in batches of `batch`; `invalid(i)` makes the i-th one fail validation. */
  async produceDomainEvents(count: number, batch = 500, invalid: (i: number) => boolean = () => false): Promise<void> {
    const producer = await this.producer();
    for (let from = 0; from < count; from += batch) {
      const messages = [];
      for (let i = from; i < Math.min(count, from + batch); i++) {
        const recordId = randomUUID();
        const envelope = createEnvelope({
          type: DOMAIN_EVENT_TYPE,
          schemaVersion: 1,
          source: 'bench',
          correlationId: `bench-${i}`,
          depth: 0,
          payload: {
            message: 'Create',
            entity: 'contact',
            recordId,
            target: { lastname: `Bench ${i}` },
            ...(invalid(i) ? {} : { initiatingUserId: 'bench-user' }),
          },
        });
        messages.push({ key: `contact:${recordId}`, value: JSON.stringify(envelope), headers: { 'content-type': 'application/json' } });
      }
      await producer.send({ topic: `${this.prefix}${Topics.domainEvents}`, messages });
    }
  }

  /** Stops every process still running, last started first (the registry after those that read from it). */
  async stop(): Promise<void> {
    if (this.producerOnce) await (await this.producerOnce).disconnect();
    for (const service of [...this.services].reverse()) await service.stop();
  }
}

/** SQL on the bench database, with the counts the benches wait on. */
export class Operations {
  private constructor(readonly sql: Client) {}

  static async connect(databaseUrl: string): Promise<Operations> {
    const sql = new Client({ connectionString: databaseUrl });
    await sql.connect();
    return new Operations(sql);
  }

  /**
   * Operations of the bench workflow by state (0 Ready, 1 Suspended, 2 Locked, 3 Completed),
   * created after `since`. With `pendingOnly`, only Ready and Locked are counted, through their
   * partial indexes (IDX_async_operation_ready, IDX_async_operation_locked), so that polling a
   * table of a million operations costs little.
   */
  async countByState(since = new Date(0), pendingOnly = false): Promise<Record<number, number>> {
    const { rows } = await this.sql.query<{ state: number; n: string }>(
      pendingOnly
        ? `SELECT 0 AS state, count(*) AS n FROM "executor"."async_operation" WHERE state = 0 AND name = $1 AND created_on >= $2
           UNION ALL SELECT 2, count(*) FROM "executor"."async_operation" WHERE state = 2 AND name = $1 AND created_on >= $2`
        : `SELECT state, count(*) AS n FROM "executor"."async_operation" WHERE name = $1 AND created_on >= $2 GROUP BY state`,
      [WORKFLOW_NAME, since],
    );
    return Object.fromEntries(rows.map((row) => [row.state, Number(row.n)]));
  }

  /** Waits (at most `timeoutMs`) until `done()` holds of the counts, reporting progress on stderr; answers when it held. */
  async waitFor(
    what: string,
    done: (counts: Record<number, number>) => boolean,
    options: { since?: Date; timeoutMs?: number; everyMs?: number; pendingOnly?: boolean } = {},
  ): Promise<number> {
    const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
    for (;;) {
      const counts = await this.countByState(options.since, options.pendingOnly);
      process.stderr.write(`\r${what}: ready ${counts[0] ?? 0}, locked ${counts[2] ?? 0}, completed ${counts[3] ?? 0}     `);
      if (done(counts)) {
        process.stderr.write('\n');
        return Date.now();
      }
      if (Date.now() > deadline) throw new Error(`${what}: not done in time`);
      await sleep(options.everyMs ?? 100);
    }
  }

  /** The latest completion time of the bench workflow's operations created after `since` (ms). */
  async lastCompletion(since = new Date(0)): Promise<number> {
    const { rows } = await this.sql.query<{ at: string }>(
      `SELECT extract(epoch FROM max(completed_on)) * 1000 AS at FROM "executor"."async_operation" WHERE name = $1 AND created_on >= $2 AND state = 3`,
      [WORKFLOW_NAME, since],
    );
    return Number(rows[0]!.at);
  }

  async close(): Promise<void> {
    await this.sql.end();
  }
}

/** Prints rows as an aligned table. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((name, i) => Math.max(name.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}
