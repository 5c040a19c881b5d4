/**
 * The development launcher behind `npm start`: embedded PostgreSQL unless DATABASE_URL is
 * set, the four services as child processes, a table of what runs where once all are ready,
 * and a clean stop of everything on Ctrl-C (or SIGTERM).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Roles, signToken } from '@flowline/auth';
import * as path from 'node:path';
import { ensureDatabase, isPortTaken, startEmbeddedPostgres, type RunningPostgres } from '@flowline/dev-infra';
import { startBroker, type RunningBroker } from '@flowline/kafka-broker';
import { loadExamples } from './examples';
import { renderTable, type TableRow } from './output';
import { describeExit, ServiceSupervisor, waitUntilReady, type SupervisedService } from './service-supervisor';
import type { LauncherSettings } from './settings';

export const FLOWLINE_DATABASE = 'flowline';

export interface LauncherIo {
  write(text: string): void;
  useColour: boolean;
}

export interface RunningFlowline {
  readonly stopped: Promise<number>;
  stop(): Promise<number>;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

async function startPostgres(settings: LauncherSettings, io: LauncherIo): Promise<{ url: string; postgres?: RunningPostgres }> {
  if (settings.databaseUrl) {
    io.write(`Using the PostgreSQL at ${redactUrl(settings.databaseUrl)} (DATABASE_URL)\n`);
    return { url: settings.databaseUrl };
  }
  if (await isPortTaken(settings.postgresPort)) {
    throw new Error(
      `port ${settings.postgresPort} for the embedded PostgreSQL is in use: stop what uses it, or set FLOWLINE_PG_PORT to a free port, or set DATABASE_URL to use an existing server`,
    );
  }
  const dataDir = path.join(settings.dataDir, 'postgres');
  await mkdir(settings.dataDir, { recursive: true });
  io.write(`Starting embedded PostgreSQL on port ${settings.postgresPort} (data in ${dataDir})\n`);
  const postgres = await startEmbeddedPostgres({ dataDir, port: settings.postgresPort });
  await ensureDatabase(postgres.adminUrl, FLOWLINE_DATABASE);
  return { url: postgres.urlFor(FLOWLINE_DATABASE), postgres };
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

async function startKafka(settings: LauncherSettings, io: LauncherIo): Promise<{ brokers: string; broker?: RunningBroker }> {
  if (settings.kafkaBrokers) {
    io.write(`Using the Kafka at ${settings.kafkaBrokers} (KAFKA_BROKERS)\n`);
    return { brokers: settings.kafkaBrokers };
  }
  if (await isPortTaken(settings.kafkaPort)) {
    throw new Error(
      `port ${settings.kafkaPort} for the Kafka development broker is in use: stop what uses it, or set FLOWLINE_KAFKA_PORT to a free port, or set KAFKA_BROKERS to use an existing Kafka`,
    );
  }
  const dataDir = path.join(settings.dataDir, 'kafka');
  io.write(`Starting the Kafka development broker on port ${settings.kafkaPort} (data in ${dataDir})\n`);
  const broker = await startBroker({ port: settings.kafkaPort, host: settings.host, dataDir, logLevel: 'warn' });
  return { brokers: broker.brokers, broker };
}

export async function launch(settings: LauncherSettings, repoRoot: string, io: LauncherIo): Promise<RunningFlowline> {
  const { url: databaseUrl, postgres } = await startPostgres(settings, io);
  let kafka: { brokers: string; broker?: RunningBroker };
  try {
    kafka = await startKafka(settings, io);
  } catch (error) {
    if (postgres) await postgres.stop();
    throw error;
  }
  const secret = await authSecret(settings);
  const adminToken = signToken(secret, {
    subject: 'admin',
    name: 'Flowline administrator',
    roles: [Roles.admin],
    expiresInSeconds: 30 * 24 * 3600,
  });
  const adminTokenFile = path.join(settings.dataDir, 'admin-token');
  await mkdir(settings.dataDir, { recursive: true });
  await writeFile(adminTokenFile, `${adminToken}\n`, { mode: 0o600 });
  let resolveStopped: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((resolve) => {
    resolveStopped = resolve;
  });
  let stopping: Promise<number> | undefined;
  let startupComplete = false;

  const supervisor = new ServiceSupervisor({
    repoRoot,
    host: settings.host,
    env: {
      PATH: process.env['PATH'] ?? '',
      DATABASE_URL: databaseUrl,
      AUTH_JWT_SECRET: secret,
      KAFKA_BROKERS: kafka.brokers,
      REGISTRY_ADDRESS: `${settings.host}:${settings.services.find((plan) => plan.descriptor.name === 'process-registry')?.grpcPort ?? 50051}`,
      GATEWAY_ADDRESS: `${settings.host}:${settings.services.find((plan) => plan.descriptor.name === 'event-gateway')?.grpcPort ?? 50052}`,
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
      SHUTDOWN_GRACE_MS: String(settings.shutdownGraceMs - 2_000),
    },
    logFormat: settings.logFormat,
    write: io.write,
    useColour: io.useColour,
    onUnexpectedExit: (service: SupervisedService) => {
      io.write(
        `\n${service.plan.label} stopped unexpectedly (${describeExit(service)}). Its last log lines:\n${service.tail
          .map((line) => `  ${line}`)
          .join('\n')}\n` + (startupComplete ? 'The other services keep running; Ctrl-C stops them.\n\n' : '\n'),
      );
    },
  });

  const stop = (exitCode = 0): Promise<number> => {
    if (stopping) return stopping;
    stopping = (async () => {
      io.write('\nStopping Flowline...\n');
      await supervisor.stopAll(settings.shutdownGraceMs);
      if (kafka.broker) await kafka.broker.close();
      if (postgres) await postgres.stop();
      io.write('Flowline stopped.\n');
      resolveStopped(exitCode);
      return exitCode;
    })();
    return stopping;
  };

  try {
    settings.services.forEach((plan, index) => supervisor.start(plan, index));
    await Promise.all(supervisor.services.map((service) => waitUntilReady(service, settings.readyTimeoutMs)));
  } catch (error) {
    io.write(`\nFlowline could not start: ${(error as Error).message}\n`);
    await stop(1);
    return { stopped, stop: () => stopped };
  }
  startupComplete = true;

  const registryPlan = settings.services.find((plan) => plan.descriptor.name === 'process-registry');
  const examples = registryPlan
    ? await loadExamples(`${settings.host}:${registryPlan.grpcPort}`, adminToken, path.join(repoRoot, 'examples')).catch(
        (error: unknown) => ({
          loaded: [],
          existing: [],
          failed: [{ file: 'examples/', reason: String(error) }],
        }),
      )
    : { loaded: [], existing: [], failed: [] };
  for (const failure of examples.failed) io.write(`Could not load example ${failure.file}: ${failure.reason}\n`);

  const rows: TableRow[] = [
    {
      component: 'postgresql',
      where: redactUrl(databaseUrl),
      detail: postgres ? `embedded, data in ${path.join(settings.dataDir, 'postgres')}` : 'external (DATABASE_URL)',
    },
    {
      component: 'kafka',
      where: kafka.brokers,
      detail: kafka.broker ? `development broker, data in ${path.join(settings.dataDir, 'kafka')}` : 'external (KAFKA_BROKERS)',
    },
    ...supervisor.services.map((service) => ({
      component: service.plan.label,
      where: service.httpUrl,
      detail: `gRPC ${settings.host}:${service.plan.grpcPort}, schema ${service.plan.descriptor.schema}, pid ${service.child.pid ?? '?'}`,
    })),
  ];
  io.write(
    `\nFlowline is ready.\n\n${renderTable(rows)}\n\n` +
      `  Example definitions: ${examples.loaded.length} loaded and activated, ${examples.existing.length} already there (examples/*.yaml)\n` +
      `  Health: <url>/health/ready   Metrics: <url>/metrics   Stop: Ctrl-C\n` +
      (settings.traces ? `  Traces: OTLP JSON in ${path.join(settings.dataDir, 'traces')}; show them with: npm run trace\n` : '') +
      `  Admin token (30 days, also in ${adminTokenFile}): send it as 'authorization: Bearer <token>'\n  ${adminToken}\n\n`,
  );
  return { stopped, stop: () => stop(0) };
}
