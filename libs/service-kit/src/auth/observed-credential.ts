/**
 * The service's own credential as its clients use it, observed: every token it hands out or
 * fails to get is counted in `flowline_service_tokens_total{kind,outcome}`, and a failure is
 * logged once when it starts (with what to do) and once when tokens come again, not on every
 * call, so an issuer that refuses the client secret shows in the log at once.
 */
import { Logger } from '@nestjs/common';
import { Counter, type Registry } from 'prom-client';
import type { ServiceCredential } from '@flowline/auth';

export class ObservedCredential implements ServiceCredential {
  private readonly logger = new Logger('ServiceCredential');
  private readonly tokens: Counter | undefined;
  private failing = false;

  constructor(
    private readonly inner: ServiceCredential,
    registry?: Registry,
  ) {
    if (registry)
      this.tokens =
        (registry.getSingleMetric('flowline_service_tokens_total') as Counter | undefined) ??
        new Counter({
          name: 'flowline_service_tokens_total',
          help: 'Tokens this service got from its own credential for calls to other services, by credential kind and outcome',
          labelNames: ['kind', 'outcome'],
          registers: [registry],
        });
  }

  get kind(): ServiceCredential['kind'] {
    return this.inner.kind;
  }

  describe(): string {
    return this.inner.describe();
  }

  async token(): Promise<string> {
    try {
      const token = await this.inner.token();
      this.tokens?.inc({ kind: this.inner.kind, outcome: 'ok' });
      if (this.failing) {
        this.failing = false;
        this.logger.log(`tokens for calls to other services are available again (${this.inner.describe()})`);
      }
      return token;
    } catch (error) {
      this.tokens?.inc({ kind: this.inner.kind, outcome: 'failed' });
      if (!this.failing) {
        this.failing = true;
        this.logger.warn(`no token for calls to other services: ${error instanceof Error ? error.message : String(error)}`);
      }
      throw error;
    }
  }
}
