/**
 * Prometheus metrics of sessions, on the service's /metrics:
 * - flowline_session_sessions_total{status}: sessions that reached a status in this process
 *   (in_progress when started, then completed, canceled or failed);
 * - flowline_session_sessions_current{state,status}: sessions stored, counted at each scrape;
 * - flowline_session_page_submissions_total{outcome}: page submits accepted, refused as invalid, or replayed.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ProcessSessionStatus } from '@flowline/contracts';
import { METRICS_REGISTRY } from '@flowline/service-kit';
import { SessionStore } from './session-store';
import { STATE_NAMES, STATUS_NAMES } from './session-view';

const labelOf = (name: string | undefined, fallback: number): string => (name ?? String(fallback)).toLowerCase().replace(/\s+/g, '_');

@Injectable()
export class SessionMetrics {
  private readonly logger = new Logger('SessionMetrics');
  private readonly sessions: Counter<'status'>;
  private readonly submissions: Counter<'outcome'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry, store: SessionStore) {
    this.sessions = new Counter({
      name: 'flowline_session_sessions_total',
      help: 'Dialog sessions that reached each status in this process (in_progress when started)',
      labelNames: ['status'],
      registers: [registry],
    });
    this.submissions = new Counter({
      name: 'flowline_session_page_submissions_total',
      help: 'Page submits by outcome: accepted, invalid (answers refused) or replayed (a repeat acted once)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    const logger = this.logger;
    new Gauge({
      name: 'flowline_session_sessions_current',
      help: 'Dialog sessions stored, by state and status',
      labelNames: ['state', 'status'],
      registers: [registry],
      async collect() {
        try {
          const counts = await store.countByStatus();
          this.reset();
          for (const { state, status, count } of counts)
            this.set({ state: labelOf(STATE_NAMES[state], state), status: labelOf(STATUS_NAMES[status], status) }, count);
        } catch (error) {
          // The database is down: readiness says so; the scrape still answers with the other metrics.
          logger.warn({ msg: `could not count sessions for metrics: ${String(error)}` });
        }
      },
    });
  }

  reached(status: ProcessSessionStatus): void {
    this.sessions.inc({ status: labelOf(STATUS_NAMES[status], status) });
  }

  submitted(outcome: 'accepted' | 'invalid' | 'replayed'): void {
    this.submissions.inc({ outcome });
  }
}
