/**
 * An inbound webhook call checked before anything is stored: who sent it (a bearer token equal
 * to the named secret, or a Standard Webhooks signature made with it, as the gateway's own
 * outbound webhooks sign: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64
 * HMAC-SHA256 of id.timestamp.body>`), and whether its body fits the inputs the workflow
 * declares. Every refusal names its field.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from 'standardwebhooks';
import { FlowlineError, invalidArgument, type FieldViolation } from '@flowline/rpc';
import { webhookSigner } from '@flowline/plugin-steps';
import { webhookSecretVariable } from '@flowline/process-model';
import { badTextViolations } from '@flowline/service-kit';
import type { WebhookEndpoint } from './webhook-directory';

/** How far a signed call's timestamp may be from the gateway's clock (the Standard Webhooks window). */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export type HeaderMap = Record<string, string | string[] | undefined>;

const header = (headers: HeaderMap, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Why a call was refused, for the metric and the log: a stable word per kind. */
export class WebhookRefusal extends FlowlineError {
  constructor(
    readonly outcome: string,
    kind: ConstructorParameters<typeof FlowlineError>[0],
    code: string,
    message: string,
    violations: FieldViolation[] = [],
  ) {
    super(kind, code, message, violations);
  }
}

const unauthenticated = (outcome: string, code: string, message: string, field: string) =>
  new WebhookRefusal(outcome, 'UNAUTHENTICATED', code, message, [{ field, description: message, code }]);

export interface Authenticated {
  /** Signed calls: the id the sender gives the delivery (its retries keep it). */
  deliveryId?: string;
  /** Signed calls: one key per signed request, so the very same request is not taken twice. */
  signatureKey?: string;
}

/** The secret the trigger names, from the gateway's environment; undefined when it is not set. */
export function secretOf(endpoint: WebhookEndpoint, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[webhookSecretVariable(endpoint.trigger.secret)];
  return value ? value : undefined;
}

export function authenticate(
  endpoint: WebhookEndpoint,
  secret: string,
  headers: HeaderMap,
  rawBody: Buffer,
  now = Date.now(),
): Authenticated {
  if (endpoint.trigger.auth === 'token') {
    const given = /^Bearer (.+)$/i.exec(header(headers, 'authorization') ?? '')?.[1];
    if (!given)
      throw unauthenticated(
        'missing_token',
        'WEBHOOK_TOKEN_MISSING',
        'send the webhook token as Authorization: Bearer <token>',
        'Authorization',
      );
    const a = createHash('sha256').update(given).digest();
    const b = createHash('sha256').update(secret).digest();
    if (!timingSafeEqual(a, b))
      throw unauthenticated('bad_token', 'WEBHOOK_TOKEN_INVALID', 'the webhook token is not the one this endpoint takes', 'Authorization');
    return {};
  }
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signature = header(headers, 'webhook-signature');
  for (const [name, value] of [
    ['webhook-id', id],
    ['webhook-timestamp', timestamp],
    ['webhook-signature', signature],
  ] as const) {
    if (!value)
      throw unauthenticated(
        'missing_signature',
        'WEBHOOK_SIGNATURE_MISSING',
        `a signed call carries webhook-id, webhook-timestamp and webhook-signature; ${name} is missing`,
        name,
      );
  }
  if (id!.length > 200)
    throw unauthenticated('bad_signature', 'WEBHOOK_ID_INVALID', 'webhook-id is longer than 200 characters', 'webhook-id');
  const seconds = /^\d{1,12}$/.test(timestamp!) ? Number(timestamp) : NaN;
  if (!Number.isFinite(seconds))
    throw unauthenticated('bad_signature', 'WEBHOOK_TIMESTAMP_INVALID', 'webhook-timestamp must be Unix seconds', 'webhook-timestamp');
  if (Math.abs(now / 1000 - seconds) > SIGNATURE_TOLERANCE_SECONDS)
    throw unauthenticated(
      'stale_timestamp',
      'WEBHOOK_TIMESTAMP_STALE',
      `webhook-timestamp ${timestamp} is more than ${SIGNATURE_TOLERANCE_SECONDS} s from the gateway's clock (${Math.floor(now / 1000)}): sign the call when you send it`,
      'webhook-timestamp',
    );
  try {
    webhookSigner(secret).verify(
      rawBody,
      { 'webhook-id': id!, 'webhook-timestamp': timestamp!, 'webhook-signature': signature! },
      { jsonParse: false },
    );
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    throw unauthenticated(
      'bad_signature',
      'WEBHOOK_SIGNATURE_INVALID',
      'no signature in webhook-signature matches the body with this endpoint\'s secret (v1,<base64 HMAC-SHA256 of "id.timestamp.body">)',
      'webhook-signature',
    );
  }
  return {
    deliveryId: id!,
    signatureKey: createHash('sha256').update(`${endpoint.definitionId}\u0000${id}\u0000${timestamp}`).digest('hex'),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function typeProblem(type: string, value: unknown): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'expected text';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'expected a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'expected true or false';
    case 'record': {
      const ref = value as { entity?: unknown; id?: unknown } | null;
      return typeof ref === 'object' && ref !== null && typeof ref.entity === 'string' && typeof ref.id === 'string'
        ? undefined
        : 'expected a record reference {"entity": ..., "id": ...}';
    }
    default:
      return undefined;
  }
}

/**
 * The body as the run's inputs: a JSON object whose members are the inputs the workflow
 * declares, each of its type, the required ones present. An empty body is no inputs.
 */
export function inputsOf(endpoint: WebhookEndpoint, body: unknown): Record<string, unknown> {
  const value = body === undefined ? {} : body;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument('WEBHOOK_BODY_INVALID', 'the body must be a JSON object of input names to values', [
      { field: 'body', description: 'expected a JSON object', code: 'WEBHOOK_BODY_INVALID' },
    ]);
  const given = value as Record<string, unknown>;
  const violations: FieldViolation[] = [...badTextViolations(given, '')];
  const declared = new Map(endpoint.inputs.map((input) => [input.name, input]));
  for (const name of Object.keys(given))
    if (!declared.has(name))
      violations.push({
        field: name,
        description: `${endpoint.uniqueName} declares no input '${name}'${declared.size ? ` (its inputs: ${[...declared.keys()].join(', ')})` : ' (it declares none)'}`,
        code: 'UNKNOWN_INPUT',
      });
  for (const input of endpoint.inputs) {
    const item = given[input.name];
    if (item === undefined || item === null) {
      if (input.required)
        violations.push({ field: input.name, description: `is required: expected ${input.type}`, code: 'INPUT_REQUIRED' });
      continue;
    }
    const problem = typeProblem(input.type, item);
    if (problem) violations.push({ field: input.name, description: problem, code: 'INPUT_TYPE' });
  }
  const recordInput = endpoint.trigger.record;
  if (recordInput && violations.length === 0) {
    const id = recordIdOf(given[recordInput]);
    if (id === undefined)
      violations.push({
        field: recordInput,
        description: `expected the id (a UUID) of the ${endpoint.primaryEntity} record to run on`,
        code: 'RECORD_ID',
      });
    else if (typeof given[recordInput] === 'object' && (given[recordInput] as { entity: string }).entity !== endpoint.primaryEntity)
      violations.push({ field: recordInput, description: `expected a ${endpoint.primaryEntity} record`, code: 'RECORD_ENTITY' });
  }
  if (violations.length > 0)
    throw invalidArgument(
      'WEBHOOK_INPUTS_INVALID',
      `the body does not fit the inputs of ${endpoint.uniqueName}: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`,
      violations,
    );
  return given;
}

/** The record id an input holds: a UUID, or a record reference's id. */
export function recordIdOf(value: unknown): string | undefined {
  const id = typeof value === 'string' ? value : (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' && UUID.test(id) ? id.toLowerCase() : undefined;
}

/** `10s`, `2500ms` or seconds (`10`) as milliseconds. */
export function waitMsOf(query: unknown, prefer: string | undefined): number {
  const fromPrefer = /(?:^|[,;\s])wait=(\d+)/i.exec(prefer ?? '')?.[1];
  const text = typeof query === 'string' ? query : fromPrefer;
  if (text === undefined) return 0;
  const match = /^(\d{1,7})(ms|s)?$/.exec(text.trim());
  if (!match)
    throw new WebhookRefusal(
      'invalid_wait',
      'INVALID_ARGUMENT',
      'WAIT_INVALID',
      `wait must be a duration such as 10s or 2500ms, got ${text}`,
      [{ field: typeof query === 'string' ? 'wait' : 'Prefer', description: 'expected a duration such as 10s, 2500ms or 10 (seconds)' }],
    );
  return match[2] === 'ms' ? Number(match[1]) : Number(match[1]) * 1000;
}
