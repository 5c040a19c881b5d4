/**
 * CORS_ORIGINS: the browser origins (scheme, host and port, comma-separated) allowed to call a
 * service's REST API from another origin, such as the operator console served by another
 * service. Off by default: no CORS headers at all, so a browser page of another origin cannot
 * read an answer. Each listed origin gets Access-Control-Allow-Origin on its requests (and their
 * refusals, so the console can show them) and preflight answers; any other origin gets none.
 * Tokens travel in the Authorization header, never in cookies, so credentials mode stays off.
 * The matching itself is the `cors` package's, through Nest's enableCors.
 */
import type { INestApplication } from '@nestjs/common';
import { z } from 'zod';

const ORIGIN = /^https?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/** What a browser may send beside simple headers. */
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'If-Match',
  'Idempotency-Key',
  'X-Correlation-Id',
  'traceparent',
  'tracestate',
];
/** What a page may read of an answer beside the simple headers. */
export const CORS_EXPOSED_HEADERS = ['ETag', 'Location', 'Retry-After', 'X-Flowline-Replayed'];

/** CORS_ORIGINS's text as a list of origins, or an Error naming the entry that is not an origin. */
export function parseCorsOrigins(text: string | undefined): string[] {
  const entries = (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const wrong = entries.find((entry) => !ORIGIN.test(entry));
  if (wrong !== undefined) throw new Error(`'${wrong}' is not an origin such as https://console.example.com or http://127.0.0.1:8083`);
  return entries.map((entry) => entry.toLowerCase());
}

export const corsSettings = {
  /** Browser origins allowed to call the REST API from another origin (comma-separated); none when empty. */
  CORS_ORIGINS: z
    .string()
    .optional()
    .superRefine((value, context) => {
      try {
        parseCorsOrigins(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: `expected comma-separated origins (${(error as Error).message})` });
      }
    }),
};

/** Answers CORS for the listed origins; nothing at all when the list is empty. */
export function applyCors(app: INestApplication, origins: string[]): void {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  app.enableCors({
    origin: (origin: string | undefined, callback: (error: Error | null, allow?: boolean) => void) =>
      callback(null, origin !== undefined && allowed.has(origin.toLowerCase())),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    credentials: false,
    maxAge: 600,
  });
}

/** For the start-up log. */
export function describeCors(origins: string[]): string {
  return origins.length === 0
    ? 'no other browser origin may call the REST API (CORS_ORIGINS empty)'
    : `browsers at ${origins.join(', ')} may call the REST API (CORS_ORIGINS)`;
}
