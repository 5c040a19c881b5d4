/**
 * The console's same-origin way to the other services (docs/adr/0013):
 * `/console/api/{registry|gateway|executor}/{api/v1/…|health/…|openapi.json}` is sent on to
 * that service's HTTP URL with the caller's own token, and the answer comes back as it is.
 * The forwarder grants nothing: each service checks the token as it always does. Only JSON
 * bodies arrive here (the HTTP edge refuses others), already read by its body parser.
 */
import { Inject, Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { request as undiciRequest } from 'undici';
import { CONSOLE_SETTINGS, CONSOLE_UPSTREAM_NAMES, type ConsoleSettings, type ConsoleUpstreamName } from './console.settings';

export const CONSOLE_API_PREFIX = '/console/api/';
/** What a forwarded path may be: the services' REST API, their health and their OpenAPI document. */
const FORWARDED_PATH = /^\/(api\/v1\/|health\/|openapi\.json$)/;
const REQUEST_HEADERS = [
  'authorization',
  'content-type',
  'accept',
  'if-match',
  'x-correlation-id',
  'traceparent',
  'tracestate',
  'idempotency-key',
];
const ANSWER_HEADERS = [
  'content-type',
  'etag',
  'retry-after',
  'x-correlation-id',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
];
const TIMEOUT_MS = 30_000;

function refuse(response: Response, status: number, code: string, message: string): void {
  response.status(status).json({ error: { code, message, violations: [] } });
}

@Injectable()
export class ConsoleForwarder implements NestMiddleware {
  private readonly logger = new Logger('ConsoleForwarder');

  constructor(@Inject(CONSOLE_SETTINGS) private readonly settings: ConsoleSettings) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const url = request.originalUrl;
    if (!url.startsWith(CONSOLE_API_PREFIX)) {
      next();
      return;
    }
    const rest = url.slice(CONSOLE_API_PREFIX.length);
    const slash = rest.indexOf('/');
    const name = (slash < 0 ? rest : rest.slice(0, slash)) as ConsoleUpstreamName;
    const target = slash < 0 ? '' : rest.slice(slash);
    if (!CONSOLE_UPSTREAM_NAMES.includes(name)) {
      refuse(response, 404, 'NOT_FOUND', `no service '${name}' behind the console: expected one of ${CONSOLE_UPSTREAM_NAMES.join(', ')}`);
      return;
    }
    if (!FORWARDED_PATH.test(target) || target.includes('/../') || target.includes('\\')) {
      refuse(response, 404, 'NOT_FOUND', `the console forwards only /api/v1/…, /health/… and /openapi.json, not '${target || '/'}'`);
      return;
    }
    void this.forward(request, response, name, target);
  }

  private async forward(request: Request, response: Response, name: ConsoleUpstreamName, target: string): Promise<void> {
    const headers: Record<string, string> = {};
    for (const header of REQUEST_HEADERS) {
      const value = request.headers[header];
      if (typeof value === 'string') headers[header] = value;
    }
    // Express 5 leaves the body undefined unless the edge's JSON parser read one.
    const body =
      request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD' ? JSON.stringify(request.body) : undefined;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const upstream = this.settings.upstreams[name];
    try {
      const answer = await undiciRequest(`${upstream}${target}`, {
        method: request.method as 'GET',
        headers,
        body,
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      });
      response.status(answer.statusCode);
      for (const header of ANSWER_HEADERS) {
        const value = answer.headers[header];
        if (typeof value === 'string') response.setHeader(header, value);
      }
      response.setHeader('Cache-Control', 'no-store');
      const bytes = Buffer.from(await answer.body.arrayBuffer());
      response.end(bytes);
    } catch (error) {
      this.logger.warn(
        `the console could not reach the ${name} at ${upstream} for ${request.method} ${target}: ${(error as Error).message}`,
      );
      if (!response.headersSent)
        refuse(response, 502, 'UPSTREAM_UNAVAILABLE', `the ${name} (${upstream}) did not answer: ${(error as Error).message}; try again`);
      else response.end();
    }
  }
}
