/**
 * OpenTelemetry tracing for a service, started first thing in its `main.ts` (before Nest, pg,
 * gRPC or Kafka are loaded, so their modules get instrumented): W3C trace context propagation,
 * HTTP, gRPC and PostgreSQL instrumentation, and exporters chosen by environment:
 *
 * - `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` /
 *   `..._METRICS_ENDPOINT`): traces and metrics as OTLP/HTTP JSON to a collector (off by default);
 *   metrics are the service's prom-client registry (see prometheus-bridge), every
 *   OTEL_METRIC_EXPORT_INTERVAL ms (15 s);
 * - `FLOWLINE_TRACE_FILE`: OTLP JSON, one export request per line, appended to a file (what
 *   `npm start -- --traces` uses and `npm run trace` renders);
 * - `OTEL_SDK_DISABLED=true`: no tracing at all.
 *
 * Without an exporter spans are still made (so logs carry trace ids and context crosses
 * services), and dropped. Kafka spans are made by libs/messaging itself (relay and consumer),
 * from the trace context stored with each outbox row.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { PrometheusMetricProducer } from './prometheus-bridge';

/** Appends each batch as one OTLP JSON `ExportTraceServiceRequest` line. */
export class FileSpanExporter implements SpanExporter {
  private stopped = false;

  constructor(private readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (this.stopped) return done({ code: ExportResultCode.FAILED, error: new Error('the exporter is shut down') });
    try {
      const body = JsonTraceSerializer.serializeRequest(spans);
      if (body) appendFileSync(this.file, `${Buffer.from(body).toString('utf8')}\n`);
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
  }

  async forceFlush(): Promise<void> {}
}

export interface Telemetry {
  /** Where spans go, for the start-up log line. */
  readonly exporters: string[];
  /** Flushes pending spans and stops; called by the graceful shutdown. */
  shutdown(): Promise<void>;
}

let current: Telemetry | undefined;

/** The telemetry started by this process, if any (the shutdown path flushes it). */
export function activeTelemetry(): Telemetry | undefined {
  return current;
}

export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): Telemetry {
  if (current) return current;
  if (env['OTEL_SDK_DISABLED'] === 'true') {
    current = { exporters: [], shutdown: async () => undefined };
    return current;
  }
  const warnings: DiagLogger = {
    error: (message) => process.stderr.write(`opentelemetry: ${message}\n`),
    warn: (message) => process.stderr.write(`opentelemetry: ${message}\n`),
    info: () => undefined,
    debug: () => undefined,
    verbose: () => undefined,
  };
  diag.setLogger(warnings, DiagLogLevel.WARN);
  const flushMs = Number(env['FLOWLINE_TRACE_FLUSH_MS'] ?? 1000);
  const processors: SpanProcessor[] = [];
  const exporters: string[] = [];
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  const protocol = env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] ?? env['OTEL_EXPORTER_OTLP_PROTOCOL'] ?? 'http/json';
  if (endpoint && protocol !== 'http/json') {
    process.stderr.write(
      `opentelemetry: OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: spans go as OTLP/HTTP JSON (http/json)\n`,
    );
  }
  if (endpoint) {
    const url = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? `${endpoint.replace(/\/$/, '')}/v1/traces`;
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: flushMs }));
    exporters.push(`otlp ${url}`);
  }
  const file = env['FLOWLINE_TRACE_FILE'];
  if (file) {
    processors.push(new BatchSpanProcessor(new FileSpanExporter(path.resolve(file)), { scheduledDelayMillis: flushMs }));
    exporters.push(`file ${path.resolve(file)}`);
  }
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: serviceName,
    [ATTR_SERVICE_VERSION]: env['npm_package_version'] ?? '0.1.0',
  });
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors });
  // Metrics over OTLP too: the same prom-client registry /metrics serves, read by a periodic reader.
  let meters: MeterProvider | undefined;
  const metricsEndpoint =
    env['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'] ?? (endpoint ? `${endpoint.replace(/\/$/, '')}/v1/metrics` : undefined);
  if (metricsEndpoint) {
    meters = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: metricsEndpoint }),
          exportIntervalMillis: Number(env['OTEL_METRIC_EXPORT_INTERVAL'] ?? 15_000),
          metricProducers: [new PrometheusMetricProducer()],
        }),
      ],
    });
    exporters.push(`otlp metrics ${metricsEndpoint}`);
  }
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes are not worth a trace each.
        ignoreIncomingRequestHook: (request) => /^\/(health|metrics)/.test(request.url ?? ''),
      }),
      new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] }),
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    ],
  });
  current = {
    exporters,
    shutdown: async () => {
      await Promise.all([provider.shutdown().catch(() => undefined), meters?.shutdown().catch(() => undefined)]);
    },
  };
  return current;
}
