import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { configureOutboundPolicy, OutboundPolicy } from '@flowline/service-kit';
import { StepRefusal, type ExecutionContext } from './execution-context';
import { callWebhook, SIGNATURE_HEADER, signBody, standardWebhookHeaders } from './webhook-step';

const context: ExecutionContext = {
  messageName: 'Update',
  primaryEntityName: 'account',
  primaryEntityId: 'a1',
  stage: 40,
  mode: 1,
  depth: 1,
  correlationId: 'c1',
  initiatingUserId: 'alice',
  inputParameters: { Target: { name: 'Contoso' } },
  outputParameters: {},
  sharedVariables: {},
  preEntityImages: {},
  postEntityImages: {},
  operationCreatedOn: '2026-11-25T10:00:00.000Z',
};

describe('webhook steps', () => {
  let server: Server;
  let url = '';
  const seen: Array<{ path: string; body: string; headers: Record<string, unknown> }> = [];
  beforeAll(async () => {
    // The test server listens on loopback, which the outbound policy refuses unless allowed.
    configureOutboundPolicy(new OutboundPolicy({ allow: 'loopback' }));
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        seen.push({ path: request.url ?? '', body, headers: request.headers });
        const [, kind] = (request.url ?? '').split('/');
        if (kind === 'slow') return void setTimeout(() => response.end('{}'), 500);
        const status = Number(kind) || 200;
        response.writeHead(status, { 'content-type': 'application/json' });
        if (kind === 'text') return void response.end('not json');
        if (kind === 'cancel') return void response.end(JSON.stringify({ cancel: { message: 'no thanks' } }));
        response.end(status === 200 ? JSON.stringify({ target: { accountnumber: 'A-1' }, sharedVariables: { x: 1 } }) : 'broken');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    configureOutboundPolicy(OutboundPolicy.strict());
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const call = (path: string, timeoutMs = 2000, secret = 'k') =>
    callWebhook(
      {
        stepName: 'notify',
        stepId: 's1',
        url: `${url}${path}`,
        timeoutMs,
        secret,
        unsecureConfiguration: '{}',
        idempotencyKey: 'op-1',
      },
      context,
    );
  const refusal = async (path: string, timeoutMs?: number): Promise<StepRefusal> => {
    const error = await call(path, timeoutMs).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StepRefusal);
    return error as StepRefusal;
  };

  it('posts the context signed with HMAC-SHA256 and the idempotency key, and reads the answer', async () => {
    const outcome = await call('/200');
    expect(outcome).toEqual({ targetChanges: { accountnumber: 'A-1' }, sharedVariables: { x: 1 } });
    const request = seen.at(-1)!;
    expect(request.headers[SIGNATURE_HEADER]).toBe(signBody('k', request.body));
    expect(request.headers['idempotency-key']).toBe('op-1');
    expect(JSON.parse(request.body)).toMatchObject({ stepId: 's1', stepName: 'notify', context: { primaryEntityId: 'a1' } });
  });

  it('classifies failures: unreachable, timeouts, 5xx and 429 are transient; 4xx, bad answers and cancels are not', async () => {
    expect((await refusal('/503')).transient).toBe(true);
    expect((await refusal('/429')).transient).toBe(true);
    expect((await refusal('/slow', 100)).transient).toBe(true);
    expect((await refusal('/slow', 100)).message).toContain('did not answer within 100 ms');
    const badRequest = await refusal('/400');
    expect(badRequest.transient).toBe(false);
    expect(badRequest.message).toContain('answered 400: broken');
    expect((await refusal('/text')).transient).toBe(false);
    expect((await refusal('/cancel')).message).toBe('no thanks');
    const unreachable = await callWebhook(
      { stepName: 'n', stepId: 's', url: 'http://127.0.0.1:1/x', timeoutMs: 1000, secret: '', unsecureConfiguration: '' },
      context,
    ).then(
      () => undefined,
      (e: unknown) => e as StepRefusal,
    );
    expect(unreachable).toBeInstanceOf(StepRefusal);
    expect(unreachable!.transient).toBe(true);
  });

  const headersOf = (request: { headers: Record<string, unknown> }) =>
    Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));

  it('signs per Standard Webhooks: a receiver using the standardwebhooks library verifies the delivery', async () => {
    await call('/200', 2000, 'a plain registration secret');
    const delivery = seen.at(-1)!;
    expect(delivery.headers['webhook-id']).toBe('msg_op-1');
    expect(String(delivery.headers['webhook-signature'])).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const receiver = new Webhook('a plain registration secret', { format: 'raw' });
    expect(receiver.verify(delivery.body, headersOf(delivery))).toMatchObject({ stepId: 's1', context: { primaryEntityId: 'a1' } });
    // A wrong secret, or a body changed on the way, is refused.
    expect(() => new Webhook('another secret', { format: 'raw' }).verify(delivery.body, headersOf(delivery))).toThrow(
      WebhookVerificationError,
    );
    expect(() => receiver.verify(delivery.body.replace('Contoso', 'Fabrikam'), headersOf(delivery))).toThrow(WebhookVerificationError);
  });

  it('a whsec_ secret is used as the base64 key the Standard Webhooks libraries expect', async () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    await call('/200', 2000, secret);
    const delivery = seen.at(-1)!;
    expect(new Webhook(secret).verify(delivery.body, headersOf(delivery))).toMatchObject({ stepId: 's1' });
    const broken = await call('/200', 2000, 'whsec_***').then(
      () => undefined,
      (e: unknown) => e as StepRefusal,
    );
    expect(broken).toBeInstanceOf(StepRefusal);
    expect(broken!.transient).toBe(false);
  });

  it('a replayed delivery older than the 5-minute window is refused by the receiver', async () => {
    await call('/200', 2000, 'replay-secret');
    const delivery = seen.at(-1)!;
    const receiver = new Webhook('replay-secret', { format: 'raw' });
    // Fresh: accepted.
    expect(() => receiver.verify(delivery.body, headersOf(delivery))).not.toThrow();
    // The captured delivery, exactly as it was, replayed six minutes later: refused as too old.
    const sixMinutesLater = Date.now() + 6 * 60_000;
    const clock = jest.spyOn(Date, 'now').mockReturnValue(sixMinutesLater);
    try {
      expect(() => receiver.verify(delivery.body, headersOf(delivery))).toThrow(/too old/i);
    } finally {
      clock.mockRestore();
    }
    // The same delivery signed six minutes ago (what a replay of a captured request looks like later).
    const old = standardWebhookHeaders('replay-secret', 'msg_op-1', new Date(Date.now() - 6 * 60_000), delivery.body);
    expect(() => receiver.verify(delivery.body, old)).toThrow(/too old/i);
    // A captured signature with its timestamp moved forward no longer matches.
    const moved = { ...headersOf(delivery), 'webhook-timestamp': String(Math.floor(Date.now() / 1000) + 10) };
    expect(() => receiver.verify(delivery.body, moved)).toThrow(WebhookVerificationError);
  });

  it('refuses a loopback webhook permanently under the strict default, naming the address and OUTBOUND_ALLOW', async () => {
    configureOutboundPolicy(OutboundPolicy.strict());
    const before = seen.length;
    try {
      const refused = await refusal('/200');
      expect(refused.transient).toBe(false);
      expect(refused.message).toContain('127.0.0.1 is a loopback address');
      expect(refused.message).toContain('OUTBOUND_ALLOW');
      expect(seen.length).toBe(before);
    } finally {
      configureOutboundPolicy(new OutboundPolicy({ allow: 'loopback' }));
    }
  });
});
