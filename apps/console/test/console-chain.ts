/**
 * What the console's browser tests run against: the four real services (own databases, free
 * ports, the development broker, one topic prefix), the session service serving the console it
 * was just built into and forwarding to the other three; REST helpers as any role, and the
 * console's build (`nx build console`) made when it is missing or older than its sources.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Role } from '@flowline/auth';
import { startServiceForTest, testToken, type RunningService } from '@flowline/service-testing';
import { REPO_ROOT, testKafkaBrokers, testPrefix } from '@flowline/testing';

export const CONSOLE_DIR = path.join(REPO_ROOT, 'dist/apps/console');
const SOURCES = path.join(REPO_ROOT, 'apps/console');

function newestSource(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.name === 'test' || entry.name === 'node_modules') continue;
    const full = path.join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the console unless dist/apps/console is there and newer than every source file. */
export function ensureConsoleBuilt(): void {
  const index = path.join(CONSOLE_DIR, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestSource(SOURCES)) return;
  execFileSync(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'apps/console/vite.config.mts', '--logLevel', 'warn'],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    },
  );
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export interface ConsoleChain {
  registry: RunningService;
  gateway: RunningService;
  executor: RunningService;
  sessions: RunningService;
  prefix: string;
  /** The console's address. */
  url: string;
  call(
    service: 'registry' | 'gateway' | 'executor' | 'sessions',
    method: string,
    url: string,
    body?: unknown,
    roles?: Role[],
  ): Promise<Answer>;
  /** Produces raw values to a topic under the chain's prefix. */
  produce(topic: string, messages: Array<{ key: string; value: string }>): Promise<void>;
  stop(): Promise<void>;
}

export async function startConsoleChain(name: string): Promise<ConsoleChain> {
  const prefix = `${testPrefix(name)}.`;
  // Every service writes its spans to a file here, as `npm start -- --traces` does; the console reads them.
  const traceDir = mkdtempSync(path.join(tmpdir(), `flowline-${name}-traces-`));
  const traced = (service: string) => ({ FLOWLINE_TRACE_FILE: path.join(traceDir, `${service}.jsonl`), FLOWLINE_TRACE_FLUSH_MS: '200' });
  const shared = { KAFKA_TOPIC_PREFIX: prefix };
  const registry = await startServiceForTest('apps/process-registry/src/main.ts', { ...shared, ...traced('process-registry') });
  const gateway = await startServiceForTest('apps/event-gateway/src/main.ts', {
    ...shared,
    ...traced('event-gateway'),
    REGISTRY_ADDRESS: registry.grpcAddress,
  });
  const downstream = { ...shared, REGISTRY_ADDRESS: registry.grpcAddress, GATEWAY_ADDRESS: gateway.grpcAddress };
  const executor = await startServiceForTest('apps/async-executor/src/main.ts', {
    ...downstream,
    ...traced('async-executor'),
    WORKER_POLL_MS: '100',
  });
  const sessions = await startServiceForTest('apps/session-service/src/main.ts', {
    ...downstream,
    CONSOLE_DIR,
    CONSOLE_TRACE_DIR: traceDir,
    CONSOLE_TRACE_URL: 'https://traces.example/trace/{traceId}',
    REGISTRY_HTTP_URL: registry.httpUrl,
    GATEWAY_HTTP_URL: gateway.httpUrl,
    EXECUTOR_HTTP_URL: executor.httpUrl,
  });
  const services = { registry, gateway, executor, sessions };
  const kafka = new Kafka({ clientId: `${name}-test`, brokers: [testKafkaBrokers()], logLevel: logLevel.NOTHING });
  return {
    ...services,
    prefix,
    url: `${sessions.httpUrl}/console/`,
    async call(service, method, url, body, roles = ['admin']) {
      const response = await fetch(`${services[service].httpUrl}${url}`, {
        method,
        headers: { authorization: `Bearer ${testToken(roles, `test-${roles.join('-')}`)}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    async produce(topic, messages) {
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: `${prefix}${topic}`, messages });
      await producer.disconnect();
    },
    async stop() {
      for (const service of [sessions, executor, gateway, registry]) await service.stop();
      rmSync(traceDir, { recursive: true, force: true });
    },
  };
}
