/** Dead-letter metrics: letters stored (by original topic and reason code), actions taken, letters by status. */
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, type Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@flowline/service-kit';
import { DeadLettersRepository } from './dead-letters.repository';

@Injectable()
export class DeadLetterMetrics {
  readonly stored: Counter<'topic' | 'reason_code'>;
  readonly actions: Counter<'action'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry, repository: DeadLettersRepository) {
    this.stored = new Counter({
      name: 'flowline_dead_letters_stored_total',
      help: 'Dead letters stored by this process, by the topic they failed on and the reason code',
      labelNames: ['topic', 'reason_code'],
      registers: [registry],
    });
    this.actions = new Counter({
      name: 'flowline_dead_letter_actions_total',
      help: 'Operator actions on dead letters (edited, replayed, discarded) by this process',
      labelNames: ['action'],
      registers: [registry],
    });
    new Gauge({
      name: 'flowline_dead_letters',
      help: 'Dead letters kept, by status (pending, replayed, discarded)',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const { status, count } of await repository.countByStatus()) this.set({ status }, count);
      },
    });
  }
}
