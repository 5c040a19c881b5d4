/**
 * Sets the process's outbound-call policy from the service's OUTBOUND_* settings and says in the
 * start-up log what outbound calls may reach.
 */
import { Logger, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { configureOutboundPolicy, outboundPolicy } from './outbound-fetch';
import { outboundPolicyOf, type OutboundConfig } from './outbound-settings';

@Module({})
export class OutboundPolicyModule implements OnModuleInit {
  static forRoot(config: OutboundConfig): DynamicModule {
    configureOutboundPolicy(outboundPolicyOf(config));
    return { module: OutboundPolicyModule };
  }

  onModuleInit(): void {
    new Logger('OutboundPolicy').log(`outbound calls (webhooks, http activities) may reach: ${outboundPolicy().describe()}`);
  }
}
