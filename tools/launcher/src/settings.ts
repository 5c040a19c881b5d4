/**
 * The launcher's settings, from the environment and the command line. Every port is
 * overridable; DATABASE_URL (and, with the messaging issue, KAFKA_BROKERS) switch from the
 * embedded infrastructure to real servers.
 */
import * as path from 'node:path';
import { ALL_SERVICES, DEV_INFRA_PORTS, type ServiceDescriptor } from '@flowline/contracts';

export interface ServicePlan {
  descriptor: ServiceDescriptor;
  httpPort: number;
  grpcPort: number;
}

export interface LauncherSettings {
  dataDir: string;
  host: string;
  databaseUrl: string | undefined;
  authSecret: string | undefined;
  kafkaBrokers: string | undefined;
  kafkaPort: number;
  postgresPort: number;
  logFormat: 'pretty' | 'json';
  readyTimeoutMs: number;
  shutdownGraceMs: number;
  services: ServicePlan[];
}

export class UsageError extends Error {}

export const USAGE = `Usage: npm start [-- --help]

Starts Flowline on this machine: an embedded PostgreSQL (unless DATABASE_URL is set), the
Kafka-protocol development broker (unless KAFKA_BROKERS is set) and the four services, then
prints where to reach them. Ctrl-C stops everything.

Environment:
  FLOWLINE_DATA_DIR        where embedded data lives (default .data)
  FLOWLINE_PG_PORT         embedded PostgreSQL port (default ${DEV_INFRA_PORTS.postgres})
  DATABASE_URL             use this PostgreSQL instead of the embedded one
  KAFKA_BROKERS            use this Kafka instead of the development broker
  FLOWLINE_KAFKA_PORT      development broker port (default ${DEV_INFRA_PORTS.kafka})
  AUTH_JWT_SECRET          secret that signs bearer tokens (default: generated once, kept in the data directory)
  FLOWLINE_HOST            interface the services listen on (default 127.0.0.1)
  FLOWLINE_LOG_FORMAT      pretty (default) or json
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
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') throw new UsageError(USAGE);
    throw new UsageError(`unknown option '${arg}'\n\n${USAGE}`);
  }
  const logFormat = env['FLOWLINE_LOG_FORMAT'] ?? 'pretty';
  if (logFormat !== 'pretty' && logFormat !== 'json') {
    throw new UsageError(`FLOWLINE_LOG_FORMAT must be 'pretty' or 'json', got '${logFormat}'`);
  }
  return {
    dataDir: path.resolve(cwd, env['FLOWLINE_DATA_DIR'] || '.data'),
    host: env['FLOWLINE_HOST'] || '127.0.0.1',
    databaseUrl: env['DATABASE_URL'] || undefined,
    authSecret: env['AUTH_JWT_SECRET'] || undefined,
    kafkaBrokers: env['KAFKA_BROKERS'] || undefined,
    kafkaPort: portFrom(env, 'FLOWLINE_KAFKA_PORT', DEV_INFRA_PORTS.kafka),
    postgresPort: portFrom(env, 'FLOWLINE_PG_PORT', DEV_INFRA_PORTS.postgres),
    logFormat,
    readyTimeoutMs: 60_000,
    shutdownGraceMs: 15_000,
    services: ALL_SERVICES.map((descriptor) => ({
      descriptor,
      httpPort: portFrom(env, `${descriptor.envPrefix}_HTTP_PORT`, descriptor.httpPort),
      grpcPort: portFrom(env, `${descriptor.envPrefix}_GRPC_PORT`, descriptor.grpcPort),
    })),
  };
}
