import { loadConfig, ConfigError } from '../config/config';
import { OutboundPolicy } from './outbound-policy';
import { outboundSettings } from './outbound-settings';

describe('outbound policy', () => {
  const strict = OutboundPolicy.strict();

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['2002:7f00:1::1', '6to4'],
    ['64:ff9b::7f00:1', 'rfc6052'],
  ])('refuses %s (%s) by default, naming the address and OUTBOUND_ALLOW', (address, range) => {
    const decision = strict.decide(address);
    expect(decision.allowed).toBe(false);
    if (decision.allowed) return;
    expect(decision.setting).toBe('OUTBOUND_ALLOW');
    expect(decision.reason).toContain('OUTBOUND_ALLOW');
    expect(decision.reason).toContain(range);
  });

  it('allows public unicast addresses, IPv4, IPv6 and IPv4-mapped', () => {
    for (const address of ['8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '93.184.216.34'])
      expect(strict.decide(address)).toEqual({ allowed: true });
  });

  it('names the host and the address it resolved to', () => {
    const decision = strict.decide('127.0.0.1', 'rebound.example.com');
    expect(decision.allowed || decision.reason).toContain('rebound.example.com (127.0.0.1) is a loopback address');
  });

  it('OUTBOUND_ALLOW takes range names, CIDRs, addresses and host names', () => {
    const policy = new OutboundPolicy({ allow: 'loopback, 10.0.0.0/8, fd12::/16, 192.168.7.7, hooks.internal, *.svc.cluster.local' });
    expect(policy.decide('127.0.0.1').allowed).toBe(true);
    expect(policy.decide('::1').allowed).toBe(true);
    expect(policy.decide('::ffff:127.0.0.1').allowed).toBe(true);
    expect(policy.decide('10.200.0.1').allowed).toBe(true);
    expect(policy.decide('::ffff:10.200.0.1').allowed).toBe(true);
    expect(policy.decide('fd12::5').allowed).toBe(true);
    expect(policy.decide('fd13::5').allowed).toBe(false);
    expect(policy.decide('192.168.7.7').allowed).toBe(true);
    expect(policy.decide('192.168.7.8').allowed).toBe(false);
    expect(policy.decide('172.16.0.9', 'hooks.internal').allowed).toBe(true);
    expect(policy.decide('172.16.0.9', 'a.b.svc.cluster.local').allowed).toBe(true);
    expect(policy.decide('172.16.0.9', 'svc.cluster.local.evil.com').allowed).toBe(false);
    expect(policy.decide('169.254.169.254').allowed).toBe(false);
  });

  it('`private` covers IPv6 unique-local addresses too; `any` allows every address', () => {
    expect(new OutboundPolicy({ allow: 'private' }).decide('fd00::1').allowed).toBe(true);
    expect(new OutboundPolicy({ allow: 'any' }).decide('169.254.169.254').allowed).toBe(true);
  });

  it('OUTBOUND_DENY wins over OUTBOUND_ALLOW and refuses public addresses too', () => {
    const policy = new OutboundPolicy({ allow: 'any', deny: '203.0.113.0/24, 8.8.8.8, blocked.example.com, linkLocal' });
    const decision = policy.decide('8.8.8.8');
    expect(decision).toMatchObject({ allowed: false, setting: 'OUTBOUND_DENY' });
    expect(decision.allowed || decision.reason).toContain('8.8.8.8 is refused by OUTBOUND_DENY (8.8.8.8)');
    expect(policy.decide('::ffff:8.8.8.8').allowed).toBe(false);
    expect(policy.decide('1.1.1.1', 'blocked.example.com').allowed).toBe(false);
    expect(policy.decide('169.254.169.254').allowed).toBe(false);
    expect(policy.decide('1.1.1.1').allowed).toBe(true);
  });

  it('settings are validated at start-up with the setting named', () => {
    expect(loadConfig('t', outboundSettings, { OUTBOUND_ALLOW: 'loopback,10.0.0.0/8' })).toEqual({ OUTBOUND_ALLOW: 'loopback,10.0.0.0/8' });
    expect(() => loadConfig('t', outboundSettings, { OUTBOUND_ALLOW: '10.0.0.0/99' })).toThrow(ConfigError);
    expect(() => loadConfig('t', outboundSettings, { OUTBOUND_DENY: 'not a host!' })).toThrow(/OUTBOUND_DENY .*'not a host!'/);
  });
});
