/**
 * The services' metrics are declared once, with prom-client (served on /metrics for Prometheus
 * and KEDA). This producer hands the same registry to OpenTelemetry's metric reader, so the
 * OTLP exporter sends them too: counters as monotonic cumulative sums, gauges as gauges,
 * histograms with their buckets. Summaries are left out (none of ours is one).
 */
import { hrTime } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { ValueType, type HrTime } from '@opentelemetry/api';
import type { MetricObjectWithValues, MetricValue, MetricValueWithName, Registry } from 'prom-client';

type PromMetric = MetricObjectWithValues<MetricValue<string> | MetricValueWithName<string>>;
type Labels = Record<string, string | number>;

const labelKey = (labels: Labels): string =>
  JSON.stringify(
    Object.entries(labels)
      .filter(([name]) => name !== 'le')
      .sort(([a], [b]) => a.localeCompare(b)),
  );
const withoutLe = (labels: Labels): Labels => Object.fromEntries(Object.entries(labels).filter(([name]) => name !== 'le'));

/** prom-client's JSON form of a registry as OpenTelemetry metric data. */
export function toOtelMetrics(metrics: PromMetric[], startTime: HrTime, endTime: HrTime): MetricData[] {
  const out: MetricData[] = [];
  for (const metric of metrics) {
    const descriptor = {
      name: metric.name,
      description: metric.help,
      unit: metric.name.endsWith('_seconds') ? 's' : '',
      valueType: ValueType.DOUBLE,
    };
    const type = String(metric.type);
    const values = metric.values as Array<{ value: number; labels: Labels; metricName?: string }>;
    if (type === 'counter' || type === 'gauge') {
      const dataPoints = values.map((v) => ({ startTime, endTime, attributes: { ...v.labels }, value: v.value }));
      out.push(
        type === 'counter'
          ? {
              descriptor,
              aggregationTemporality: AggregationTemporality.CUMULATIVE,
              dataPointType: DataPointType.SUM,
              isMonotonic: true,
              dataPoints,
            }
          : { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints },
      );
    } else if (type === 'histogram') {
      const series = new Map<string, { labels: Labels; buckets: Array<[number, number]>; sum: number; count: number }>();
      for (const v of values) {
        const key = labelKey(v.labels);
        const entry = series.get(key) ?? { labels: withoutLe(v.labels), buckets: [], sum: 0, count: 0 };
        series.set(key, entry);
        if (v.metricName?.endsWith('_bucket')) {
          const le = v.labels['le'];
          entry.buckets.push([le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), v.value]);
        } else if (v.metricName?.endsWith('_sum')) entry.sum = v.value;
        else if (v.metricName?.endsWith('_count')) entry.count = v.value;
      }
      out.push({
        descriptor,
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: [...series.values()].map((entry) => {
          const sorted = entry.buckets.sort(([a], [b]) => a - b);
          const boundaries = sorted.map(([le]) => le).filter((le) => Number.isFinite(le));
          // Prometheus buckets are cumulative; OpenTelemetry's count each bucket on its own.
          const counts = sorted.map(([, cumulative], i) => cumulative - (i > 0 ? sorted[i - 1]![1] : 0));
          return {
            startTime,
            endTime,
            attributes: { ...entry.labels },
            value: { buckets: { boundaries, counts }, sum: entry.sum, count: entry.count },
          };
        }),
      });
    }
  }
  return out;
}

let registryForExport: Registry | undefined;

/** The registry a service serves on /metrics; its metrics are exported over OTLP as well when an endpoint is set. */
export function exportPrometheusRegistry(registry: Registry): void {
  registryForExport = registry;
}

export class PrometheusMetricProducer implements MetricProducer {
  private readonly startTime = hrTime();

  constructor(private readonly registry: () => Registry | undefined = () => registryForExport) {}

  async collect(): Promise<CollectionResult> {
    const registry = this.registry();
    const metrics = registry ? ((await registry.getMetricsAsJSON()) as PromMetric[]) : [];
    return {
      resourceMetrics: {
        resource: resourceFromAttributes({}),
        scopeMetrics: [{ scope: { name: 'flowline.prometheus-bridge' }, metrics: toOtelMetrics(metrics, this.startTime, hrTime()) }],
      },
      errors: [],
    };
  }
}
