/**
 * Built-in custom activity handlers a workflow's `customActivity` step can name. Each answers
 * with outputs, or with an error classified explicitly: transient errors are retried with
 * backoff, permanent ones fail the step (and the workflow, unless it handles the failure).
 *
 * - `http`: calls a URL. Inputs: `url` (required, http or https), `method` (default POST),
 *   `headers` (object), `body` (sent as JSON), `timeoutMs` (default 10000, at most 60000).
 *   Outputs: `status` and `body` (parsed JSON when the answer is JSON, else text). Network
 *   errors, timeouts, 408, 429 and 5xx are transient; other 4xx answers are permanent.
 *   The step's idempotency key goes in the `Idempotency-Key` header so a retried call can be
 *   recognised by the service called. The call goes through the outbound-call policy
 *   (OUTBOUND_ALLOW / OUTBOUND_DENY): an address it refuses (by default loopback, link-local,
 *   private and other special-purpose ranges) fails the step permanently with OUTBOUND_REFUSED,
 *   naming the address and the setting to change.
 * - `noop`: does nothing and answers its inputs back (for tests, benches and placeholders).
 */
import type { Json } from '@flowline/process-runtime';
import { outboundFetch, outboundRefusalOf } from '@flowline/service-kit';

export type ActivityOutcome = { ok: true; output: Record<string, Json> } | { ok: false; transient: boolean; code: string; message: string };

export interface ActivityCall {
  handler: string;
  inputs: Record<string, Json>;
  idempotencyKey: string;
  correlationId: string;
}

const permanent = (code: string, message: string): ActivityOutcome => ({ ok: false, transient: false, code, message });
const transient = (code: string, message: string): ActivityOutcome => ({ ok: false, transient: true, code, message });

async function http(call: ActivityCall): Promise<ActivityOutcome> {
  const { url, method = 'POST', headers = {}, body, timeoutMs = 10_000 } = call.inputs as Record<string, Json | undefined>;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
    return permanent('INVALID_INPUT', `http activity: inputs.url must be an http or https URL, got ${JSON.stringify(url ?? null)}`);
  }
  if (typeof method !== 'string' || !/^(GET|POST|PUT|PATCH|DELETE)$/i.test(method)) {
    return permanent(
      'INVALID_INPUT',
      `http activity: inputs.method must be GET, POST, PUT, PATCH or DELETE, got ${JSON.stringify(method)}`,
    );
  }
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    return permanent('INVALID_INPUT', 'http activity: inputs.headers must be an object of header names to values');
  }
  const timeout = typeof timeoutMs === 'number' && timeoutMs > 0 ? Math.min(timeoutMs, 60_000) : 10_000;
  let response: Awaited<ReturnType<typeof outboundFetch>>;
  try {
    response = await outboundFetch(url, {
      method: method.toUpperCase(),
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])) as Record<string, string>),
        'idempotency-key': call.idempotencyKey,
        'x-correlation-id': call.correlationId,
      },
      ...(body === undefined || /^(GET|DELETE)$/i.test(method) ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeout),
    });
  } catch (error) {
    const refused = outboundRefusalOf(error);
    if (refused) return permanent('OUTBOUND_REFUSED', `http activity: ${url}: ${refused.message}`);
    const timedOut = (error as { name?: unknown } | null)?.name === 'TimeoutError';
    return transient(
      timedOut ? 'HTTP_TIMEOUT' : 'HTTP_UNREACHABLE',
      timedOut ? `${url} did not answer within ${timeout} ms` : `${url} could not be reached: ${String(error)}`,
    );
  }
  const text = await response.text();
  let parsed: Json = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text.trim()) {
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      parsed = text;
    }
  }
  if (response.ok) return { ok: true, output: { status: response.status, body: parsed } };
  const detail = `${url} answered ${response.status}${text ? `: ${text.slice(0, 300)}` : ''}`;
  return response.status >= 500 || response.status === 408 || response.status === 429
    ? transient(`HTTP_${response.status}`, detail)
    : permanent(`HTTP_${response.status}`, detail);
}

const HANDLERS: Record<string, (call: ActivityCall) => Promise<ActivityOutcome>> = {
  http,
  noop: async (call) => ({ ok: true, output: { ...call.inputs } }),
};

export const CUSTOM_ACTIVITY_HANDLERS = Object.keys(HANDLERS);

export async function runCustomActivity(call: ActivityCall): Promise<ActivityOutcome> {
  const handler = HANDLERS[call.handler];
  if (!handler) {
    return permanent(
      'UNKNOWN_HANDLER',
      `no custom activity handler '${call.handler}' is built into the executor; known handlers: ${CUSTOM_ACTIVITY_HANDLERS.join(', ')}`,
    );
  }
  return handler(call);
}
