/** Registers the per-caller rate limit (rate-limit.guard.ts) on every HTTP route of the service. */
import { Logger, Module, type DynamicModule, type OnModuleInit, Inject } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RATE_LIMIT_OPTIONS, RateLimitGuard, type RateLimitOptions } from './rate-limit.guard';
import type { RateLimitConfig } from './rate-limit.settings';

@Module({})
export class RateLimitModule implements OnModuleInit {
  constructor(@Inject(RATE_LIMIT_OPTIONS) private readonly options: RateLimitOptions) {}

  static forRoot(config: RateLimitConfig): DynamicModule {
    return {
      module: RateLimitModule,
      providers: [
        { provide: RATE_LIMIT_OPTIONS, useValue: { perMinute: config.RATE_LIMIT_PER_MINUTE } satisfies RateLimitOptions },
        { provide: APP_GUARD, useClass: RateLimitGuard },
      ],
    };
  }

  onModuleInit(): void {
    new Logger('RateLimit').log(
      this.options.perMinute > 0
        ? `REST API: at most ${this.options.perMinute} requests a minute per caller (RATE_LIMIT_PER_MINUTE)`
        : 'REST API: no per-caller rate limit (RATE_LIMIT_PER_MINUTE=0)',
    );
  }
}
