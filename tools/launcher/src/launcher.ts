/**
 * The development launcher behind `npm start`: embedded PostgreSQL unless DATABASE_URL is
 * set, the Kafka development broker unless KAFKA_BROKERS is set, the four services as child
 * processes, and a table of what runs where once all are ready.
 *
 * What it starts ends with it: Ctrl-C or SIGTERM at any moment, during start-up too, stops
 * everything started so far and says what it stopped; when the launcher itself is killed, each
 * service (through its tether) and the PostgreSQL server (through its guard) notice that the
 * launcher is gone and stop (docs/adr/0005). Before starting anything it checks that every
 * port it needs is free and that no Flowline still runs from its data folder, whose
 * flowline-run.json records what it started for `npm run stop`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Roles, signToken } from '@flowline/auth';
import { ensureDatabase, startEmbeddedPostgres, type RunningPostgres } from '@flowline/dev-infra';
import { startBroker, type RunningBroker } from '@flowline/kafka-broker';
import { startApacheKafka, type RunningApacheKafka } from '@flowline/apache-kafka';
import { buildConsole, consoleBuildNeeded, CONSOLE_OUTPUT } from './console-build';
import { loadExamples } from './examples';
import { renderRestApis, renderTable, type TableRow } from './output';
import { clashingPorts, describeTakenPorts, findTakenPorts, neededPorts } from './port-check';
import { readRunState, RunStateWriter, stillRunning } from './run-state';
import { describeExit, ServiceSupervisor, waitUntilReady, type SupervisedService } from './service-supervisor';
import { serviceKeys } from './service-keys';
import { exampleWebhooks, renderWebhooks, webhookSecretSettings } from './webhook-examples';
import type { LauncherSettings } from './settings';

export const FLOWLINE_DATABASE = 'flowline';
/** Marks the launcher's command line in the run state (the entry point's path). */
export const LAUNCHER_MARKER = path.join('tools', 'launcher', 'src', 'main');

export interface LauncherIo {
  write(text: string): void;
  useColour: boolean;
}

/** A refusal before anything was started: the message says why and what to do. */
export class StartRefused extends Error {}

class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

const SIGNAL_EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

function listOf(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * The secret that signs bearer tokens: AUTH_JWT_SECRET when set, otherwise one generated on
 * the first start and kept in the data directory, so tokens stay valid across restarts.
 */
async function authSecret(settings: LauncherSettings): Promise<string> {
  if (settings.authSecret) return settings.authSecret;
  const file = path.join(settings.dataDir, 'auth-secret');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const secret = randomBytes(32).toString('hex');
  await mkdir(settings.dataDir, { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

type Phase = 'starting' | 'ready' | 'stopping';

/** One run of Flowline on this machine: start, run until a signal, stop what it started. */
export class Flowline {
  private phase: Phase = 'starting';
  private interruptedBy: NodeJS.Signals | undefined;
  private readonly abort = new AbortController();
  private runState: RunStateWriter | undefined;
  private postgres: RunningPostgres | undefined;
  private broker: RunningBroker | undefined;
  private apacheKafka: RunningApacheKafka | undefined;
  private supervisor: ServiceSupervisor | undefined;
  private stopping: Promise<number> | undefined;
  private finish: (code: number) => void = () => undefined;
  /** Resolves with the exit code once a running Flowline was stopped. */
  private readonly finished = new Promise<number>((resolve) => {
    this.finish = resolve;
  });

  constructor(
    private readonly settings: LauncherSettings,
    private readonly repoRoot: string,
    private readonly io: LauncherIo,
  ) {}

  /** Starts Flowline and resolves with the process's exit code once it has stopped again. */
  async run(): Promise<number> {
    try {
      await this.start();
    } catch (error) {
      if (error instanceof StartRefused) {
        this.io.write(error.message.endsWith('\n') ? error.message : `${error.message}\n`);
        return 1;
      }
      if (this.interruptedBy) {
        const signal = this.interruptedBy;
        await this.stop(SIGNAL_EXIT_CODES[signal] ?? 1);
        this.io.write(`Flowline did not start: interrupted by ${signal}.\n`);
        return SIGNAL_EXIT_CODES[signal] ?? 1;
      }
      this.io.write(`\nFlowline could not start: ${(error as Error).message}\n`);
      return this.stop(1);
    }
    this.phase = 'ready';
    return this.finished;
  }

  /**
   * SIGINT, SIGTERM or SIGHUP. During start-up it interrupts the start (what runs is stopped);
   * once ready it stops Flowline; while stopping, a second one kills the services at once.
   */
  onSignal(signal: NodeJS.Signals): void {
    if (this.phase === 'starting' && !this.interruptedBy) {
      this.interruptedBy = signal;
      this.io.write(`\n${signal} received during start-up: stopping what was started...\n`);
      this.abort.abort(new Interrupted(signal));
      return;
    }
    if (this.phase === 'ready') {
      this.io.write(`\n${signal} received: stopping Flowline...\n`);
      void this.stop(0).then((code) => {
        this.io.write('Flowline stopped.\n');
        this.finish(code);
      });
      return;
    }
    this.supervisor?.killNow('is still stopping after a second signal');
  }

  /** Throws when a signal interrupted the start-up; called between the steps that cannot be cut short. */
  private checkpoint(): void {
    if (this.interruptedBy) throw new Interrupted(this.interruptedBy);
  }

  private async start(): Promise<void> {
    const { settings, io } = this;
    await this.refuseIfCannotStart();
    this.checkpoint();
    this.runState = new RunStateWriter(settings.dataDir, this.repoRoot, LAUNCHER_MARKER);
    this.runState.save();

    const databaseUrl = await this.startPostgres();
    this.checkpoint();
    const brokers = await this.startKafka();
    this.checkpoint();
    const secret = await authSecret(settings);
    const adminToken = signToken(secret, {
      subject: 'admin',
      name: 'Flowline administrator',
      roles: [Roles.admin],
      expiresInSeconds: 30 * 24 * 3600,
    });
    const adminTokenFile = path.join(settings.dataDir, 'admin-token');
    await writeFile(adminTokenFile, `${adminToken}\n`, { mode: 0o600 });
    // Calls between services use each service's own key; the shared secret is for people's tokens (development only).
    const keys = await serviceKeys(
      settings.dataDir,
      settings.services.map((plan) => plan.descriptor.name),
    );
    this.checkpoint();

    const webhooks = await exampleWebhooks(path.join(this.repoRoot, 'examples'));
    const webhookSecrets = await webhookSecretSettings(settings.dataDir, webhooks);
    const grpcOf = (name: string, fallback: number) =>
      `${settings.host}:${settings.services.find((plan) => plan.descriptor.name === name)?.grpcPort ?? fallback}`;
    const httpOf = (name: string, fallback: number) =>
      `http://${settings.host}:${settings.services.find((plan) => plan.descriptor.name === name)?.httpPort ?? fallback}`;
    // The operator console (served by the session service) is built here when missing or out of date.
    if (consoleBuildNeeded(this.repoRoot)) {
      io.write(`Building the operator console into ${CONSOLE_OUTPUT}\n`);
      const failure = await buildConsole(this.repoRoot);
      if (failure) io.write(`The operator console could not be built (the services start without it):\n${failure}\n`);
    }
    this.checkpoint();
    // The operator console's origin (the session service's HTTP port) may call every service's REST API.
    const consolePort = settings.services.find((plan) => plan.descriptor.name === 'session-service')?.httpPort ?? 8083;
    const consoleOrigins = [...new Set([`http://${settings.host}:${consolePort}`, `http://localhost:${consolePort}`])].join(',');
    const supervisor = new ServiceSupervisor({
      repoRoot: this.repoRoot,
      host: settings.host,
      env: {
        PATH: process.env['PATH'] ?? '',
        DATABASE_URL: databaseUrl,
        AUTH_JWT_SECRET: secret,
        AUTH_SERVICE_KEYS: keys.publicKeySet,
        KAFKA_BROKERS: brokers,
        REGISTRY_ADDRESS: grpcOf('process-registry', 50051),
        GATEWAY_ADDRESS: grpcOf('event-gateway', 50052),
        // Where the operator console's page reaches the other services, through the session service.
        REGISTRY_HTTP_URL: httpOf('process-registry', 8081),
        GATEWAY_HTTP_URL: httpOf('event-gateway', 8080),
        EXECUTOR_HTTP_URL: httpOf('async-executor', 8082),
        CONSOLE_DIR: path.join(this.repoRoot, CONSOLE_OUTPUT),
        EXECUTOR_ADDRESS: grpcOf('async-executor', 50053),
        ...webhookSecrets.settings,
        LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
        // Development: webhooks and http activities may call services on this machine (production refuses loopback).
        OUTBOUND_ALLOW: process.env['OUTBOUND_ALLOW'] ?? 'loopback',
        ...(process.env['OUTBOUND_DENY'] ? { OUTBOUND_DENY: process.env['OUTBOUND_DENY'] } : {}),
        ...(process.env['RATE_LIMIT_PER_MINUTE'] ? { RATE_LIMIT_PER_MINUTE: process.env['RATE_LIMIT_PER_MINUTE'] } : {}),
        SHUTDOWN_GRACE_MS: String(settings.shutdownGraceMs - 2_000),
        CORS_ORIGINS: process.env['CORS_ORIGINS'] ?? consoleOrigins,
      },
      logFormat: settings.logFormat,
      write: io.write,
      useColour: io.useColour,
      onUnexpectedExit: (service: SupervisedService) => {
        io.write(
          `\n${service.plan.label} stopped unexpectedly (${describeExit(service)}). Its last log lines:\n${service.tail
            .map((line) => `  ${line}`)
            .join('\n')}\n` + (this.phase === 'ready' ? 'The other services keep running; Ctrl-C stops them.\n\n' : '\n'),
        );
      },
    });
    this.supervisor = supervisor;
    settings.services.forEach((plan, index) => {
      const service = supervisor.start({ ...plan, env: { ...plan.env, SERVICE_KEY: keys.privateKeys.get(plan.descriptor.name)! } }, index);
      this.runState?.record({ name: plan.label, kind: 'service', pid: service.child.pid ?? 0, marker: service.mainPath });
    });
    await Promise.all(supervisor.services.map((service) => waitUntilReady(service, settings.readyTimeoutMs, this.abort.signal)));
    this.checkpoint();

    const registryPlan = settings.services.find((plan) => plan.descriptor.name === 'process-registry');
    const examples = registryPlan
      ? await loadExamples(`${settings.host}:${registryPlan.grpcPort}`, adminToken, path.join(this.repoRoot, 'examples')).catch(
          (error: unknown) => ({ loaded: [], existing: [], failed: [{ file: 'examples/', reason: String(error) }] }),
        )
      : { loaded: [], existing: [], failed: [] };
    this.checkpoint();
    for (const failure of examples.failed) io.write(`Could not load example ${failure.file}: ${failure.reason}\n`);

    const rows: TableRow[] = [
      {
        component: 'postgresql',
        where: redactUrl(databaseUrl),
        detail: this.postgres
          ? `embedded, data in ${path.join(settings.dataDir, 'postgres')}, pid ${this.postgres.pid}`
          : 'external (DATABASE_URL)',
      },
      {
        component: 'kafka',
        where: brokers,
        detail: this.apacheKafka
          ? `Apache Kafka ${this.apacheKafka.version} (KRaft), data in ${path.join(settings.dataDir, 'apache-kafka')}, pid ${this.apacheKafka.pid}`
          : this.broker
            ? `development broker, data in ${path.join(settings.dataDir, 'kafka')}`
            : 'external (KAFKA_BROKERS)',
      },
      ...supervisor.services.map((service) => ({
        component: service.plan.label,
        where: service.httpUrl,
        detail: `gRPC ${settings.host}:${service.plan.grpcPort}, schema ${service.plan.descriptor.schema}, pid ${service.child.pid ?? '?'}`,
      })),
    ];
    const sessionService = supervisor.services.find((service) => service.plan.descriptor.name === 'session-service');
    io.write(
      `\nFlowline is ready.\n\n${renderTable(rows)}\n\n` +
        (sessionService ? `  Operator console: ${sessionService.httpUrl}/console/  (sign in with the admin token below)\n` : '') +
        `  Example definitions: ${examples.loaded.length} loaded and activated, ${examples.existing.length} already there (examples/*.yaml)\n` +
        renderWebhooks(
          supervisor.services.find((service) => service.plan.descriptor.name === 'event-gateway')?.httpUrl,
          webhooks,
          webhookSecrets.files,
        ) +
        `  REST APIs (OpenAPI document, resources):\n${renderRestApis(supervisor.services.map((service) => ({ name: service.plan.label, url: service.httpUrl })))}\n` +
        `  Health: <url>/health/ready   Metrics: <url>/metrics   Stop: Ctrl-C, or npm run stop -- --data ${settings.dataDir}\n` +
        (settings.traces ? `  Traces: OTLP JSON in ${path.join(settings.dataDir, 'traces')}; show them with: npm run trace\n` : '') +
        `  Admin token (30 days, also in ${adminTokenFile}): send it as 'authorization: Bearer <token>'\n  ${adminToken}\n\n`,
    );
  }

  /** Everything that would make the start fail half-way and can be known before starting anything. */
  private async refuseIfCannotStart(): Promise<void> {
    const { settings } = this;
    const needed = neededPorts(settings);
    const clashes = clashingPorts(needed);
    if (clashes.length > 0) {
      throw new StartRefused(`Flowline cannot start: ${clashes.join('; ')}. Give each its own port. Nothing was started.`);
    }
    const previous = readRunState(settings.dataDir);
    const running = previous ? await stillRunning(previous) : [];
    if (previous && running.length > 0) {
      throw new StartRefused(
        `Flowline cannot start: a Flowline started at ${previous.startedAt} from ${previous.checkout} still runs from the data folder ${settings.dataDir}: ` +
          `${listOf(running.map((recorded) => `${recorded.name} (pid ${recorded.pid})`))}.\n` +
          `Stop it with 'npm run stop -- --data ${settings.dataDir}' (or Ctrl-C where it runs), or set FLOWLINE_DATA_DIR to another folder. Nothing was started.`,
      );
    }
    const taken = await findTakenPorts(needed);
    if (taken.length > 0) throw new StartRefused(describeTakenPorts(taken));
  }

  private async startPostgres(): Promise<string> {
    const { settings, io } = this;
    if (settings.databaseUrl) {
      io.write(`Using the PostgreSQL at ${redactUrl(settings.databaseUrl)} (DATABASE_URL)\n`);
      return settings.databaseUrl;
    }
    const dataDir = path.join(settings.dataDir, 'postgres');
    io.write(`Starting embedded PostgreSQL on port ${settings.postgresPort} (data in ${dataDir})\n`);
    // Not cut short by a signal: it is stopped as soon as it has started (an interrupted initdb cleans up itself).
    const postgres = await startEmbeddedPostgres({ dataDir, port: settings.postgresPort, stopWithParent: true });
    this.postgres = postgres;
    this.runState?.record({ name: 'postgresql', kind: 'postgres', pid: postgres.pid, marker: dataDir });
    if (postgres.guardPid)
      this.runState?.record({ name: 'postgresql guard', kind: 'postgres-guard', pid: postgres.guardPid, marker: 'postgres-guard' });
    await ensureDatabase(postgres.adminUrl, FLOWLINE_DATABASE);
    return postgres.urlFor(FLOWLINE_DATABASE);
  }

  private async startKafka(): Promise<string> {
    const { settings, io } = this;
    if (settings.kafkaBrokers) {
      io.write(`Using the Kafka at ${settings.kafkaBrokers} (KAFKA_BROKERS)\n`);
      return settings.kafkaBrokers;
    }
    if (settings.kafkaKind === 'apache') {
      const dataDir = path.join(settings.dataDir, 'apache-kafka');
      io.write(`Starting Apache Kafka on port ${settings.kafkaPort}, controller on ${settings.kafkaControllerPort} (data in ${dataDir})\n`);
      // Under a guard process: the JVM ends with the launcher even when the launcher is killed.
      this.apacheKafka = await startApacheKafka({
        port: settings.kafkaPort,
        controllerPort: settings.kafkaControllerPort,
        host: settings.host,
        dataDir,
        stopWithParent: true,
        output: (line) => io.write(`[apache-kafka] ${line}\n`),
      });
      this.runState?.record({ name: 'Apache Kafka', kind: 'service', pid: this.apacheKafka.pid, marker: this.apacheKafka.configFile });
      return this.apacheKafka.brokers;
    }
    const dataDir = path.join(settings.dataDir, 'kafka');
    io.write(`Starting the Kafka development broker on port ${settings.kafkaPort} (data in ${dataDir})\n`);
    // In this process: it ends with the launcher whatever happens.
    this.broker = await startBroker({ port: settings.kafkaPort, host: settings.host, dataDir, logLevel: 'warn' });
    return this.broker.brokers;
  }

  /** Stops what was started, services first, then the broker, then PostgreSQL, and says what it stopped. */
  stop(exitCode: number): Promise<number> {
    this.stopping ??= (async () => {
      this.phase = 'stopping';
      this.abort.abort(new Interrupted(this.interruptedBy ?? 'SIGTERM'));
      const stopped: string[] = [];
      if (this.supervisor) stopped.push(...(await this.supervisor.stopAll(this.settings.shutdownGraceMs)));
      if (this.broker) {
        await this.broker.close();
        stopped.push('the Kafka development broker');
      }
      if (this.apacheKafka) {
        await this.apacheKafka.close();
        stopped.push(`Apache Kafka (pid ${this.apacheKafka.pid})`);
      }
      if (this.postgres) {
        await this.postgres.stop();
        stopped.push(`PostgreSQL (pid ${this.postgres.pid})`);
      }
      this.runState?.remove();
      this.io.write(stopped.length > 0 ? `Stopped ${listOf(stopped)}.\n` : 'Nothing was running yet.\n');
      return exitCode;
    })();
    return this.stopping;
  }
}
