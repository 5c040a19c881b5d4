/**
 * A whole Flowline of its own for fault tests: its own PostgreSQL, its own Kafka (the development
 * broker in a child process, or Apache Kafka), a registry, a gateway and executor replicas, each
 * on fixed ports so that any of them can be SIGKILLed and started again in place, as a
 * supervisor (systemd, Kubernetes) would. A service that exits by itself is started again too,
 * and counted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import {
  freePortForTests,
  REPO_ROOT,
  spawnService,
  startApacheKafka,
  startEmbeddedPostgres,
  testPrefix,
  waitFor,
  type RunningApacheKafka,
  type RunningPostgres,
  type ServiceProcess,
} from '@flowline/testing';
import { TEST_SECRET } from '../running-service';

export type KafkaKind = 'dev' | 'apache';
export type ServiceName = 'process-registry' | 'event-gateway' | 'async-executor';

const MAIN: Record<ServiceName, string> = {
  'process-registry': 'apps/process-registry/src/main.ts',
  'event-gateway': 'apps/event-gateway/src/main.ts',
  'async-executor': 'apps/async-executor/src/main.ts',
};

/** One service replica on fixed ports, started again in place after a kill or a crash. */
export class RigService {
  process: ServiceProcess | undefined;
  /** Times it exited without being asked to (and was started again). */
  crashes = 0;
  private expectingExit = false;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly main: string,
    readonly httpPort: number,
    readonly grpcPort: number,
    private readonly env: () => Record<string, string>,
    private readonly log: (line: string) => void,
  ) {}

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get grpcAddress(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  /** Starts the process; does not wait for readiness (a dependency may be down right now). */
  start(): void {
    this.expectingExit = false;
    const started = spawnService(this.main, {
      ...this.env(),
      HTTP_PORT: String(this.httpPort),
      GRPC_PORT: String(this.grpcPort),
    });
    this.process = started;
    // CHAOS_LOG_DIR keeps every service's output, one file per service, across its restarts.
    const logDir = process.env['CHAOS_LOG_DIR'];
    if (logDir) {
      const file = path.join(logDir, `${this.name}.log`);
      fs.mkdirSync(logDir, { recursive: true });
      fs.appendFileSync(file, `=== started at ${new Date().toISOString()}\n`);
      const append = (chunk: Buffer) => fs.appendFileSync(file, chunk);
      started.child.stdout?.on('data', append);
      started.child.stderr?.on('data', append);
    }
    void started.exited.then(({ code, signal }) => {
      if (this.stopped || this.expectingExit || this.process !== started) return;
      this.crashes += 1;
      this.log(
        `${this.name} exited by itself (${signal ?? `code ${code}`}); starting it again. Last lines:\n  ${started.output.slice(-5).join('\n  ')}`,
      );
      setTimeout(() => !this.stopped && this.process === started && this.start(), 500);
    });
  }

  async ready(timeoutMs = 120_000): Promise<void> {
    const waiting = this.process!;
    try {
      await waiting.waitForReady(this.httpUrl, timeoutMs);
    } catch (error) {
      // Which step of its start it was in: its last lines (CHAOS_LOG_LEVEL=info shows more).
      const tail = waiting.output.slice(-15).join('\n  ');
      throw new Error(
        `${this.name} (pid ${waiting.child.pid}) was not ready: ${(error as Error).message}\n  last lines:\n  ${tail || '(none)'}`,
      );
    }
  }

  async kill(): Promise<void> {
    this.expectingExit = true;
    await this.process?.stop('SIGKILL');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.process?.stop('SIGTERM');
  }
}

/** The rig's Kafka: killable and restartable in place, with its data kept. */
class RigKafka {
  private child: ChildProcess | undefined;
  private apache: RunningApacheKafka | undefined;

  constructor(
    readonly kind: KafkaKind,
    readonly port: number,
    private readonly controllerPort: number,
    private readonly dataDir: string,
  ) {}

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.kind === 'apache') {
      this.apache = await startApacheKafka({ port: this.port, controllerPort: this.controllerPort, dataDir: this.dataDir });
      return;
    }
    const child = spawn(
      process.execPath,
      [
        '-r',
        '@swc-node/register',
        'tools/kafka-broker/src/main.ts',
        '--port',
        String(this.port),
        '--data',
        this.dataDir,
        '--partitions',
        '3',
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('listening')) resolve();
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`the Kafka development broker exited (${code}):\n${output}`)));
    });
  }

  async kill(): Promise<void> {
    if (this.apache) {
      process.kill(this.apache.pid, 'SIGKILL');
      await this.apache.close();
      this.apache = undefined;
      return;
    }
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    if (this.apache) await this.apache.close();
    else if (this.child && this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child!.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
  }
}

/** The rig's PostgreSQL: one server for every service's database, killable in place. */
class RigPostgres {
  private running: RunningPostgres | undefined;
  /** The last server started: its addresses stay the same (a fixed port) while it is down. */
  private last: RunningPostgres | undefined;

  constructor(
    readonly port: number,
    private readonly dataDir: string,
  ) {}

  async start(): Promise<void> {
    this.running = await startEmbeddedPostgres({ dataDir: this.dataDir, port: this.port });
    this.last = this.running;
  }

  /** A database's URL, also while the server is down (a service restarted then waits for it). */
  url(database: string): string {
    return (this.running ?? this.last)!.urlFor(database);
  }

  get adminUrl(): string {
    return (this.running ?? this.last)!.adminUrl;
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    // The postmaster dies at once; its backends notice and exit, and the next start recovers.
    process.kill(this.running.pid, 'SIGKILL');
    await waitFor(
      () => {
        try {
          process.kill(this.running!.pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs: 30_000, what: 'the postmaster to exit' },
    );
    await this.running.stop().catch(() => undefined);
    this.running = undefined;
  }

  async stop(): Promise<void> {
    await this.running?.stop();
  }
}

export interface ChaosRigOptions {
  kafka: KafkaKind;
  executors: number;
  /** Extra settings of every executor (leases, patience). */
  executorEnv?: Record<string, string>;
  log?: (line: string) => void;
}

export class ChaosRig {
  readonly postgres: RigPostgres;
  readonly kafka: RigKafka;
  registry!: RigService;
  gateway!: RigService;
  readonly executors: RigService[] = [];
  private root = '';
  private readonly prefix = `${testPrefix('chaos')}.`;
  readonly log: (line: string) => void;

  private constructor(
    private readonly options: ChaosRigOptions,
    root: string,
    ports: { postgres: number; kafka: number; controller: number },
  ) {
    this.root = root;
    this.log = options.log ?? (() => undefined);
    this.postgres = new RigPostgres(ports.postgres, path.join(root, 'postgres'));
    this.kafka = new RigKafka(options.kafka, ports.kafka, ports.controller, path.join(root, 'kafka'));
  }

  static async start(options: ChaosRigOptions): Promise<ChaosRig> {
    const root = await mkdtemp(path.join(tmpdir(), 'flowline-chaos-'));
    // PostgreSQL may run as the postgres user (when the tests run as root): it must enter the folder.
    await chmod(root, 0o755);
    const rig = new ChaosRig(options, root, {
      postgres: await freePortForTests(),
      kafka: await freePortForTests(),
      controller: await freePortForTests(),
    });
    await rig.postgres.start();
    const admin = new Client({ connectionString: rig.postgres.adminUrl });
    await admin.connect();
    for (const database of ['registry', 'gateway', 'executor']) await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    await rig.kafka.start();

    const common = () => ({
      AUTH_JWT_SECRET: TEST_SECRET,
      KAFKA_BROKERS: rig.kafka.brokers,
      KAFKA_TOPIC_PREFIX: rig.prefix,
      // CHAOS_LOG_LEVEL (info, debug) with CHAOS_LOG_DIR shows each service's start step by step.
      LOG_LEVEL: process.env['CHAOS_LOG_LEVEL'] ?? 'warn',
    });
    const service = async (name: string, main: ServiceName, env: () => Record<string, string>) =>
      new RigService(name, MAIN[main], await freePortForTests(), await freePortForTests(), env, rig.log);
    rig.registry = await service('process-registry', 'process-registry', () => ({
      ...common(),
      DATABASE_URL: rig.postgres.url('registry'),
    }));
    rig.gateway = await service('event-gateway', 'event-gateway', () => ({
      ...common(),
      DATABASE_URL: rig.postgres.url('gateway'),
      REGISTRY_ADDRESS: rig.registry.grpcAddress,
    }));
    for (let k = 0; k < options.executors; k++) {
      rig.executors.push(
        await service(`async-executor-${k + 1}`, 'async-executor', () => ({
          ...common(),
          DATABASE_URL: rig.postgres.url('executor'),
          REGISTRY_ADDRESS: rig.registry.grpcAddress,
          GATEWAY_ADDRESS: rig.gateway.grpcAddress,
          ...options.executorEnv,
        })),
      );
    }
    rig.registry.start();
    await rig.registry.ready();
    return rig;
  }

  /** The gateway and executors, once the definitions are in the registry. */
  async startRest(): Promise<void> {
    this.gateway.start();
    await this.gateway.ready();
    for (const executor of this.executors) executor.start();
    for (const executor of this.executors) await executor.ready();
  }

  get services(): RigService[] {
    return [this.registry, this.gateway, ...this.executors];
  }

  async stop(): Promise<void> {
    for (const service of [...this.executors, this.gateway, this.registry].filter(Boolean)) await service.stop().catch(() => undefined);
    await this.kafka.stop().catch(() => undefined);
    await this.postgres.stop().catch(() => undefined);
    await rm(this.root, { recursive: true, force: true });
  }
}
