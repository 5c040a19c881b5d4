/**
 * The gateway as configured in production: the strict outbound-call policy (no OUTBOUND_ALLOW)
 * and a per-caller rate limit on the REST API, against real processes and a webhook server
 * on loopback.
 */
import { createServer, type Server } from 'node:http';
import { RegistryProto } from '@flowline/rpc';
import { testToken } from '@flowline/service-testing';
import { SERVICE_START_TIMEOUT_MS, waitFor } from '@flowline/testing';
import { startGateway, type GatewayHarness } from '../../test/gateway-harness';

const LIMIT = 40;

describe('the gateway in production settings: outbound policy and rate limits', () => {
  let harness: GatewayHarness;
  let hooks: Server;
  let hookUrl = '';
  let hookCalls = 0;
  let callers = 0;

  beforeAll(async () => {
    hooks = createServer((_request, response) => {
      hookCalls++;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hooks.address() as { port: number }).port}`;
    // An empty OUTBOUND_ALLOW is unset: the production default, public addresses only.
    harness = await startGateway({ OUTBOUND_ALLOW: '', RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await harness?.stop();
    hooks.closeAllConnections();
    hooks.close();
  });

  /** A REST call as a caller of its own (a fresh subject each time unless named), so the limit is met only where a test means it. */
  const call = async (method: string, path: string, body?: unknown, subject = `caller-${++callers}`) => {
    const response = await fetch(`${harness.gateway.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${testToken(['user'], subject)}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  it('refuses a synchronous webhook step on a loopback address, naming the address and OUTBOUND_ALLOW, and calls nothing', async () => {
    await harness.steps.registerStep({
      step: {
        id: '',
        name: 'internal hook',
        message: 'Create',
        primaryEntity: 'account',
        stage: 20,
        mode: 0,
        rank: 1,
        filteringAttributes: [],
        images: [],
        enabled: true,
        unsecureConfiguration: '',
        secureConfiguration: 'hook-secret',
        hasSecureConfiguration: false,
        registeredOn: '',
        registrationSequence: '',
        rowVersion: 0,
        handler: { webhook: { url: `${hookUrl}/inside`, timeoutMs: 5000 } },
      } satisfies RegistryProto.StepRegistration,
    });
    // Each poll is a caller of its own: waiting is not what is being limited here.
    let refused: Awaited<ReturnType<typeof call>> | undefined;
    await waitFor(
      async () => {
        refused = await call('POST', '/api/v1/records/account', { name: 'Inside' });
        return refused.status !== 201;
      },
      { what: 'the gateway to run the registered webhook step', timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(refused!.status).toBeGreaterThanOrEqual(400);
    expect(refused!.status).toBeLessThan(500);
    const error = refused!.body['error'] as { code: string; message: string };
    expect(error.code).toBe('STEP_REFUSED');
    expect(error.message).toContain('127.0.0.1 is a loopback address');
    expect(error.message).toContain('OUTBOUND_ALLOW');
    expect(hookCalls).toBe(0);
    const metrics = await (await fetch(`${harness.gateway.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/flowline_outbound_refused_total\{[^}]*setting="OUTBOUND_ALLOW"[^}]*\} [1-9]/);
  });

  it('limits each caller to RATE_LIMIT_PER_MINUTE REST requests: 429 with the error shape and Retry-After; other callers go on', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i <= LIMIT; i++) {
      last = await call('GET', '/api/v1/records/account?pageSize=1', undefined, 'busy-caller');
      statuses.push(last.status);
    }
    expect(statuses.slice(0, LIMIT).every((status) => status === 200)).toBe(true);
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(last!.body).toEqual({
      error: {
        code: 'RATE_LIMITED',
        message: expect.stringContaining(`too many requests from caller 'busy-caller': at most ${LIMIT} a minute (RATE_LIMIT_PER_MINUTE)`),
        violations: [],
      },
    });
    expect((await call('GET', '/api/v1/records/account?pageSize=1', undefined, 'calm-caller')).status).toBe(200);
    const metrics = await (await fetch(`${harness.gateway.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/flowline_http_rate_limited_total\{[^}]*caller_kind="subject"[^}]*\} 1\b/);
    // Probes are never limited.
    for (let i = 0; i <= LIMIT; i++) expect((await fetch(`${harness.gateway.httpUrl}/health/live`)).status).toBe(200);
  });
});
