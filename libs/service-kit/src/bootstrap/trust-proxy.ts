/**
 * TRUST_PROXY: whether a service believes the X-Forwarded-For header, with Express's
 * `trust proxy` semantics. Off by default: the client is the address the connection comes
 * from, so nobody can choose the address the rate limiter counts them by (or the one logs
 * show) by sending a header. Behind a load balancer or ingress, set it to what is in front:
 * a hop count (`1`: the one proxy in front), `loopback`, `linklocal`, `uniquelocal`, or a
 * comma-separated list of addresses and CIDR ranges of the proxies. Then `request.ip` is the
 * address the first untrusted hop reported.
 */
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import * as ipaddr from 'ipaddr.js';
import { z } from 'zod';

/** What Express's `trust proxy` takes: false (off), a hop count, or the trusted proxies. */
export type TrustProxy = false | number | string[];

const NAMED = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(entry: string): boolean {
  if (NAMED.has(entry)) return true;
  if (entry.includes('/')) {
    try {
      ipaddr.parseCIDR(entry);
      return true;
    } catch {
      return false;
    }
  }
  return ipaddr.isValid(entry);
}

/** TRUST_PROXY's text as Express's setting, or an Error naming the entry that is wrong. */
export function parseTrustProxy(text: string | undefined): TrustProxy {
  const value = (text ?? '').trim().toLowerCase();
  if (value === '' || value === 'false' || value === 'off' || value === '0') return false;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const wrong = entries.find((entry) => !isAddressOrRange(entry));
  if (wrong !== undefined)
    throw new Error(`'${wrong}' is not a hop count, loopback, linklocal, uniquelocal, an IP address or a CIDR range`);
  return entries;
}

export const trustProxySettings = {
  /** Whose X-Forwarded-For to believe (Express `trust proxy`): off, a hop count, loopback, or addresses and CIDR ranges. */
  TRUST_PROXY: z
    .string()
    .optional()
    .superRefine((value, context) => {
      try {
        parseTrustProxy(value);
      } catch (error) {
        context.addIssue({
          code: 'custom',
          message: `expected off, a hop count, or a comma-separated list of loopback, linklocal, uniquelocal, addresses and CIDR ranges (${(error as Error).message})`,
        });
      }
    }),
};

/** Applies the setting to the application's Express instance. */
export function applyTrustProxy(app: INestApplication, setting: TrustProxy): void {
  (app as NestExpressApplication).set('trust proxy', setting);
}

/** For the start-up log. */
export function describeTrustProxy(setting: TrustProxy): string {
  if (setting === false) return 'X-Forwarded-For is ignored: clients are the addresses connections come from (TRUST_PROXY off)';
  if (typeof setting === 'number') return `X-Forwarded-For is believed for ${setting} proxy hop(s) (TRUST_PROXY=${setting})`;
  return `X-Forwarded-For is believed from ${setting.join(', ')} (TRUST_PROXY)`;
}
