/** Applies the per-caller rate limit (rate-limit.middleware.ts) to every HTTP route of the service. */
import { Inject, Logger, Module, type DynamicModule, type MiddlewareConsumer, type NestModule, type OnModuleInit } from '@nestjs/common';
import { RATE_LIMIT_OPTIONS, RateLimitMiddleware, type RateLimitOptions } from './rate-limit.middleware';
import type { RateLimitConfig } from './rate-limit.settings';

@Module({})
export class RateLimitModule implements NestModule, OnModuleInit {
  constructor(@Inject(RATE_LIMIT_OPTIONS) private readonly options: RateLimitOptions) {}

  static forRoot(config: Pick<RateLimitConfig, 'RATE_LIMIT_PER_MINUTE'> & Partial<RateLimitConfig>): DynamicModule {
    return {
      module: RateLimitModule,
      providers: [
        {
          provide: RATE_LIMIT_OPTIONS,
          useValue: { perMinute: config.RATE_LIMIT_PER_MINUTE, store: config.RATE_LIMIT_STORE ?? 'memory' } satisfies RateLimitOptions,
        },
        RateLimitMiddleware,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RateLimitMiddleware).forRoutes('*');
  }

  onModuleInit(): void {
    new Logger('RateLimit').log(
      this.options.perMinute > 0
        ? `REST API: at most ${this.options.perMinute} requests a minute per caller (RATE_LIMIT_PER_MINUTE), counted ${this.options.store === 'postgres' ? 'in the rate_limit table, across all replicas' : 'in this process'} (RATE_LIMIT_STORE=${this.options.store})`
        : 'REST API: no per-caller rate limit (RATE_LIMIT_PER_MINUTE=0)',
    );
  }
}
