/**
 * Which addresses Flowline may call out to (the `http` custom activity, plug-in webhooks).
 * Public unicast addresses are allowed; loopback, link-local, private and every other
 * special-purpose range (IPv4 and IPv6, an IPv4-mapped IPv6 address judged as the IPv4 it
 * carries) are refused unless OUTBOUND_ALLOW names them. OUTBOUND_DENY refuses whatever it names,
 * public or not, and wins over OUTBOUND_ALLOW. Entries are CIDRs (10.0.0.0/8, fd00::/8), single
 * addresses, host names (hooks.internal, *.svc.cluster.local), or range names (loopback, private,
 * linkLocal, uniqueLocal, carrierGradeNat, ...; `any` for every address). The decision is made on
 * the address actually connected to (outbound-fetch.ts), so a name that resolves to a refused
 * address is refused however it is spelled.
 */
import * as ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

type Entry =
  | { kind: 'cidr'; text: string; range: [Address, number] }
  | { kind: 'range'; text: string; name: string }
  | { kind: 'host'; text: string; host: string; wildcard: boolean }
  | { kind: 'any'; text: string };

/** The ranges ipaddr.js names, as written in settings (case-insensitive). */
const RANGE_NAMES = [
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'loopback',
  'carrierGradeNat',
  'private',
  'reserved',
  'uniqueLocal',
  'ipv4Mapped',
  'rfc6145',
  'rfc6052',
  '6to4',
  'teredo',
  'benchmarking',
  'amt',
  'as112',
  'as112v6',
  'deprecated',
  'orchid2',
  'droneRemoteIdProtocolEntityTags',
] as const;
const RANGE_BY_LOWER = new Map<string, string>(RANGE_NAMES.map((name) => [name.toLowerCase(), name]));

/** Plain words for the refusal message. */
const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  linkLocal: 'a link-local address (cloud metadata services live here)',
  uniqueLocal: 'a unique-local (private IPv6) address',
  unspecified: 'the unspecified address',
  carrierGradeNat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
};

export class OutboundSettingError extends Error {
  constructor(
    readonly setting: string,
    readonly entry: string,
  ) {
    super(
      `${setting}: '${entry}' is not a CIDR (10.0.0.0/8), an address, a host name (hooks.example.com, *.example.com) or a range name (${['any', ...RANGE_NAMES].join(', ')})`,
    );
    this.name = 'OutboundSettingError';
  }
}

function parseEntries(setting: string, value: string | undefined): Entry[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((text): Entry => {
      const lower = text.toLowerCase();
      if (lower === 'any' || lower === '*') return { kind: 'any', text };
      const range = RANGE_BY_LOWER.get(lower);
      if (range) return { kind: 'range', text, name: range };
      if (text.includes('/')) {
        try {
          return { kind: 'cidr', text, range: ipaddr.parseCIDR(text) };
        } catch {
          throw new OutboundSettingError(setting, text);
        }
      }
      if (ipaddr.isValid(text)) {
        const address = ipaddr.process(text);
        return { kind: 'cidr', text, range: [address, address.kind() === 'ipv4' ? 32 : 128] };
      }
      const wildcard = lower.startsWith('*.');
      const host = normaliseHost(wildcard ? lower.slice(2) : lower);
      if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(host))
        throw new OutboundSettingError(setting, text);
      return { kind: 'host', text, host, wildcard };
    });
}

function normaliseHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare.toLowerCase().replace(/\.$/, '');
}

export type OutboundDecision = { allowed: true } | { allowed: false; reason: string; setting: 'OUTBOUND_ALLOW' | 'OUTBOUND_DENY' };

export interface OutboundPolicySettings {
  /** OUTBOUND_ALLOW: what may be called beyond public addresses. */
  allow?: string;
  /** OUTBOUND_DENY: what is never called, public or not. */
  deny?: string;
}

export class OutboundPolicy {
  private readonly allow: Entry[];
  private readonly deny: Entry[];

  constructor(settings: OutboundPolicySettings = {}) {
    this.allow = parseEntries('OUTBOUND_ALLOW', settings.allow);
    this.deny = parseEntries('OUTBOUND_DENY', settings.deny);
  }

  /** The strict default: public unicast addresses only. */
  static strict(): OutboundPolicy {
    return new OutboundPolicy();
  }

  /**
   * May Flowline connect to `address` (an IP address, as resolved) for a URL whose host is `host`?
   * A refusal names the address, why, and the setting that would change it.
   */
  decide(address: string, host: string = address): OutboundDecision {
    if (!ipaddr.isValid(address)) return { allowed: false, reason: `'${address}' is not an IP address`, setting: 'OUTBOUND_ALLOW' };
    const ip = ipaddr.process(address);
    const hostName = ipaddr.isValid(normaliseHost(host)) ? ip.toString() : normaliseHost(host);
    const range = ip.range();
    const shown = hostName === ip.toString() || hostName === address ? ip.toString() : `${hostName} (${ip.toString()})`;
    const denied = this.deny.find((entry) => matches(entry, ip, range, hostName));
    if (denied)
      return {
        allowed: false,
        reason: `${shown} is refused by OUTBOUND_DENY (${denied.text}); remove it from OUTBOUND_DENY to allow the call`,
        setting: 'OUTBOUND_DENY',
      };
    if (range === 'unicast') return { allowed: true };
    if (this.allow.some((entry) => matches(entry, ip, range, hostName))) return { allowed: true };
    const what = RANGE_WORDS[range] ?? `in the special-purpose range '${range}'`;
    const suggestion = ip.kind() === 'ipv4' ? `${ip.toString()}/32` : `${ip.toString()}/128`;
    return {
      allowed: false,
      reason: `${shown} is ${what}, which Flowline does not call unless OUTBOUND_ALLOW includes it (e.g. OUTBOUND_ALLOW=${suggestion}, or ${range}${hostName !== ip.toString() ? `, or ${hostName}` : ''})`,
      setting: 'OUTBOUND_ALLOW',
    };
  }

  /** One line for the start-up log. */
  describe(): string {
    const allow = this.allow.map((entry) => entry.text).join(', ');
    const deny = this.deny.map((entry) => entry.text).join(', ');
    return `public addresses${allow ? ` and ${allow}` : ''}${deny ? `, except ${deny}` : ''}`;
  }
}

function matches(entry: Entry, ip: Address, range: string, host: string): boolean {
  switch (entry.kind) {
    case 'any':
      return true;
    case 'range':
      return range === entry.name || (entry.name === 'private' && range === 'uniqueLocal');
    case 'cidr':
      return ip.kind() === entry.range[0].kind() && ip.match(entry.range);
    case 'host':
      return host === entry.host || (entry.wildcard && host.endsWith(`.${entry.host}`));
  }
}
