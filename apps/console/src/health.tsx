/** Health: each service's readiness, and the executor's queue and throughput over the last hour as charts. */
import { useEffect, useRef, type ReactNode } from 'react';
import {
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import { ApiError, baseOf, call, type Service } from './api';
import { Problem, useLoad } from './common';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip, Filler);

const SERVICES: Array<{ service: Service; label: string }> = [
  { service: 'gateway', label: 'Event gateway' },
  { service: 'registry', label: 'Process registry' },
  { service: 'executor', label: 'Async executor' },
  { service: 'sessions', label: 'Session service' },
];

interface Readiness {
  service: Service;
  label: string;
  ready: boolean;
  detail: string;
}

async function readiness(): Promise<Readiness[]> {
  return Promise.all(
    SERVICES.map(async ({ service, label }) => {
      try {
        const response = await fetch(`${baseOf(service)}/health/ready`, { headers: { accept: 'application/json' } });
        const body = (await response.json().catch(() => ({}))) as {
          checks?: Record<string, { status: string; error?: string }>;
          error?: { message?: string };
        };
        const checks = Object.entries(body.checks ?? {});
        const failing = checks.filter(([, check]) => check.status !== 'ok');
        return {
          service,
          label,
          ready: response.ok,
          detail: response.ok
            ? `checked: ${checks.map(([name]) => name).join(', ') || 'nothing to check'}`
            : response.status === 502
              ? `not reachable: ${body.error?.message ?? 'no answer'}`
              : `failing: ${failing.map(([name, check]) => `${name}${check.error ? ` (${check.error})` : ''}`).join(', ') || `HTTP ${response.status}`}`,
        };
      } catch (error) {
        return { service, label, ready: false, detail: `not reachable: ${(error as Error).message}` };
      }
    }),
  );
}

interface HealthSample {
  at: string;
  ready: number;
  readyDue?: number;
  suspended?: number;
  locked?: number;
  oldestReadyAgeSeconds: number | null;
  completedPerMinute: number;
  failedPerMinute: number;
  consumerLag: number | null;
}
interface HealthHistory {
  intervalSeconds: number;
  since: string;
  replica?: string;
  samples: HealthSample[];
}

function LineChart({
  title,
  labels,
  datasets,
  unit,
}: {
  title: string;
  labels: string[];
  datasets: ChartDataset<'line', Array<number | null>>[];
  unit: string;
}): ReactNode {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'line', Array<number | null>, string>>(undefined);
  useEffect(() => {
    if (!canvas.current) return;
    chart.current = new Chart(canvas.current, {
      type: 'line',
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: { y: { beginAtZero: true, title: { display: true, text: unit } }, x: { ticks: { maxTicksLimit: 8 } } },
        plugins: { legend: { position: 'bottom' } },
      },
    });
    return () => chart.current?.destroy();
  }, [unit]);
  useEffect(() => {
    if (!chart.current) return;
    chart.current.data.labels = labels;
    chart.current.data.datasets = datasets;
    chart.current.update();
  }, [labels, datasets]);
  const last = datasets.map((dataset) => `${dataset.label}: ${dataset.data[dataset.data.length - 1] ?? 'no value'}`).join(', ');
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div className="chart-box">
        <canvas ref={canvas} role="img" aria-label={`${title}, last hour. Latest: ${last || 'no samples'}`} />
      </div>
    </figure>
  );
}

const COLOURS = ['#1f5fbf', '#b3261e', '#2e7d32', '#6a3fa0'];
const series = (label: string, data: Array<number | null>, index: number): ChartDataset<'line', Array<number | null>> => ({
  label,
  data,
  borderColor: COLOURS[index % COLOURS.length],
  backgroundColor: COLOURS[index % COLOURS.length],
  pointRadius: 0,
  borderWidth: 2,
  spanGaps: true,
});

export function HealthView(): ReactNode {
  const ready = useLoad(readiness, [], { everyMs: 10_000, live: true });
  const history = useLoad(() => call<HealthHistory>('executor', 'GET', '/api/v1/health/history?window=1h'), [], {
    everyMs: 15_000,
    live: true,
  });
  const samples = history.data?.samples ?? [];
  const labels = samples.map((sample) =>
    new Date(sample.at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' }),
  );
  const missing = history.error instanceof ApiError && history.error.status === 404;
  return (
    <section aria-labelledby="health-title">
      <h1 id="health-title">Health</h1>
      <h2>Readiness</h2>
      <ul className="readiness">
        {(ready.data ?? []).map((service) => (
          <li key={service.service} className={service.ready ? 'good' : 'bad'}>
            <strong>{service.label}</strong>: <span>{service.ready ? 'Ready' : 'Not ready'}</span>{' '}
            <span className="muted">{service.detail}</span>
          </li>
        ))}
      </ul>
      <h2>The last hour</h2>
      {missing ? (
        <p className="problem" role="alert">
          This executor has no health history (GET /api/v1/health/history is not there): the charts need a newer executor.
        </p>
      ) : (
        <Problem error={history.error} />
      )}
      {history.data ? (
        <>
          <p className="muted">
            One sample every {history.data.intervalSeconds} s{history.data.replica ? `, from executor ${history.data.replica}` : ''};{' '}
            {samples.length} sample(s).
          </p>
          <div className="charts">
            <LineChart
              title="Queue depth"
              unit="jobs"
              labels={labels}
              datasets={[
                series(
                  'Ready',
                  samples.map((s) => s.ready),
                  0,
                ),
                series(
                  'Suspended',
                  samples.map((s) => s.suspended ?? null),
                  3,
                ),
                series(
                  'Locked',
                  samples.map((s) => s.locked ?? null),
                  2,
                ),
              ]}
            />
            <LineChart
              title="Oldest ready job's age"
              unit="seconds"
              labels={labels}
              datasets={[
                series(
                  'Age',
                  samples.map((s) => s.oldestReadyAgeSeconds),
                  0,
                ),
              ]}
            />
            <LineChart
              title="Throughput"
              unit="jobs per minute"
              labels={labels}
              datasets={[
                series(
                  'Completed',
                  samples.map((s) => s.completedPerMinute),
                  2,
                ),
                series(
                  'Failed',
                  samples.map((s) => s.failedPerMinute),
                  1,
                ),
              ]}
            />
            <LineChart
              title="Consumer lag"
              unit="messages"
              labels={labels}
              datasets={[
                series(
                  'Lag',
                  samples.map((s) => s.consumerLag),
                  3,
                ),
              ]}
            />
          </div>
        </>
      ) : null}
    </section>
  );
}
