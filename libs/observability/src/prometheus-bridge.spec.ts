import { DataPointType } from '@opentelemetry/sdk-metrics';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PrometheusMetricProducer } from './prometheus-bridge';

describe('the Prometheus registry as OpenTelemetry metrics', () => {
  it('turns counters into monotonic sums, gauges into gauges and cumulative buckets into per-bucket counts', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ service: 'test' });
    new Counter({ name: 'jobs_total', help: 'jobs', labelNames: ['outcome'], registers: [registry] }).inc({ outcome: 'ok' }, 3);
    new Gauge({ name: 'queue_depth', help: 'depth', registers: [registry] }).set(7);
    const histogram = new Histogram({
      name: 'step_seconds',
      help: 'steps',
      labelNames: ['effect'],
      buckets: [0.1, 1],
      registers: [registry],
    });
    for (const value of [0.05, 0.5, 0.7, 5]) histogram.observe({ effect: 'http' }, value);

    const { resourceMetrics, errors } = await new PrometheusMetricProducer(() => registry).collect();
    expect(errors).toEqual([]);
    const metrics = resourceMetrics.scopeMetrics[0]!.metrics;
    const byName = Object.fromEntries(metrics.map((m) => [m.descriptor.name, m]));

    expect(byName['jobs_total']).toMatchObject({ dataPointType: DataPointType.SUM, isMonotonic: true });
    expect(byName['jobs_total']!.dataPoints.map((p) => [p.attributes, p.value])).toEqual([[{ outcome: 'ok', service: 'test' }, 3]]);
    expect(byName['queue_depth']).toMatchObject({ dataPointType: DataPointType.GAUGE });
    expect(byName['queue_depth']!.dataPoints[0]!.value).toBe(7);
    expect(byName['step_seconds']).toMatchObject({ dataPointType: DataPointType.HISTOGRAM, descriptor: { unit: 's' } });
    expect(byName['step_seconds']!.dataPoints).toEqual([
      expect.objectContaining({
        attributes: { effect: 'http', service: 'test' },
        value: { buckets: { boundaries: [0.1, 1], counts: [1, 2, 1] }, sum: 6.25, count: 4 },
      }),
    ]);
  });

  it('answers nothing, without failing, before a service has a registry', async () => {
    const { resourceMetrics } = await new PrometheusMetricProducer(() => undefined).collect();
    expect(resourceMetrics.scopeMetrics[0]!.metrics).toEqual([]);
  });
});
