/**
 * The executor's recent health for the console's charts: every HEALTH_SAMPLE_MS (15 s unless set)
 * this replica reads the queue (operations by state, the oldest due Ready one), how many operations
 * completed and failed in the last minute, and the dispatcher's Kafka consumer lag, and keeps the
 * last hour of samples in memory. Queue figures and rates come from the database, so every replica
 * tells the same story; a replica that restarts starts an empty history (nothing is persisted).
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { ConsumerGroups } from '@flowline/contracts';
import { invalidArgument } from '@flowline/rpc';
import { METRICS_REGISTRY } from '@flowline/service-kit';

export const HEALTH_HISTORY_OPTIONS = Symbol('HEALTH_HISTORY_OPTIONS');

export interface HealthHistoryOptions {
  /** How often a sample is taken, in milliseconds. */
  sampleMs: number;
}

/** How far back the history reaches. */
export const HISTORY_SPAN_MS = 3_600_000;

export interface HealthSample {
  at: string;
  ready: number;
  /** Ready and due now (postpone_until passed): what waits for a worker. */
  readyDue: number;
  suspended: number;
  locked: number;
  oldestReadyAgeSeconds: number;
  /** Operations completed (any outcome) in the minute before the sample. */
  completedPerMinute: number;
  /** Of those, Failed. */
  failedPerMinute: number;
  /** Messages of flowline.pipeline-events.v1 the dispatcher's consumer group has not committed; null when unknown. */
  consumerLag: number | null;
}

/** `window` of GET /api/v1/health/history: 1m to 1h as `<n>m`, `<n>s` or `1h`; the whole hour when absent. */
export function historyWindowMs(window: string | undefined): number {
  if (window === undefined || window === '') return HISTORY_SPAN_MS;
  const match = /^(\d{1,4})(s|m|h)$/.exec(window);
  const ms = match ? Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'] : NaN;
  if (!(ms >= 60_000 && ms <= HISTORY_SPAN_MS))
    throw invalidArgument('HEALTH_WINDOW_INVALID', `window must be from 1m to 1h (such as 15m or 1h), got '${window}'`, [
      { field: 'window', description: 'expected a duration from 1m to 1h, such as 5m, 30m or 1h' },
    ]);
  return ms;
}

@Injectable()
export class HealthHistory implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HealthHistory');
  private readonly samples: HealthSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(METRICS_REGISTRY) private readonly metrics: Registry,
    @Inject(HEALTH_HISTORY_OPTIONS) readonly options: HealthHistoryOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.sampleSoon();
    this.timer = setInterval(() => this.sampleSoon(), this.options.sampleMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sampling;
  }

  /** The samples of the last `windowMs`, oldest first. */
  history(windowMs: number): HealthSample[] {
    const since = Date.now() - windowMs;
    return this.samples.filter((sample) => Date.parse(sample.at) >= since);
  }

  private sampleSoon(): void {
    // One sample at a time: a slow database makes samples sparser, never piles them up.
    if (this.sampling) return;
    this.sampling = this.sample()
      .catch((error: unknown) => this.logger.warn({ err: error }, `health sample skipped: ${(error as Error).message}`))
      .finally(() => (this.sampling = undefined));
  }

  private async sample(): Promise<void> {
    const [queue, rates, consumerLag] = await Promise.all([this.queue(), this.rates(), this.dispatcherLag()]);
    this.samples.push({ at: new Date().toISOString(), ...queue, ...rates, consumerLag });
    const keepAfter = Date.now() - HISTORY_SPAN_MS;
    while (this.samples.length > 0 && Date.parse(this.samples[0]!.at) < keepAfter) this.samples.shift();
  }

  /** Operations not yet completed, by state (IDX_async_operation_state_created: Completed ones are not read). */
  private async queue(): Promise<Pick<HealthSample, 'ready' | 'readyDue' | 'suspended' | 'locked' | 'oldestReadyAgeSeconds'>> {
    const [row] = (await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE "state" = 0)::int AS "ready",
              count(*) FILTER (WHERE "state" = 0 AND "postpone_until" <= now())::int AS "readyDue",
              count(*) FILTER (WHERE "state" = 1)::int AS "suspended",
              count(*) FILTER (WHERE "state" = 2)::int AS "locked",
              coalesce(extract(epoch FROM now() - min(greatest("created_on", "postpone_until"))
                FILTER (WHERE "state" = 0 AND "postpone_until" <= now())), 0)::float AS "oldestReadyAgeSeconds"
         FROM "executor"."async_operation" WHERE "state" IN (0, 1, 2)`,
    )) as Array<Pick<HealthSample, 'ready' | 'readyDue' | 'suspended' | 'locked' | 'oldestReadyAgeSeconds'>>;
    return row ?? { ready: 0, readyDue: 0, suspended: 0, locked: 0, oldestReadyAgeSeconds: 0 };
  }

  /** Completions of the last minute, by every replica (IDX_async_operation_completed_sequence). */
  private async rates(): Promise<Pick<HealthSample, 'completedPerMinute' | 'failedPerMinute'>> {
    const [row] = (await this.dataSource.query(
      `SELECT count(*)::int AS "completedPerMinute", count(*) FILTER (WHERE "status" = 31)::int AS "failedPerMinute"
         FROM "executor"."async_operation" WHERE "state" = 3 AND "completed_on" > now() - interval '1 minute'`,
    )) as Array<Pick<HealthSample, 'completedPerMinute' | 'failedPerMinute'>>;
    return row ?? { completedPerMinute: 0, failedPerMinute: 0 };
  }

  /** The dispatcher's lag as flowline_consumer_lag reads it (the whole group's, from the broker); null when unknown. */
  private async dispatcherLag(): Promise<number | null> {
    const metric = this.metrics.getSingleMetric('flowline_consumer_lag');
    if (!metric) return null;
    const { values } = await metric.get();
    const dispatcher = values.filter((value) => value.labels['group'] === ConsumerGroups.executorDispatcher);
    return dispatcher.length === 0 ? null : dispatcher.reduce((sum, value) => sum + value.value, 0);
  }
}
