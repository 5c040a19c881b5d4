/**
 * Per-caller rate limit on a service's REST API: at most RATE_LIMIT_PER_MINUTE requests per
 * caller in each minute, the caller being the verified token's subject, or the client address
 * when the request carries no valid token (so a flood of bad tokens is limited too). A refusal
 * is 429 RATE_LIMITED in the documented error shape with a `Retry-After` header (seconds).
 * It runs as middleware, before the auth guard, so that refused tokens are counted too (the
 * token is verified here with the service's own verifier; HS256 and cached JWKS keys make that
 * cheap). Health and metrics endpoints are never limited (probes and scrapers), nor is gRPC.
 * The client address is the connection's unless TRUST_PROXY says whose X-Forwarded-For to believe.
 * Counters live in the process (RATE_LIMIT_STORE=memory: each replica counts on its own) or in
 * the service's `rate_limit` table (RATE_LIMIT_STORE=postgres: one count across all replicas,
 * one upsert per request). When the database cannot be reached, an in-process limiter counts
 * instead (rate-limiter-flexible's insurance limiter), so requests are neither refused nor
 * let through unlimited because of it.
 */
import { Inject, Injectable, Logger, Optional, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { bearerToken, TokenVerifier } from '@flowline/auth';
import { FlowlineError } from '@flowline/rpc';
import { TOKEN_VERIFIER } from '../auth/auth.guard';
import { METRICS_REGISTRY } from '../health/tokens';
import { RATE_LIMIT_TABLE } from './rate-limit.migration';

export const RATE_LIMIT_OPTIONS = Symbol('RATE_LIMIT_OPTIONS');

export interface RateLimitOptions {
  perMinute: number;
  store: 'memory' | 'postgres';
}

export const RATE_LIMITED = 'RATE_LIMITED';

/** Paths never limited. */
const EXEMPT = /^\/(health|metrics)(\/|$)/;

/**
 * The in-process limiter rate-limiter-flexible asks only when the PostgreSQL store fails: says so
 * in the log (once a minute at most), so an operator knows counts are per replica for now.
 */
class InsuranceLimiter extends RateLimiterMemory {
  private lastWarning = 0;

  constructor(
    private readonly log: Logger,
    options: ConstructorParameters<typeof RateLimiterMemory>[0],
  ) {
    super(options);
  }

  override consume(...args: Parameters<RateLimiterMemory['consume']>): ReturnType<RateLimiterMemory['consume']> {
    const now = Date.now();
    if (now - this.lastWarning > 60_000) {
      this.lastWarning = now;
      this.log.warn('the rate_limit table cannot be reached: counting requests in this replica until it can (RATE_LIMIT_STORE=postgres)');
    }
    return super.consume(...args);
  }
}

@Injectable()
export class RateLimitMiddleware implements NestMiddleware {
  private readonly logger = new Logger('RateLimit');
  private readonly limiter: RateLimiterAbstract | undefined;
  private readonly refused: Counter | undefined;

  constructor(
    @Inject(RATE_LIMIT_OPTIONS) private readonly options: RateLimitOptions,
    @Optional() @Inject(TOKEN_VERIFIER) private readonly verifier?: TokenVerifier,
    @Optional() @Inject(METRICS_REGISTRY) registry?: Registry,
    @Optional() dataSource?: DataSource,
  ) {
    if (options.perMinute > 0) this.limiter = this.limiterFor(options, dataSource);
    if (registry)
      this.refused =
        (registry.getSingleMetric('flowline_http_rate_limited_total') as Counter | undefined) ??
        new Counter({
          name: 'flowline_http_rate_limited_total',
          help: 'REST requests refused with 429 because their caller went over RATE_LIMIT_PER_MINUTE',
          labelNames: ['caller_kind'],
          registers: [registry],
        });
  }

  private limiterFor(options: RateLimitOptions, dataSource: DataSource | undefined): RateLimiterAbstract {
    const memory = new RateLimiterMemory({ points: options.perMinute, duration: 60 });
    if (options.store === 'memory') return memory;
    const schema = (dataSource?.options as { schema?: string } | undefined)?.schema;
    if (!dataSource || !schema)
      throw new Error('RATE_LIMIT_STORE=postgres needs the service database (ServiceDatabaseModule) with its own schema');
    return new RateLimiterPostgres({
      storeClient: dataSource,
      storeType: 'typeorm',
      schemaName: schema,
      tableName: RATE_LIMIT_TABLE,
      // Created by the service's migrations (RateLimitCounters1796200000000), never by the library.
      tableCreated: true,
      points: options.perMinute,
      duration: 60,
      insuranceLimiter: new InsuranceLimiter(this.logger, { points: options.perMinute, duration: 60 }),
    });
  }

  async use(request: Request, response: Response, next: NextFunction): Promise<void> {
    if (!this.limiter || EXEMPT.test(new URL(request.originalUrl || request.url, 'http://x').pathname)) return next();
    const caller = await this.callerOf(request);
    try {
      await this.limiter.consume(caller.key);
    } catch (result) {
      if (!(result instanceof RateLimiterRes)) return next(result);
      const retryAfterSeconds = Math.max(1, Math.ceil(result.msBeforeNext / 1000));
      response.setHeader('Retry-After', String(retryAfterSeconds));
      this.refused?.inc({ caller_kind: caller.kind });
      // One line per caller and minute, not one per refused request.
      if (result.consumedPoints === this.options.perMinute + 1)
        this.logger.warn(
          `${caller.shown} went over RATE_LIMIT_PER_MINUTE=${this.options.perMinute}; refusing its requests for ${retryAfterSeconds} s`,
        );
      return next(
        new FlowlineError(
          'RESOURCE_EXHAUSTED',
          RATE_LIMITED,
          `too many requests from ${caller.shown}: at most ${this.options.perMinute} a minute (RATE_LIMIT_PER_MINUTE); try again in ${retryAfterSeconds} s`,
        ),
      );
    }
    next();
  }

  private async callerOf(request: Request): Promise<{ key: string; kind: 'subject' | 'address'; shown: string }> {
    let subject: string | undefined;
    if (this.verifier && request.headers.authorization) {
      try {
        subject = (await this.verifier.verify(bearerToken(request.headers.authorization))).subject;
      } catch {
        // No valid token: counted by address (the auth guard refuses it on its own).
      }
    }
    if (subject) return { key: `subject:${subject}`, kind: 'subject', shown: `caller '${subject}'` };
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    return { key: `address:${address}`, kind: 'address', shown: `address ${address}` };
  }
}
