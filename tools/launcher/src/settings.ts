/**
 * The launcher's settings, from the environment and the command line. Every port is
 * overridable; DATABASE_URL (and, with the messaging issue, KAFKA_BROKERS) switch from the
 * embedded infrastructure to real servers.
 */
import * as path from 'node:path';
import { ALL_SERVICES, DEV_INFRA_PORTS, type ServiceDescriptor } from '@flowline/contracts';
import { APACHE_KAFKA_VERSION } from '@flowline/apache-kafka';

export interface ServicePlan {
  descriptor: ServiceDescriptor;
  /** The service's name, numbered for executor replicas after the first (async-executor-2). */
  label: string;
  httpPort: number;
  grpcPort: number;
  /** Settings of this process only (its trace file). */
  env: Record<string, string>;
}

/** Executor replicas after the first listen 100 ports up each: 8182/50153, 8282/50253, ... */
export const REPLICA_PORT_STEP = 100;
export const MAX_EXECUTORS = 16;

export interface LauncherSettings {
  dataDir: string;
  host: string;
  databaseUrl: string | undefined;
  authSecret: string | undefined;
  kafkaBrokers: string | undefined;
  /** Which Kafka to start when KAFKA_BROKERS is not set: the development broker or Apache Kafka. */
  kafkaKind: 'dev' | 'apache';
  kafkaPort: number;
  /** Apache Kafka's KRaft controller port. */
  kafkaControllerPort: number;
  postgresPort: number;
  logFormat: 'pretty' | 'json';
  readyTimeoutMs: number;
  shutdownGraceMs: number;
  executors: number;
  /** Each service writes its spans as OTLP JSON to <dataDir>/traces/<service>.jsonl. */
  traces: boolean;
  services: ServicePlan[];
}

export class UsageError extends Error {}

export const USAGE = `Usage: npm start [-- --executors N] [--kafka dev|apache] [--traces] [--help]

Starts Flowline on this machine: an embedded PostgreSQL (unless DATABASE_URL is set), the
Kafka-protocol development broker (unless KAFKA_BROKERS is set) and the four services, then
prints where to reach them. Ctrl-C (or SIGTERM) stops everything it started, at any moment;
what it started also ends when the launcher is killed. Every port is checked before anything
starts. A Flowline left running from a data folder: npm run stop -- --data DIR.

Options:
  --executors N            run N async-executor replicas (1 to ${MAX_EXECUTORS}, default 1); replica k listens
                           ${REPLICA_PORT_STEP} × (k - 1) ports above the executor's own
  --kafka dev|apache       the Kafka to start when KAFKA_BROKERS is not set: the development broker
                           (default) or a real Apache Kafka ${APACHE_KAFKA_VERSION} (KRaft; needs Java 17 and Maven,
                           fetched from Maven Central once; data in <data dir>/apache-kafka)
  --traces                 each service writes its traces (OTLP JSON) to <data dir>/traces/<service>.jsonl;
                           show them with: npm run trace

Environment:
  FLOWLINE_DATA_DIR        where embedded data lives (default .data)
  FLOWLINE_PG_PORT         embedded PostgreSQL port (default ${DEV_INFRA_PORTS.postgres})
  DATABASE_URL             use this PostgreSQL instead of the embedded one
  KAFKA_BROKERS            use this Kafka instead of the development broker
  FLOWLINE_KAFKA_PORT      Kafka port, either kind (default ${DEV_INFRA_PORTS.kafka})
  FLOWLINE_KAFKA_CONTROLLER_PORT   Apache Kafka's controller port (default the Kafka port + 1)
  AUTH_JWT_SECRET          development secret that signs people's bearer tokens (default: generated once, kept in
                           the data directory); services call each other with their own keys (<data dir>/service-keys)
  FLOWLINE_HOST            interface the services listen on (default 127.0.0.1)
  FLOWLINE_LOG_FORMAT      pretty (default) or json
  OUTBOUND_ALLOW           what webhooks and http activities may call beyond public addresses (default loopback)
  OUTBOUND_DENY, RATE_LIMIT_PER_MINUTE   passed on to the services when set
  <SERVICE>_HTTP_PORT, <SERVICE>_GRPC_PORT   per service, e.g. EVENT_GATEWAY_HTTP_PORT`;

function portFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${name} must be a port number between 1 and 65535, got '${raw}'`);
  }
  return port;
}

export function readSettings(argv: string[], env: NodeJS.ProcessEnv, cwd: string): LauncherSettings {
  let executors = 1;
  let traces = false;
  let kafkaKind: 'dev' | 'apache' = 'dev';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') throw new UsageError(USAGE);
    if (arg === '--traces') {
      traces = true;
      continue;
    }
    if (arg === '--kafka' || arg.startsWith('--kafka=')) {
      const raw = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (raw !== 'dev' && raw !== 'apache') throw new UsageError(`--kafka is 'dev' (the development broker) or 'apache', got '${raw ?? ''}'`);
      kafkaKind = raw;
      continue;
    }
    if (arg === '--executors' || arg.startsWith('--executors=')) {
      const raw = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      const count = Number(raw);
      if (raw === undefined || !Number.isInteger(count) || count < 1 || count > MAX_EXECUTORS) {
        throw new UsageError(`--executors needs a whole number from 1 to ${MAX_EXECUTORS}, got '${raw ?? ''}'`);
      }
      executors = count;
      continue;
    }
    throw new UsageError(`unknown option '${arg}'\n\n${USAGE}`);
  }
  const dataDir = path.resolve(cwd, env['FLOWLINE_DATA_DIR'] || '.data');
  // With --traces the session service also reads the folder: the console shows a job's trace.
  const traceEnv = (label: string): Record<string, string> =>
    traces
      ? {
          FLOWLINE_TRACE_FILE: path.join(dataDir, 'traces', `${label}.jsonl`),
          ...(label === 'session-service' ? { CONSOLE_TRACE_DIR: path.join(dataDir, 'traces') } : {}),
        }
      : {};
  const kafkaPort = portFrom(env, 'FLOWLINE_KAFKA_PORT', DEV_INFRA_PORTS.kafka);
  const logFormat = env['FLOWLINE_LOG_FORMAT'] ?? 'pretty';
  if (logFormat !== 'pretty' && logFormat !== 'json') {
    throw new UsageError(`FLOWLINE_LOG_FORMAT must be 'pretty' or 'json', got '${logFormat}'`);
  }
  return {
    dataDir,
    host: env['FLOWLINE_HOST'] || '127.0.0.1',
    databaseUrl: env['DATABASE_URL'] || undefined,
    authSecret: env['AUTH_JWT_SECRET'] || undefined,
    kafkaBrokers: env['KAFKA_BROKERS'] || undefined,
    kafkaKind,
    kafkaPort,
    kafkaControllerPort: portFrom(env, 'FLOWLINE_KAFKA_CONTROLLER_PORT', kafkaPort + 1),
    postgresPort: portFrom(env, 'FLOWLINE_PG_PORT', DEV_INFRA_PORTS.postgres),
    logFormat,
    readyTimeoutMs: 60_000,
    shutdownGraceMs: 15_000,
    executors,
    traces,
    services: ALL_SERVICES.flatMap((descriptor) => {
      const httpPort = portFrom(env, `${descriptor.envPrefix}_HTTP_PORT`, descriptor.httpPort);
      const grpcPort = portFrom(env, `${descriptor.envPrefix}_GRPC_PORT`, descriptor.grpcPort);
      const replicas = descriptor.name === 'async-executor' ? executors : 1;
      return Array.from({ length: replicas }, (_, k) => {
        const label = k === 0 ? descriptor.name : `${descriptor.name}-${k + 1}`;
        return {
          descriptor,
          label,
          httpPort: httpPort + k * REPLICA_PORT_STEP,
          grpcPort: grpcPort + k * REPLICA_PORT_STEP,
          env: traceEnv(label),
        };
      });
    }),
  };
}
