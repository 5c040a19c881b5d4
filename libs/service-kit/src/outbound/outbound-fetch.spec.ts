import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configureOutboundPolicy, guardedDispatcher, outboundFetch, outboundRefusalOf, type Resolver } from './outbound-fetch';
import { OutboundPolicy } from './outbound-policy';
import { fetch as undiciFetch } from 'undici';

/** Calls through the guarded connector against a real server on loopback. */
describe('outbound fetch', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/redirect-to-loopback') {
        response.writeHead(302, { location: `http://127.0.0.1:${port}/ok` });
        return void response.end();
      }
      response.end(`hello ${request.url}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    configureOutboundPolicy(OutboundPolicy.strict());
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const refusalOf = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    const refusal = outboundRefusalOf(error);
    expect(refusal).toBeDefined();
    return refusal!;
  };

  it('refuses a loopback address by default, before any byte is sent', async () => {
    configureOutboundPolicy(OutboundPolicy.strict());
    const refusal = await refusalOf(outboundFetch(`http://127.0.0.1:${port}/ok`));
    expect(refusal.address).toBe('127.0.0.1');
    expect(refusal.setting).toBe('OUTBOUND_ALLOW');
    expect(refusal.message).toContain('127.0.0.1 is a loopback address');
  });

  it('judges the address a name resolves to: localhost is refused like 127.0.0.1', async () => {
    configureOutboundPolicy(OutboundPolicy.strict());
    const refusal = await refusalOf(outboundFetch(`http://localhost:${port}/ok`));
    expect(refusal.message).toMatch(/localhost \((127\.0\.0\.1|::1)\) is a loopback address/);
  });

  it('refuses IPv6 loopback and IPv4-mapped loopback literals', async () => {
    configureOutboundPolicy(OutboundPolicy.strict());
    expect((await refusalOf(outboundFetch(`http://[::1]:${port}/ok`))).address).toBe('::1');
    expect((await refusalOf(outboundFetch(`http://[::ffff:127.0.0.1]:${port}/ok`))).message).toContain('loopback');
  });

  it('calls loopback once OUTBOUND_ALLOW includes it', async () => {
    configureOutboundPolicy(new OutboundPolicy({ allow: 'loopback' }));
    const response = await outboundFetch(`http://127.0.0.1:${port}/ok`);
    expect(await response.text()).toBe('hello /ok');
  });

  it('a redirect to a refused address is refused (every hop is checked)', async () => {
    // The first hop is allowed by name; the redirect goes to a literal loopback address.
    const dispatcher = guardedDispatcher(new OutboundPolicy({ allow: 'hooks.test' }), async () => [{ address: '127.0.0.1', family: 4 }]);
    const refusal = await refusalOf(undiciFetch(`http://hooks.test:${port}/redirect-to-loopback`, { dispatcher }));
    expect(refusal.address).toBe('127.0.0.1');
    await dispatcher.close();
  });

  it('DNS rebinding: the address connected to is the one judged, whatever an earlier answer was', async () => {
    // A resolver that first answers a public address, then loopback (what a rebinding name does).
    const answers = ['93.184.216.34', '127.0.0.1'];
    const rebinding: Resolver = async () => [{ address: answers.shift() ?? '127.0.0.1', family: 4 }];
    // An application-level pre-check would have seen 93.184.216.34; the connection resolves again and is refused.
    expect(OutboundPolicy.strict().decide((await rebinding('rebind.test'))[0]!.address).allowed).toBe(true);
    const dispatcher = guardedDispatcher(OutboundPolicy.strict(), rebinding);
    const refusal = await refusalOf(undiciFetch(`http://rebind.test:${port}/ok`, { dispatcher }));
    expect(refusal.message).toContain('rebind.test (127.0.0.1) is a loopback address');
    await dispatcher.close();
  });

  it('connects to the allowed address the name resolved to (mixed answers keep only allowed ones)', async () => {
    const resolver: Resolver = async () => [
      { address: '169.254.169.254', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    const dispatcher = guardedDispatcher(new OutboundPolicy({ allow: '127.0.0.0/8' }), resolver);
    const response = await undiciFetch(`http://named.test:${port}/via-name`, { dispatcher });
    expect(await response.text()).toBe('hello /via-name');
    await dispatcher.close();
  });

  it('OUTBOUND_DENY refuses an otherwise allowed address and names the setting', async () => {
    configureOutboundPolicy(new OutboundPolicy({ allow: 'loopback', deny: '127.0.0.1' }));
    const refusal = await refusalOf(outboundFetch(`http://127.0.0.1:${port}/ok`));
    expect(refusal.setting).toBe('OUTBOUND_DENY');
    expect(refusal.message).toContain('OUTBOUND_DENY');
  });
});
