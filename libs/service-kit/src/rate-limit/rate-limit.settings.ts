/** Settings of per-caller rate limits on a service's REST API (rate-limit.middleware.ts). */
import { z } from 'zod';

/** RATE_LIMIT_PER_MINUTE when unset. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 1200;

export const rateLimitSettings = {
  /** Requests one caller (token subject, or client address without a token) may make per minute on the REST API; 0 turns the limit off. */
  RATE_LIMIT_PER_MINUTE: z.coerce
    .number({ error: 'expected a whole number of requests per minute (0: no limit)' })
    .int({ error: 'expected a whole number of requests per minute (0: no limit)' })
    .min(0, { error: 'expected 0 (no limit) or more requests per minute' })
    .default(DEFAULT_RATE_LIMIT_PER_MINUTE),
  /**
   * Where the counters live: `memory` (each replica counts on its own) or `postgres` (the
   * `rate_limit` table of the service's own schema, shared by all its replicas).
   */
  RATE_LIMIT_STORE: z.enum(['memory', 'postgres'], { error: 'expected memory or postgres' }).default('memory'),
};

export type RateLimitConfig = z.infer<z.ZodObject<typeof rateLimitSettings>>;
