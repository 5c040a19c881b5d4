/**
 * The observability files of the production-like run (deploy/prometheus, deploy/otel-collector,
 * deploy/grafana) agree with docker-compose.yml and with the metrics the code declares.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ALL_SERVICES } from '@flowline/contracts';
import { composeEnvironment, readComposeFile } from '@flowline/testing';
import { healthRoutes, REPO_ROOT } from './deploy/k8s';
import { declaredMetrics, defaultMetrics, PENDING_METRICS, promqlProblems, type MetricInfo } from './deploy/metrics-catalog';

const readYaml = (file: string) => parse(readFileSync(path.join(REPO_ROOT, file), 'utf8')) as Record<string, unknown>;
const compose = readComposeFile();
const composeCommand = (name: string) => ((compose.services[name] as { command?: string[] }).command ?? []).join(' ');
const hostPort = (address: string) => {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: url.hostname, port: Number(url.port) };
};

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs: Array<{ targets: string[]; labels?: Record<string, string> }>;
}

interface CollectorConfig {
  receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } } & Record<string, unknown>;
  processors?: Record<string, unknown>;
  exporters: Record<string, { endpoint?: string }>;
  extensions?: Record<string, unknown>;
  service: { extensions?: string[]; pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
}

const collector = readYaml('deploy/otel-collector/config.yaml') as unknown as CollectorConfig;

describe('deploy/otel-collector/config.yaml', () => {
  it('receives OTLP on the ports the services send to (gRPC 4317, HTTP 4318), on every interface', () => {
    expect(hostPort(collector.receivers.otlp.protocols.grpc.endpoint)).toEqual({ host: '0.0.0.0', port: 4317 });
    expect(hostPort(collector.receivers.otlp.protocols.http.endpoint)).toEqual({ host: '0.0.0.0', port: 4318 });
    for (const { name } of ALL_SERVICES) {
      const endpoint = hostPort(composeEnvironment(name, { AUTH_JWT_SECRET: 'a-production-secret-value' })['OTEL_EXPORTER_OTLP_ENDPOINT']!);
      expect(endpoint.port).toBe(hostPort(collector.receivers.otlp.protocols.http.endpoint).port);
    }
  });

  it('wires only defined components into its pipelines, and uses every component it defines', () => {
    const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
    for (const pipeline of Object.values(collector.service.pipelines)) {
      pipeline.receivers.forEach((r) => used.receivers.add(r));
      (pipeline.processors ?? []).forEach((p) => used.processors.add(p));
      pipeline.exporters.forEach((e) => used.exporters.add(e));
    }
    expect([...used.receivers].sort()).toEqual(Object.keys(collector.receivers).sort());
    expect([...used.processors].sort()).toEqual(Object.keys(collector.processors ?? {}).sort());
    expect([...used.exporters].sort()).toEqual(Object.keys(collector.exporters).sort());
    expect((collector.service.extensions ?? []).sort()).toEqual(Object.keys(collector.extensions ?? {}).sort());
  });

  it('sends traces to Jaeger over OTLP and exposes metrics for Prometheus', () => {
    const [tracesExporter] = collector.service.pipelines['traces']!.exporters;
    const jaeger = hostPort(collector.exporters[tracesExporter!]!.endpoint!);
    expect(tracesExporter).toMatch(/^otlp(\/|$)/);
    expect(jaeger.host).toBe('jaeger');
    // Jaeger listens for OTLP/gRPC on the port the exporter uses, on every interface.
    expect(composeCommand('jaeger')).toContain(`receivers.otlp.protocols.grpc.endpoint=0.0.0.0:${jaeger.port}`);
    expect(collector.service.pipelines['metrics']!.exporters).toContain('prometheus');
  });
});

describe('deploy/prometheus/prometheus.yml', () => {
  const config = readYaml('deploy/prometheus/prometheus.yml') as { scrape_configs: ScrapeConfig[] };
  const targets = config.scrape_configs.flatMap((job) =>
    job.static_configs.flatMap((group) => group.targets.map((target) => ({ job, target, labels: group.labels ?? {} }))),
  );

  it("scrapes every service's /metrics on the HTTP port compose gives it, without overriding the service label", () => {
    const metricsPath = healthRoutes().find((r) => r.handler === 'prometheus')!.path;
    for (const { name } of ALL_SERVICES) {
      const port = composeEnvironment(name, { AUTH_JWT_SECRET: 'a-production-secret-value' })['HTTP_PORT'];
      const found = targets.filter((t) => t.target === `${name}:${port}`);
      expect({ name, jobs: found.length }).toEqual({ name, jobs: 1 });
      expect(found[0]!.job.metrics_path ?? '/metrics').toBe(metricsPath);
      expect(found[0]!.labels['service']).toBeUndefined();
    }
  });

  it("scrapes the collector's Prometheus exporter, and only hosts compose runs", () => {
    const exporter = hostPort(collector.exporters['prometheus']!.endpoint!);
    expect(targets.map((t) => t.target)).toContain(`otel-collector:${exporter.port}`);
    for (const { target } of targets) {
      const { host } = hostPort(target);
      if (host !== 'localhost') expect(Object.keys(compose.services)).toContain(host);
    }
  });
});

describe('deploy/grafana', () => {
  const datasources = readYaml('deploy/grafana/provisioning/datasources/flowline.yaml') as {
    datasources: Array<{ name: string; uid: string; type: string; url: string }>;
  };
  const providers = readYaml('deploy/grafana/provisioning/dashboards/flowline.yaml') as { providers: Array<{ options: { path: string } }> };
  const dashboard = JSON.parse(readFileSync(path.join(REPO_ROOT, 'deploy/grafana/flowline-dashboard.json'), 'utf8')) as {
    uid: string;
    title: string;
    panels: Array<{
      id: number;
      type: string;
      title: string;
      gridPos: { x: number; y: number; w: number; h: number };
      datasource?: { type: string; uid: string };
      targets?: Array<{ refId: string; expr: string; datasource?: { uid: string } }>;
    }>;
  };
  const prometheus = datasources.datasources.find((d) => d.type === 'prometheus')!;
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  let catalog: Map<string, MetricInfo>;

  beforeAll(async () => {
    const declared = declaredMetrics(REPO_ROOT);
    catalog = new Map([
      ...(await defaultMetrics()),
      ...Object.entries(PENDING_METRICS).map(([name, info]) => [name, { ...info, source: 'pending' }] as const),
      ...declared,
    ]);
  });

  it('provisions Prometheus and Jaeger as compose runs them', () => {
    expect(hostPort(prometheus.url)).toEqual({ host: 'prometheus', port: 9090 });
    expect(compose.services['prometheus']!.ports).toContain('9090:9090');
    const jaeger = datasources.datasources.find((d) => d.type === 'jaeger')!;
    expect(hostPort(jaeger.url)).toEqual({ host: 'jaeger', port: 16686 });
  });

  it('loads the dashboard from where compose mounts it', () => {
    const volumes = (compose.services['grafana'] as { volumes?: string[] }).volumes ?? [];
    const mount = volumes.find((v) => v.startsWith('./deploy/grafana/flowline-dashboard.json:'));
    expect(path.posix.dirname(mount!.split(':')[1]!)).toBe(providers.providers[0]!.options.path);
  });

  it('lays out its panels on the grid, each with a unique id, reading the provisioned Prometheus', () => {
    expect(dashboard.uid).toBe('flowline-overview');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(panels.length).toBeGreaterThanOrEqual(15);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
      for (const other of dashboard.panels) {
        if (other === panel) continue;
        const overlap =
          panel.gridPos.x < other.gridPos.x + other.gridPos.w &&
          other.gridPos.x < panel.gridPos.x + panel.gridPos.w &&
          panel.gridPos.y < other.gridPos.y + other.gridPos.h &&
          other.gridPos.y < panel.gridPos.y + panel.gridPos.h;
        expect({ panel: panel.title, other: other.title, overlap }).toEqual({ panel: panel.title, other: other.title, overlap: false });
      }
    }
    for (const panel of panels) {
      expect(panel.datasource?.uid).toBe(prometheus.uid);
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.expr.trim()).not.toBe('');
      expect(new Set(panel.targets?.map((t) => t.refId)).size).toBe(panel.targets?.length);
    }
  });

  it('queries only metrics the services declare (or will, as agreed), each the way its type is read', () => {
    const problems = panels.flatMap((panel) =>
      (panel.targets ?? []).flatMap((target) => promqlProblems(target.expr, catalog).map((problem) => `${panel.title}: ${problem}`)),
    );
    expect(problems).toEqual([]);
  });

  it('shows the executor, gateway, outbox, consumer lag, metadata cache and session metrics', () => {
    const used = new Set(
      panels.flatMap((p) =>
        (p.targets ?? []).flatMap((t) => [...t.expr.matchAll(/\b(flowline_[a-z0-9_]+?)(?:_bucket)?\b/g)].map((m) => m[1]!)),
      ),
    );
    const expected = [
      'flowline_executor_ready_queue_depth',
      'flowline_executor_oldest_ready_age_seconds',
      'flowline_executor_in_progress',
      'flowline_executor_claims_total',
      'flowline_executor_completions_total',
      'flowline_executor_step_duration_seconds',
      'flowline_gateway_pipeline_stage_duration_seconds',
      'flowline_outbox_lag_seconds',
      'flowline_metadata_cache_lookups_total',
      'flowline_session_sessions_total',
      'flowline_consumer_lag',
    ];
    expect(expected.filter((name) => !used.has(name))).toEqual([]);
  });

  it('keeps each pending metric the type and labels the code gives it once declared', () => {
    const declared = declaredMetrics(REPO_ROOT);
    for (const [name, pending] of Object.entries(PENDING_METRICS)) {
      const real = declared.get(name);
      if (real)
        expect({ name, type: real.type, labels: [...real.labels].sort() }).toEqual({
          name,
          type: pending.type,
          labels: [...pending.labels].sort(),
        });
    }
  });
});

describe('the PromQL check', () => {
  const catalog = new Map<string, MetricInfo>([
    ['flowline_a_total', { type: 'counter', labels: ['outcome'], source: 'test' }],
    ['flowline_b', { type: 'gauge', labels: [], source: 'test' }],
    ['flowline_c_seconds', { type: 'histogram', labels: ['stage'], source: 'test' }],
  ]);

  it('accepts the forms the dashboard uses', () => {
    expect(promqlProblems('sum by (outcome) (rate(flowline_a_total[5m]))', catalog)).toEqual([]);
    expect(promqlProblems('max(flowline_b)', catalog)).toEqual([]);
    expect(promqlProblems('histogram_quantile(0.95, sum by (le, stage) (rate(flowline_c_seconds_bucket[5m])))', catalog)).toEqual([]);
  });

  it('refuses unknown metrics, raw counters, rated gauges, quantiles without le and foreign labels', () => {
    expect(promqlProblems('max(flowline_unknown)', catalog)).toHaveLength(1);
    expect(promqlProblems('sum(flowline_a_total)', catalog)).toHaveLength(1);
    expect(promqlProblems('sum(rate(flowline_b[5m]))', catalog)).toHaveLength(1);
    expect(promqlProblems('histogram_quantile(0.95, sum by (stage) (rate(flowline_c_seconds_bucket[5m])))', catalog)).toEqual([
      'histogram_quantile over flowline_c_seconds_bucket: not grouped by le',
    ]);
    expect(promqlProblems('sum by (stage) (rate(flowline_a_total[5m]))', catalog)).toEqual([
      "grouped by 'stage', which none of its series has",
    ]);
    expect(promqlProblems('sum(rate(flowline_a_total{result="hit"}[5m]))', catalog)).toEqual([
      "matches on 'result', which none of its series has",
    ]);
  });
});
