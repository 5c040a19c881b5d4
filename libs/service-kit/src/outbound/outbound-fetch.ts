/**
 * `fetch` for calls Flowline makes on behalf of definitions and registrations (the `http`
 * custom activity, plug-in webhooks), guarded by the outbound policy. The check runs inside the
 * connection itself: a host name is resolved once, every address it resolves to is judged, and
 * only the allowed ones are connected to, so a name that changes its answer between a check and
 * the connection (DNS rebinding) cannot reach a refused address. Literal addresses and every
 * redirect hop go through the same connector.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Logger } from '@nestjs/common';
import { Agent, buildConnector, fetch as undiciFetch, type Dispatcher, type RequestInit, type Response } from 'undici';
import { OutboundPolicy } from './outbound-policy';

/** A call refused by the outbound policy: permanent, the message names the address and the setting to change. */
export class OutboundRefused extends Error {
  readonly code = 'OUTBOUND_REFUSED';
  constructor(
    /** The host name or address called. */
    readonly target: string,
    readonly address: string,
    readonly setting: 'OUTBOUND_ALLOW' | 'OUTBOUND_DENY',
    reason: string,
  ) {
    super(`outbound call to ${target} refused: ${reason}`);
    this.name = 'OutboundRefused';
  }
}

/** The OutboundRefused behind a failed fetch (undici wraps connection errors in `cause`). */
export function outboundRefusalOf(error: unknown): OutboundRefused | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof OutboundRefused) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** How names are resolved; tests pass their own to play a rebinding resolver. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true } satisfies LookupAllOptions, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** An undici dispatcher whose every connection is checked against `policy`. */
export function guardedDispatcher(policy: OutboundPolicy, resolver: Resolver = systemResolver): Dispatcher {
  const logger = new Logger('OutboundPolicy');
  const refuse = (target: string, address: string, decision: { reason: string; setting: 'OUTBOUND_ALLOW' | 'OUTBOUND_DENY' }) => {
    const error = new OutboundRefused(target, address, decision.setting, decision.reason);
    logger.warn(error.message);
    for (const listener of refusalListeners) listener(error);
    return error;
  };
  // A name is resolved here, judged, and only its allowed addresses are handed to the socket.
  const lookup = (name: string, options: { all?: boolean; family?: number | string }, done: LookupCallback): void => {
    resolver(name).then(
      (addresses) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const wanted = addresses.filter((entry) => !family || family === entry.family);
        const allowed = wanted.filter((entry) => policy.decide(entry.address, name).allowed);
        if (allowed.length === 0) {
          const first = wanted[0] ?? addresses[0];
          if (!first) return done(Object.assign(new Error(`${name} resolved to no address`), { code: 'ENOTFOUND' }), []);
          const decision = policy.decide(first.address, name);
          return done(
            refuse(
              name,
              first.address,
              decision.allowed ? { reason: `no allowed address for ${name}`, setting: 'OUTBOUND_ALLOW' } : decision,
            ),
            [],
          );
        }
        if (options.all) return done(null, allowed);
        done(null, allowed[0]!.address, allowed[0]!.family);
      },
      (error: NodeJS.ErrnoException) => done(error, []),
    );
  };
  const byName = buildConnector({ lookup: lookup as never });
  const byAddress = buildConnector({});
  return new Agent({
    connect: (options, callback) => {
      const hostname = options.hostname.startsWith('[') ? options.hostname.slice(1, -1) : options.hostname;
      if (!isIP(hostname)) return byName(options, callback);
      // A literal address never reaches a lookup: judged here.
      const decision = policy.decide(hostname);
      if (!decision.allowed) return callback(refuse(hostname, hostname, decision), null);
      return byAddress(options, callback);
    },
  });
}

const refusalListeners = new Set<(refusal: OutboundRefused) => void>();

/** Called with every refusal (the service's metrics count them). Returns the way to stop listening. */
export function onOutboundRefused(listener: (refusal: OutboundRefused) => void): () => void {
  refusalListeners.add(listener);
  return () => refusalListeners.delete(listener);
}

let current: { policy: OutboundPolicy; dispatcher: Dispatcher } | undefined;

/** Sets the process's outbound policy (OutboundPolicyModule does this from the service's settings). */
export function configureOutboundPolicy(policy: OutboundPolicy, resolver?: Resolver): void {
  const previous = current;
  current = { policy, dispatcher: guardedDispatcher(policy, resolver) };
  if (previous) void previous.dispatcher.close().catch(() => undefined);
}

/** The process's outbound policy; strict (public addresses only) until configured. */
export function outboundPolicy(): OutboundPolicy {
  if (!current) configureOutboundPolicy(OutboundPolicy.strict());
  return current!.policy;
}

/** `fetch` through the process's outbound policy. A refusal rejects with a TypeError whose cause is an OutboundRefused. */
export function outboundFetch(url: string, init: RequestInit = {}): Promise<Response> {
  if (!current) configureOutboundPolicy(OutboundPolicy.strict());
  return undiciFetch(url, { ...init, dispatcher: current!.dispatcher });
}
