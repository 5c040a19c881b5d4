/**
 * The HTTP edge every service shares (libs/service-kit installHttpEdge, through startService),
 * checked on one real service process: invalid JSON (400), a body that is not JSON (415), a
 * body over HTTP_BODY_LIMIT_BYTES (413) and unknown routes (404) answer in the documented
 * shape `{ error: { code, message, violations } }`, on the service's API route and on its
 * health and metrics endpoints alike. Each service's http-edge.integration-spec.ts runs it.
 */
import { randomUUID } from 'node:crypto';
import { testToken } from './running-service';

/** The limit the suite expects the service to be started with (HTTP_BODY_LIMIT_BYTES). */
export const EDGE_BODY_LIMIT_BYTES = 2048;

export interface HttpEdgeSpec {
  serviceName: string;
  /** Starts the service (and what it needs) with HTTP_BODY_LIMIT_BYTES=EDGE_BODY_LIMIT_BYTES. */
  start(): Promise<{ httpUrl: string; stop(): Promise<void> }>;
  /** A route of the service that takes a JSON body with POST; `{id}` is replaced by a fresh UUID. */
  jsonRoute: string;
  startTimeoutMs: number;
}

interface ErrorBody {
  error?: { code: string; message: string; violations: Array<{ field: string; description: string; code?: string }> };
}

export function describeHttpEdge(spec: HttpEdgeSpec): void {
  describe(`${spec.serviceName}: the HTTP edge answers every refusal as { error: { code, message, violations } }`, () => {
    let service: { httpUrl: string; stop(): Promise<void> } | undefined;
    beforeAll(async () => {
      service = await spec.start();
    }, spec.startTimeoutMs);
    afterAll(async () => {
      await service?.stop();
    });

    const send = async (path: string, init: { method?: string; body?: string; contentType?: string } = {}) => {
      const response = await fetch(`${service!.httpUrl}${path.replace('{id}', randomUUID())}`, {
        method: init.method ?? 'POST',
        headers: {
          authorization: `Bearer ${testToken(['admin'], 'edge-check')}`,
          ...(init.contentType ? { 'content-type': init.contentType } : {}),
        },
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
      expect(response.headers.get('content-type')).toContain('application/json');
      return { status: response.status, body: (await response.json()) as ErrorBody };
    };
    const paths = () => [spec.jsonRoute, '/health/live', '/metrics'];

    it('invalid JSON is 400 INVALID_JSON naming the body, on its API and its health and metrics endpoints', async () => {
      for (const path of paths()) {
        const answer = await send(path, { body: '{"name": "unfinished', contentType: 'application/json' });
        expect({ path, status: answer.status }).toEqual({ path, status: 400 });
        expect(answer.body).toEqual({
          error: {
            code: 'INVALID_JSON',
            message: expect.stringMatching(/^the request body is not valid JSON: /) as unknown as string,
            violations: [{ field: 'body', description: 'expected a JSON document', code: 'INVALID_JSON' }],
          },
        });
      }
    });

    it('a body that is not JSON is 415 UNSUPPORTED_MEDIA_TYPE naming the content type', async () => {
      for (const path of paths()) {
        const answer = await send(path, { body: 'name=x', contentType: 'text/plain' });
        expect({ path, status: answer.status }).toEqual({ path, status: 415 });
        expect(answer.body.error).toMatchObject({
          code: 'UNSUPPORTED_MEDIA_TYPE',
          violations: [{ field: 'Content-Type', description: 'expected application/json, got text/plain', code: 'UNSUPPORTED_MEDIA_TYPE' }],
        });
      }
    });

    it('a body over HTTP_BODY_LIMIT_BYTES is 413 BODY_TOO_LARGE naming the limit and the setting', async () => {
      for (const path of paths()) {
        const answer = await send(path, {
          body: JSON.stringify({ name: 'x'.repeat(2 * EDGE_BODY_LIMIT_BYTES) }),
          contentType: 'application/json',
        });
        expect({ path, status: answer.status }).toEqual({ path, status: 413 });
        expect(answer.body.error).toMatchObject({
          code: 'BODY_TOO_LARGE',
          message: expect.stringContaining(`at most ${EDGE_BODY_LIMIT_BYTES} bytes (setting HTTP_BODY_LIMIT_BYTES)`) as unknown as string,
          violations: expect.any(Array) as unknown as [],
        });
      }
    });

    it('an unknown route is 404 ROUTE_NOT_FOUND naming it, whatever the method', async () => {
      for (const [method, path] of [
        ['GET', '/api/v1/no-such-thing'],
        ['POST', '/api/v1/no-such-thing'],
        ['GET', '/health/nothing'],
        ['DELETE', '/metrics'],
      ] as const) {
        const answer = await send(path, { method, ...(method === 'POST' ? { body: '{}', contentType: 'application/json' } : {}) });
        expect({ method, path, status: answer.status }).toEqual({ method, path, status: 404 });
        expect(answer.body).toEqual({ error: { code: 'ROUTE_NOT_FOUND', message: `no such endpoint: ${method} ${path}`, violations: [] } });
      }
    });

    it('a path with broken percent-encoding is a 4xx in the shape, never a 500 or an HTML page', async () => {
      const broken = spec.jsonRoute.includes('{id}') ? spec.jsonRoute.replace('{id}', '%E0%A4%A') : `${spec.jsonRoute}/%E0%A4%A`;
      for (const path of [broken, '/api/v1/%ZZ', '/health/%']) {
        const answer = await send(path, { method: 'GET' });
        expect({ path, status: answer.status >= 400 && answer.status < 500 }).toEqual({ path, status: true });
        expect(answer.body.error).toEqual({ code: expect.any(String), message: expect.any(String), violations: expect.any(Array) });
      }
    });
  });
}
