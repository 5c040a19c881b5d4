/** The Dockerfile and docker-compose.yml are checked here because no container engine runs on these machines. */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ALL_SERVICES } from '@flowline/contracts';
import { loadConfig } from '@flowline/service-kit';
import { composeEnvironment, readComposeFile, type ComposeService } from '@flowline/testing';
import { CONFIG_SHAPES, isExternalSetting } from './deploy/app-configs';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const OBSERVABILITY_SERVICES = ['otel-collector', 'jaeger', 'prometheus', 'grafana'];
const SECRET = 'a-production-secret-value';

/** The compose fields these checks read beyond what @flowline/testing types. */
interface ComposeRuntime extends ComposeService {
  stop_grace_period?: string;
  volumes?: string[];
  command?: string[];
}

/** Compose durations: `1m30s`, `20s`, `500ms`, in milliseconds. */
function durationMs(value: string): number {
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.map((p) => p[0]).join('') !== value) throw new Error(`not a compose duration: ${value}`);
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return parts.reduce((total, [, amount, suffix]) => total + Number(amount) * unit[suffix!]!, 0);
}

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');

  it('builds in stages and runs as the unprivileged node user with a health check', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/health\/ready/m);
    expect(dockerfile).toContain('npm ci --omit=dev');
  });

  it("health-checks the service's own port when HTTP_PORT is unset, from the built service descriptors", async () => {
    const script = /^\s*CMD node -e "(.*)"$/m.exec(dockerfile.slice(dockerfile.indexOf('HEALTHCHECK')))?.[1];
    const module = /require\('\.\/dist\/(.*?\.js)'\)/.exec(script ?? '')?.[1];
    // The build mirrors the source tree into dist/ (tools/build), so the module is the descriptors' source, compiled.
    expect(module).toBe('libs/contracts/src/services/services.js');
    expect(existsSync(path.join(REPO_ROOT, module!.replace(/\.js$/, '.ts')))).toBe(true);
    // Run the check in a stand-in image layout: a descriptor module and a service answering on its default port.
    const image = mkdtempSync(path.join(tmpdir(), 'healthcheck-'));
    let status = 200;
    const server = createServer((request, response) => response.writeHead(request.url === '/health/ready' ? status : 404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      mkdirSync(path.dirname(path.join(image, 'dist', module!)), { recursive: true });
      writeFileSync(path.join(image, 'dist', module!), `exports.ALL_SERVICES = [{ name: 'probe-service', httpPort: ${port} }];`);
      const check = () =>
        new Promise<number | null>((resolve) => {
          const { HTTP_PORT: _unset, ...env } = process.env;
          execFile(process.execPath, ['-e', script!], { cwd: image, env: { ...env, SERVICE: 'probe-service' } }, (error) =>
            resolve(error ? ((error as { code?: number }).code ?? 1) : 0),
          );
        });
      expect(await check()).toBe(0);
      status = 503;
      expect(await check()).toBe(1);
    } finally {
      server.close();
      rmSync(image, { recursive: true, force: true });
    }
  });

  it('builds with the same command the build target uses, for the service named by SERVICE', () => {
    expect(dockerfile).toContain('node -r @swc-node/register tools/build/src/build.ts "$SERVICE"');
    expect(dockerfile).toContain('exec node dist/apps/${SERVICE}/src/main.js');
  });
});

describe('docker-compose.yml', () => {
  const compose = readComposeFile();

  it('runs PostgreSQL, Kafka in KRaft mode, every service and the observability stack', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['kafka', 'postgres', ...OBSERVABILITY_SERVICES, ...ALL_SERVICES.map((s) => s.name)].sort(),
    );
    const kafka = compose.services['kafka']!.environment!;
    expect(String(kafka['KAFKA_PROCESS_ROLES'])).toBe('broker,controller');
    expect(JSON.stringify(compose)).not.toMatch(/zookeeper/i);
  });

  it('gives every service a database, Kafka and a health-gated start', () => {
    for (const descriptor of ALL_SERVICES) {
      const service = compose.services[descriptor.name]!;
      expect(service.environment?.['DATABASE_URL']).toMatch(/@postgres:5432\/flowline$/);
      expect(service.environment?.['KAFKA_BROKERS']).toBe('kafka:9092');
      expect(service.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, kafka: { condition: 'service_healthy' } });
    }
  });
});

describe('docker-compose.yml services', () => {
  const compose = readComposeFile();
  const runtime = (name: string) => compose.services[name] as ComposeRuntime;
  const configOf = (name: (typeof ALL_SERVICES)[number]['name']) =>
    loadConfig(name, CONFIG_SHAPES[name], composeEnvironment(name, { AUTH_JWT_SECRET: SECRET })) as Record<string, unknown>;

  it('give every service an environment its own configuration schema accepts, with no setting it does not read', () => {
    for (const { name } of ALL_SERVICES) {
      const config = configOf(name);
      expect(config['AUTH_JWT_SECRET']).toBe(SECRET);
      const unknown = Object.keys(compose.services[name]!.environment ?? {}).filter(
        (key) => !(key in CONFIG_SHAPES[name]) && !isExternalSetting(key),
      );
      expect({ name, unknown }).toEqual({ name, unknown: [] });
    }
  });

  it('run each service with the heap limit of its service descriptor', () => {
    for (const descriptor of ALL_SERVICES) {
      const expected = descriptor.maxOldSpaceMb ? `--max-old-space-size=${descriptor.maxOldSpaceMb}` : undefined;
      expect({ service: descriptor.name, NODE_OPTIONS: compose.services[descriptor.name]!.environment?.['NODE_OPTIONS'] }).toEqual({
        service: descriptor.name,
        NODE_OPTIONS: expected,
      });
    }
  });

  it('let every service finish its graceful shutdown before compose kills it', () => {
    for (const { name } of ALL_SERVICES) {
      const grace = Number(configOf(name)['SHUTDOWN_GRACE_MS']);
      expect(durationMs(runtime(name).stop_grace_period ?? '10s')).toBeGreaterThan(grace);
    }
  });

  it('point the gRPC addresses at the gRPC port of the service they name', () => {
    for (const { name } of ALL_SERVICES) {
      for (const [key, value] of Object.entries(configOf(name)).filter(([key]) => key.endsWith('_ADDRESS'))) {
        const [host, port] = String(value).split(':');
        const target = ALL_SERVICES.find((s) => s.name === host);
        expect({ name, key, target: target?.name }).toEqual({ name, key, target: host });
        expect(Number(port)).toBe(configOf(target!.name)['GRPC_PORT']);
      }
    }
  });

  it("send every service's telemetry to the OpenTelemetry collector, under the service's name", () => {
    for (const { name } of ALL_SERVICES) {
      const env = composeEnvironment(name, { AUTH_JWT_SECRET: SECRET });
      const endpoint = new URL(env['OTEL_EXPORTER_OTLP_ENDPOINT']!);
      expect(endpoint.hostname).toBe('otel-collector');
      // OTLP over HTTP: the collector's HTTP receiver port (deploy/otel-collector/config.yaml is checked against 4318).
      expect(env['OTEL_EXPORTER_OTLP_PROTOCOL']).toBe('http/json');
      expect(endpoint.port).toBe('4318');
      expect(env['OTEL_SERVICE_NAME']).toBe(name);
    }
  });

  it('mount configuration files that exist in the repository', () => {
    const mounts = Object.entries(compose.services).flatMap(([name, service]) =>
      ((service as ComposeRuntime).volumes ?? [])
        .filter((v) => v.startsWith('./'))
        .map((v) => ({ name, source: v.split(':')[0]!, target: v.split(':')[1]! })),
    );
    expect(mounts.map((m) => m.name).sort()).toEqual(['grafana', 'grafana', 'otel-collector', 'prometheus']);
    for (const { source } of mounts) expect({ source, exists: existsSync(path.join(REPO_ROOT, source)) }).toEqual({ source, exists: true });
    const targetOf = (name: string, source: string) => mounts.find((m) => m.name === name && m.source === source)?.target;
    expect(runtime('prometheus').command).toContain(`--config.file=${targetOf('prometheus', './deploy/prometheus/prometheus.yml')}`);
    expect(runtime('otel-collector').command).toContain(`--config=${targetOf('otel-collector', './deploy/otel-collector/config.yaml')}`);
    expect(targetOf('grafana', './deploy/grafana/provisioning')).toBe('/etc/grafana/provisioning');
  });
});
