/**
 * Where the services are and which token to send: from flags, then the environment, then the
 * config file (`--config`, FLOWLINE_CONFIG, or ~/.config/flowline/config.json), then the
 * development defaults of `npm start`. The token falls back to `.data/admin-token` in the
 * current folder, which `npm start` writes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { CliError, ExitCode } from './errors';

export const SERVICES = ['registry', 'gateway', 'executor', 'sessions'] as const;
export type ServiceKey = (typeof SERVICES)[number];

export const SERVICE_NAMES: Record<ServiceKey, string> = {
  registry: 'process-registry',
  gateway: 'event-gateway',
  executor: 'async-executor',
  sessions: 'session-service',
};

const DEFAULTS: Record<ServiceKey, { url: string; grpc: string }> = {
  registry: { url: 'http://127.0.0.1:8081', grpc: '127.0.0.1:50051' },
  gateway: { url: 'http://127.0.0.1:8080', grpc: '127.0.0.1:50052' },
  executor: { url: 'http://127.0.0.1:8082', grpc: '127.0.0.1:50053' },
  sessions: { url: 'http://127.0.0.1:8083', grpc: '127.0.0.1:50054' },
};

export interface Endpoint {
  /** HTTP base URL: health, metrics, OpenAPI and the REST APIs. */
  url: string;
  /** gRPC address, host:port. */
  grpc: string;
}

export interface CliConfig {
  services: Record<ServiceKey, Endpoint>;
  token: string | undefined;
  /** Where the token came from, for messages. */
  tokenSource: string;
  kafkaBrokers: string;
  topicPrefix: string;
  json: boolean;
  timeoutMs: number;
}

/** The global options as commander parsed them. */
export interface GlobalOptions {
  config?: string;
  token?: string;
  json?: boolean;
  timeout?: string;
  kafkaBrokers?: string;
  topicPrefix?: string;
  registryUrl?: string;
  registryGrpc?: string;
  gatewayUrl?: string;
  gatewayGrpc?: string;
  executorUrl?: string;
  executorGrpc?: string;
  sessionsUrl?: string;
  sessionsGrpc?: string;
}

interface ConfigFile {
  token?: string;
  tokenFile?: string;
  kafkaBrokers?: string;
  topicPrefix?: string;
  services?: Partial<Record<ServiceKey, Partial<Endpoint>>>;
}

function readConfigFile(file: string, explicit: boolean): ConfigFile {
  if (!existsSync(file)) {
    if (explicit) throw new CliError(`the config file ${file} does not exist: create it or drop --config`, ExitCode.usage, 'USAGE');
    return {};
  }
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected a JSON object');
    return parsed as ConfigFile;
  } catch (error) {
    throw new CliError(`the config file ${file} cannot be read: ${(error as Error).message}; fix it (see docs/cli.md)`, ExitCode.usage, 'USAGE');
  }
}

export function resolveConfig(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): CliConfig {
  const explicitFile = options.config ?? env['FLOWLINE_CONFIG'];
  const file = explicitFile ?? path.join(env['XDG_CONFIG_HOME'] ?? path.join(homedir(), '.config'), 'flowline', 'config.json');
  const fromFile = readConfigFile(file, explicitFile !== undefined);
  const services = {} as Record<ServiceKey, Endpoint>;
  for (const key of SERVICES) {
    const upper = key.toUpperCase();
    const url = (options as Record<string, string | undefined>)[`${key}Url`] ?? env[`FLOWLINE_${upper}_URL`] ?? fromFile.services?.[key]?.url ?? DEFAULTS[key].url;
    const grpc = (options as Record<string, string | undefined>)[`${key}Grpc`] ?? env[`FLOWLINE_${upper}_GRPC`] ?? fromFile.services?.[key]?.grpc ?? DEFAULTS[key].grpc;
    services[key] = { url: url.replace(/\/+$/, ''), grpc };
  }
  let token: string | undefined;
  let tokenSource = 'none';
  const devToken = path.join(cwd, '.data', 'admin-token');
  if (options.token) [token, tokenSource] = [options.token, '--token'];
  else if (env['FLOWLINE_TOKEN']) [token, tokenSource] = [env['FLOWLINE_TOKEN'], 'FLOWLINE_TOKEN'];
  else if (fromFile.token) [token, tokenSource] = [fromFile.token, file];
  else if (fromFile.tokenFile && existsSync(fromFile.tokenFile)) [token, tokenSource] = [readFileSync(fromFile.tokenFile, 'utf8').trim(), fromFile.tokenFile];
  else if (existsSync(devToken)) [token, tokenSource] = [readFileSync(devToken, 'utf8').trim(), devToken];
  const timeout = Number(options.timeout ?? env['FLOWLINE_TIMEOUT_MS'] ?? 15_000);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new CliError(`--timeout expected milliseconds, got '${options.timeout}'`, ExitCode.usage, 'USAGE');
  return {
    services,
    token,
    tokenSource,
    kafkaBrokers: options.kafkaBrokers ?? env['KAFKA_BROKERS'] ?? fromFile.kafkaBrokers ?? '127.0.0.1:9092',
    topicPrefix: options.topicPrefix ?? env['KAFKA_TOPIC_PREFIX'] ?? fromFile.topicPrefix ?? '',
    json: options.json === true,
    timeoutMs: timeout,
  };
}
