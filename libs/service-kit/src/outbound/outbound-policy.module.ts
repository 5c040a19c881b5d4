/**
 * Sets the process's outbound-call policy from the service's OUTBOUND_* settings, says in the
 * start-up log what outbound calls may reach, and counts refusals in
 * `flowline_outbound_refused_total{setting}`.
 */
import { Inject, Logger, Module, Optional, type DynamicModule, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Counter, type Registry } from 'prom-client';
import { METRICS_REGISTRY } from '../health/tokens';
import { configureOutboundPolicy, onOutboundRefused, outboundPolicy } from './outbound-fetch';
import { outboundPolicyOf, type OutboundConfig } from './outbound-settings';

@Module({})
export class OutboundPolicyModule implements OnModuleInit, OnModuleDestroy {
  private stopListening: (() => void) | undefined;

  constructor(@Optional() @Inject(METRICS_REGISTRY) private readonly registry?: Registry) {}

  static forRoot(config: OutboundConfig): DynamicModule {
    configureOutboundPolicy(outboundPolicyOf(config));
    return { module: OutboundPolicyModule };
  }

  onModuleInit(): void {
    new Logger('OutboundPolicy').log(`outbound calls (webhooks, http activities) may reach: ${outboundPolicy().describe()}`);
    if (!this.registry) return;
    const refused = new Counter({
      name: 'flowline_outbound_refused_total',
      help: 'outbound calls (webhooks, http activities) refused by the outbound policy, by the setting that refused them',
      labelNames: ['setting'],
      registers: [this.registry],
    });
    this.stopListening = onOutboundRefused((refusal) => refused.inc({ setting: refusal.setting }));
  }

  onModuleDestroy(): void {
    this.stopListening?.();
  }
}
