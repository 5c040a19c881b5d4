/**
 * Metrics for autoscaling and operators, on the service's Prometheus registry (/metrics):
 * queue depth, oldest ready age and in-progress count are read from the database when scraped
 * (the same for every replica, so KEDA or an HPA may read any of them); claims, completions and
 * step latency are counted by this process.
 */
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { METRICS_REGISTRY } from '@flowline/service-kit';

export type CompletionOutcome = 'succeeded' | 'failed' | 'canceled';

@Injectable()
export class ExecutorMetrics {
  readonly claims: Counter;
  readonly localQueue: Gauge;
  readonly completions: Counter<'outcome'>;
  readonly retries: Counter<'code'>;
  readonly dependencyWaits: Counter<'dependency'>;
  readonly steps: Histogram<'effect' | 'outcome'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry, @InjectDataSource() dataSource: DataSource) {
    const queue = async (): Promise<{ depth: number; oldest: number; inProgress: number }> => {
      const [row] = (await dataSource.query(
        `SELECT count(*) FILTER (WHERE "state" = 0 AND "postpone_until" <= now())::int AS depth,
                coalesce(extract(epoch FROM now() - min(greatest("created_on", "postpone_until")) FILTER (WHERE "state" = 0 AND "postpone_until" <= now())), 0)::float AS oldest,
                count(*) FILTER (WHERE "state" = 2)::int AS in_progress
           FROM "executor"."async_operation" WHERE "state" IN (0, 2)`,
      )) as Array<{ depth: number; oldest: number; in_progress: number }>;
      return { depth: row?.depth ?? 0, oldest: row?.oldest ?? 0, inProgress: row?.in_progress ?? 0 };
    };
    // One query per scrape serves the three gauges.
    let pending: Promise<{ depth: number; oldest: number; inProgress: number }> | undefined;
    const read = () => {
      pending ??= queue().finally(() => setTimeout(() => (pending = undefined), 0));
      return pending;
    };
    new Gauge({
      name: 'flowline_executor_ready_queue_depth',
      help: 'Operations Ready and due now, waiting for a worker (all replicas)',
      registers: [registry],
      async collect() {
        this.set((await read()).depth);
      },
    });
    new Gauge({
      name: 'flowline_executor_oldest_ready_age_seconds',
      help: 'How long the oldest due Ready operation has waited for a worker',
      registers: [registry],
      async collect() {
        this.set((await read()).oldest);
      },
    });
    new Gauge({
      name: 'flowline_executor_in_progress',
      help: 'Operations Locked by a worker (all replicas)',
      registers: [registry],
      async collect() {
        this.set((await read()).inProgress);
      },
    });
    this.localQueue = new Gauge({
      name: 'flowline_executor_local_queue',
      help: 'Operations this process claimed ahead of its free slots and has not started yet (WORKER_PREFETCH)',
      registers: [registry],
    });
    this.claims = new Counter({
      name: 'flowline_executor_claims_total',
      help: 'Operations claimed by this process',
      registers: [registry],
    });
    this.completions = new Counter({
      name: 'flowline_executor_completions_total',
      help: 'Operations this process finished, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.retries = new Counter({
      name: 'flowline_executor_retries_total',
      help: 'Transient failures put back for a retry, by error code',
      labelNames: ['code'],
      registers: [registry],
    });
    this.dependencyWaits = new Counter({
      name: 'flowline_executor_dependency_waits_total',
      help: 'Runs put back because a dependency was unavailable (waited out, not counted as retries or failures), by dependency',
      labelNames: ['dependency'],
      registers: [registry],
    });
    this.steps = new Histogram({
      name: 'flowline_executor_step_duration_seconds',
      help: 'Time to perform one effect of a workflow step (a record message, a child, a custom activity)',
      labelNames: ['effect', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }
}
