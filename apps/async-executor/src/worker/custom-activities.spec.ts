import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configureOutboundPolicy, OutboundPolicy } from '@flowline/service-kit';
import { CUSTOM_ACTIVITY_HANDLERS, runCustomActivity } from './custom-activities';

describe('built-in custom activities', () => {
  let server: Server;
  let url = '';
  const bodies: string[] = [];
  beforeAll(async () => {
    // The test server listens on loopback, which the outbound policy refuses unless allowed.
    configureOutboundPolicy(new OutboundPolicy({ allow: 'loopback' }));
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        bodies.push(body);
        const status = Number((request.url ?? '').split('/')[1]) || 200;
        if (request.url === '/slow') return void setTimeout(() => response.end('late'), 400);
        response.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'text/plain' });
        response.end(
          status === 200 ? JSON.stringify({ echoed: body ? JSON.parse(body) : null, key: request.headers['idempotency-key'] }) : 'nope',
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    configureOutboundPolicy(OutboundPolicy.strict());
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const http = (inputs: Record<string, unknown>) =>
    runCustomActivity({ handler: 'http', inputs: inputs as never, idempotencyKey: 'op-1:step', correlationId: 'c' });

  it('calls a URL with the body as JSON and the idempotency key, and answers status and parsed body', async () => {
    expect(await http({ url: `${url}/200`, body: { a: 1 } })).toEqual({
      ok: true,
      output: { status: 200, body: { echoed: { a: 1 }, key: 'op-1:step' } },
    });
  });

  it('classifies failures explicitly', async () => {
    expect(await http({ url: `${url}/503` })).toMatchObject({ ok: false, transient: true, code: 'HTTP_503' });
    expect(await http({ url: `${url}/429` })).toMatchObject({ ok: false, transient: true, code: 'HTTP_429' });
    expect(await http({ url: `${url}/404` })).toMatchObject({
      ok: false,
      transient: false,
      code: 'HTTP_404',
      message: expect.stringContaining('answered 404: nope'),
    });
    expect(await http({ url: `${url}/slow`, timeoutMs: 100 })).toMatchObject({ ok: false, transient: true, code: 'HTTP_TIMEOUT' });
    expect(await http({ url: 'http://127.0.0.1:1/' })).toMatchObject({ ok: false, transient: true, code: 'HTTP_UNREACHABLE' });
    expect(await http({ url: 'ftp://example' })).toMatchObject({ ok: false, transient: false, code: 'INVALID_INPUT' });
    expect(await http({ url: `${url}/200`, method: 'TRACE' })).toMatchObject({ ok: false, transient: false, code: 'INVALID_INPUT' });
  });

  it('refuses a loopback or link-local URL permanently under the strict default, naming the address and the setting', async () => {
    configureOutboundPolicy(OutboundPolicy.strict());
    try {
      const before = bodies.length;
      expect(await http({ url: `${url}/200`, body: { a: 1 } })).toMatchObject({
        ok: false,
        transient: false,
        code: 'OUTBOUND_REFUSED',
        message: expect.stringMatching(/127\.0\.0\.1 is a loopback address.*OUTBOUND_ALLOW/),
      });
      expect(bodies.length).toBe(before);
      expect(await http({ url: 'http://169.254.169.254/latest/meta-data/' })).toMatchObject({
        ok: false,
        transient: false,
        code: 'OUTBOUND_REFUSED',
        message: expect.stringContaining('link-local'),
      });
      expect(await http({ url: `http://localhost:${new URL(url).port}/200` })).toMatchObject({ code: 'OUTBOUND_REFUSED' });
    } finally {
      configureOutboundPolicy(new OutboundPolicy({ allow: 'loopback' }));
    }
  });

  it('refuses an unknown handler, naming the known ones', async () => {
    expect(CUSTOM_ACTIVITY_HANDLERS).toEqual(['http', 'noop']);
    expect(await runCustomActivity({ handler: 'sftp', inputs: {}, idempotencyKey: 'k', correlationId: 'c' })).toEqual({
      ok: false,
      transient: false,
      code: 'UNKNOWN_HANDLER',
      message: "no custom activity handler 'sftp' is built into the executor; known handlers: http, noop",
    });
  });
});
