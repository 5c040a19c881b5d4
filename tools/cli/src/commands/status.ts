/**
 * `flowline status`: each service's readiness (with its failing checks), the version its
 * OpenAPI document names, and from its metrics the executor's ready-queue depth, the oldest
 * Ready job's age, consumer lag by group and topic, and outbox lag.
 */
import type { Command } from 'commander';
import { SERVICE_NAMES, SERVICES, type ServiceKey } from '../config';
import { withContext, type Context } from '../context';
import { CliError, ExitCode } from '../errors';

interface ServiceStatus {
  service: string;
  url: string;
  reachable: boolean;
  ready: boolean;
  version: string | undefined;
  failingChecks: string[];
  readyQueueDepth?: number;
  oldestReadyAgeSeconds?: number;
  consumerLag: Array<{ group: string; topic: string; lag: number }>;
  outboxLagSeconds?: number;
  error?: string;
}

/** Samples of one metric in Prometheus text: labels and value. */
export function metricSamples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const samples: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    const match = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[label[1]!] = label[2]!;
    samples.push({ labels, value: Number(match[2]) });
  }
  return samples;
}

async function statusOf(context: Context, key: ServiceKey): Promise<ServiceStatus> {
  const status: ServiceStatus = { service: SERVICE_NAMES[key], url: context.config.services[key].url, reachable: false, ready: false, version: undefined, failingChecks: [], consumerLag: [] };
  try {
    const ready = await context.conn.http(key, '/health/ready');
    status.reachable = true;
    status.ready = ready.status === 200;
    const checks = (ready.body as { checks?: Record<string, { status?: string; ok?: boolean; detail?: string }> | Array<{ name: string; ok: boolean }> })?.checks;
    if (checks && typeof checks === 'object') {
      for (const [name, check] of Object.entries(checks)) {
        const failing = typeof check === 'object' && check !== null && ((check as { ok?: boolean }).ok === false || ((check as { status?: string }).status ?? 'up') !== 'up');
        if (failing) status.failingChecks.push((check as { name?: string }).name ?? name);
      }
    }
  } catch (error) {
    status.error = error instanceof CliError ? error.message : String(error);
    return status;
  }
  const [openapi, metrics] = await Promise.all([
    context.conn.http(key, '/openapi.json').catch(() => undefined),
    context.conn.http(key, '/metrics').catch(() => undefined),
  ]);
  status.version = (openapi?.body as { info?: { version?: string } } | undefined)?.info?.version;
  if (metrics && metrics.status === 200) {
    const depth = metricSamples(metrics.text, 'flowline_executor_ready_queue_depth');
    if (depth.length > 0) status.readyQueueDepth = depth.reduce((sum, sample) => sum + sample.value, 0);
    const age = metricSamples(metrics.text, 'flowline_executor_oldest_ready_age_seconds');
    if (age.length > 0) status.oldestReadyAgeSeconds = Math.max(...age.map((sample) => sample.value));
    status.consumerLag = metricSamples(metrics.text, 'flowline_consumer_lag').map((sample) => ({ group: sample.labels['group'] ?? '', topic: sample.labels['topic'] ?? '', lag: sample.value }));
    const outbox = metricSamples(metrics.text, 'flowline_outbox_lag_seconds');
    if (outbox.length > 0) status.outboxLagSeconds = Math.max(...outbox.map((sample) => sample.value));
  }
  return status;
}

async function status(context: Context): Promise<void> {
  const statuses = await Promise.all(SERVICES.map((key) => statusOf(context, key)));
  context.out.result({ ready: statuses.every((s) => s.ready), services: statuses }, () => {
    context.out.table(
      ['service', 'url', 'health', 'version', 'queue', 'consumer lag', 'outbox lag'],
      statuses.map((s) => [
        s.service,
        s.url,
        !s.reachable ? 'unreachable' : s.ready ? 'ready' : `not ready${s.failingChecks.length ? ` (${s.failingChecks.join(', ')})` : ''}`,
        s.version,
        s.readyQueueDepth === undefined ? '' : `${s.readyQueueDepth} ready${s.oldestReadyAgeSeconds ? `, oldest ${Math.round(s.oldestReadyAgeSeconds)}s` : ''}`,
        s.consumerLag.length ? String(s.consumerLag.reduce((sum, lag) => sum + lag.lag, 0)) : '',
        s.outboxLagSeconds === undefined ? '' : `${s.outboxLagSeconds.toFixed(1)}s`,
      ]),
    );
    for (const s of statuses) if (s.error) context.out.note(s.error);
  });
  if (statuses.some((s) => !s.reachable)) throw new CliError('', ExitCode.unreachable, 'UNREACHABLE');
  if (statuses.some((s) => !s.ready)) throw new CliError('', ExitCode.failed, 'NOT_READY');
}

export function statusCommand(program: Command): void {
  program
    .command('status')
    .description("every service's readiness, version, ready-queue depth and consumer lag; exit 0 when all are ready, 1 when one is not, 3 when one cannot be reached")
    .action(withContext(status));
}
