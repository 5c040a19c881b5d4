import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StepRefusal, type ExecutionContext } from './execution-context';
import { callWebhook, SIGNATURE_HEADER, signBody } from './webhook-step';

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
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const call = (path: string, timeoutMs = 2000) =>
    callWebhook(
      {
        stepName: 'notify',
        stepId: 's1',
        url: `${url}${path}`,
        timeoutMs,
        secret: 'k',
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
});
