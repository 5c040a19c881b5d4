/**
 * The HTTP edge every service shares (libs/service-kit), through the real session service:
 * bodies that are not JSON, not valid JSON or too large, and unknown routes, all answer in
 * the documented error shape with the matching status.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describeHttpEdge, EDGE_BODY_LIMIT_BYTES, startServiceForTest, testToken, type RunningService } from '@flowline/service-testing';
import { SERVICE_START_TIMEOUT_MS } from '@flowline/testing';

describe('the HTTP edge of a service: every refusal in the shape { error: { code, message, violations } }', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startServiceForTest('apps/session-service/src/main.ts', { HTTP_BODY_LIMIT_BYTES: '2048', PAGE_SIZE_MAX: '5' });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await service?.stop();
  });

  const post = async (body: string, contentType?: string) => {
    const response = await fetch(`${service.httpUrl}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testToken(['user'], 'alice')}`, ...(contentType ? { 'content-type': contentType } : {}) },
      body,
    });
    return {
      status: response.status,
      body: (await response.json()) as { error?: { code: string; message: string; violations: unknown[] } },
    };
  };

  it('refuses invalid JSON with 400 INVALID_JSON', async () => {
    const answer = await post('{"dialog": "customer-survey",', 'application/json');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: {
        code: 'INVALID_JSON',
        message: expect.stringMatching(/^the request body is not valid JSON: /) as unknown as string,
        violations: [{ field: 'body', description: 'expected a JSON document', code: 'INVALID_JSON' }],
      },
    });
  });

  it('refuses a body over HTTP_BODY_LIMIT_BYTES with 413 naming the limit and the setting', async () => {
    const answer = await post(JSON.stringify({ dialog: 'x'.repeat(4000) }), 'application/json');
    expect(answer.status).toBe(413);
    expect(answer.body.error).toMatchObject({
      code: 'BODY_TOO_LARGE',
      message: expect.stringContaining('at most 2048 bytes (setting HTTP_BODY_LIMIT_BYTES)') as unknown as string,
    });
  });

  it('refuses a text/plain body with 415 naming the content type', async () => {
    const answer = await post(JSON.stringify({ dialog: 'customer-survey' }), 'text/plain;charset=UTF-8');
    expect(answer.status).toBe(415);
    expect(answer.body.error).toEqual({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'the request body is text/plain; this API takes application/json: send JSON with Content-Type: application/json',
      violations: [
        { field: 'Content-Type', description: 'expected application/json, got text/plain;charset=UTF-8', code: 'UNSUPPORTED_MEDIA_TYPE' },
      ],
    });
  });

  it('refuses a form-encoded body with 415 rather than taking it as JSON', async () => {
    const answer = await post('dialog=customer-survey&entity=contact', 'application/x-www-form-urlencoded');
    expect(answer.status).toBe(415);
    expect(answer.body.error?.message).toContain('application/x-www-form-urlencoded');
  });

  it('refuses a page larger than PAGE_SIZE_MAX with 400 naming the limit and the setting', async () => {
    const headers = { authorization: `Bearer ${testToken(['user'], 'alice')}` };
    const within = await fetch(`${service.httpUrl}/api/v1/sessions?pageSize=5`, { headers });
    expect(within.status).toBe(200);
    const over = await fetch(`${service.httpUrl}/api/v1/sessions?pageSize=6`, { headers });
    expect(over.status).toBe(400);
    const body = (await over.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({
      code: 'PAGE_SIZE_INVALID',
      message: expect.stringContaining('from 1 to 5 (0 for 5), got 6 (the largest page is the setting PAGE_SIZE_MAX)') as unknown as string,
    });
  });

  it('answers an unknown route with 404 ROUTE_NOT_FOUND in the same shape', async () => {
    const response = await fetch(`${service.httpUrl}/api/v1/nothing-here`, { headers: { authorization: `Bearer ${testToken(['user'])}` } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: 'ROUTE_NOT_FOUND', message: 'no such endpoint: GET /api/v1/nothing-here', violations: [] },
    });
  });

  it('still takes a JSON body and a bodiless POST as before (the refusal there is the handler’s own)', async () => {
    const anonymous = await fetch(`${service.httpUrl}/api/v1/sessions`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    const missing = await post(JSON.stringify({ entity: 'contact' }), 'application/json; charset=utf-8');
    expect(missing.status).toBe(400);
    expect(missing.body.error?.code).not.toBe('INVALID_JSON');
  });

  it('property: any JSON body, query or id on any route answers in the error shape, never a 500', async () => {
    const seed = process.env['FLOWLINE_FC_SEED'];
    const headers = { authorization: `Bearer ${testToken(['user'], 'alice')}`, 'content-type': 'application/json' };
    const id = fc.oneof(fc.uuid(), fc.string({ maxLength: 12 }).map(encodeURIComponent), fc.constant(randomUUID()));
    const route = fc.oneof(
      fc.record({ method: fc.constant('POST'), path: fc.constant('/api/v1/sessions') }),
      fc.record({ method: fc.constant('POST'), path: id.map((value) => `/api/v1/sessions/${value}/answers`) }),
      fc.record({ method: fc.constant('POST'), path: id.map((value) => `/api/v1/sessions/${value}/previous`) }),
      fc.record({ method: fc.constant('POST'), path: id.map((value) => `/api/v1/sessions/${value}/cancel`) }),
      fc.record({ method: fc.constant('GET'), path: id.map((value) => `/api/v1/sessions/${value}`) }),
      fc.record({
        method: fc.constant('GET'),
        path: fc
          .dictionary(
            fc.constantFrom('pageSize', 'pageToken', 'state', 'status', 'dialog', 'entity', 'recordId'),
            fc.string({ maxLength: 8 }),
          )
          .map((query) => `/api/v1/sessions?${new URLSearchParams(query).toString()}`),
      }),
    );
    await fc.assert(
      fc.asyncProperty(route, fc.jsonValue({ maxDepth: 3 }), async ({ method, path }, body) => {
        const response = await fetch(`${service.httpUrl}${path}`, {
          method,
          headers,
          ...(method === 'POST' ? { body: JSON.stringify(body) } : {}),
        });
        const answer = (await response.json()) as { error?: { code: string; message: string; violations: unknown[] } };
        expect(response.status).not.toBe(500);
        if (response.status >= 400) {
          expect(answer.error).toEqual({ code: expect.any(String), message: expect.any(String), violations: expect.any(Array) });
          // Without a registry, starting a session is the one transient refusal.
          if (response.status >= 500) expect(answer.error?.code).toBe('REGISTRY_UNAVAILABLE');
        }
      }),
      { numRuns: 150, ...(seed ? { seed: Number(seed) } : {}) },
    );
  });
});

// The conformance suite every service runs: the same refusals on its health and metrics endpoints too.
describeHttpEdge({
  serviceName: 'session-service',
  start: () => startServiceForTest('apps/session-service/src/main.ts', { HTTP_BODY_LIMIT_BYTES: String(EDGE_BODY_LIMIT_BYTES) }),
  jsonRoute: '/api/v1/sessions/{id}/answers',
  startTimeoutMs: SERVICE_START_TIMEOUT_MS,
});
