/** Schedule metrics: firings by outcome, how late each started, and schedules by whether they are paused. */
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@flowline/service-kit';
import { ScheduleRepository } from './schedule-repository';

@Injectable()
export class ScheduleMetrics {
  /** fired, caught-up, buffered-fired, trigger-now, skipped-overlap, skipped-missed, buffered, failed. */
  readonly firings: Counter<'outcome'>;
  readonly lag: Histogram;
  readonly runsStarted: Counter;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry, repository: ScheduleRepository) {
    this.firings = new Counter({
      name: 'flowline_schedule_firings_total',
      help: 'Due times of schedules handled by this process, by outcome (fired, caught-up, buffered-fired, trigger-now, skipped-overlap, skipped-missed, buffered; failed: tried again later)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.lag = new Histogram({
      name: 'flowline_schedule_lag_seconds',
      help: 'How long after its due time (plus jitter) a schedule fired',
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
      registers: [registry],
    });
    this.runsStarted = new Counter({
      name: 'flowline_schedule_runs_started_total',
      help: 'Workflow runs (operations) started by schedule firings in this process',
      registers: [registry],
    });
    new Gauge({
      name: 'flowline_schedules',
      help: 'Schedules of active definition versions, by whether an operator paused them',
      labelNames: ['paused'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const { paused, count } of await repository.countByPaused()) this.set({ paused: String(paused) }, count);
      },
    });
  }
}
