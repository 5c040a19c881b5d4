/**
 * Runs a webhook step: POSTs the execution context as JSON, signed per Standard Webhooks
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
 * id.timestamp.body>`) under the registration's secure configuration, within the
 * registration's timeout, through the outbound-call policy (a refused address is a permanent
 * refusal naming the address and the setting). The answer may change the target (stages 10 and
 * 20), set output parameters and shared variables, or cancel the operation with a message.
 * The older `x-flowline-signature: sha256=<hex of the body>` is still sent for receivers that
 * have not moved yet (it carries no timestamp, so it does not protect against replay).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { outboundFetch, outboundRefusalOf } from '@flowline/service-kit';
import { StepRefusal, type ExecutionContext, type StepOutcome } from './execution-context';

/** Deprecated: HMAC-SHA256 of the body alone, no timestamp. Kept while receivers move to the Standard Webhooks headers. */
export const SIGNATURE_HEADER = 'x-flowline-signature';
export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

export interface WebhookCall {
  stepName: string;
  stepId: string;
  url: string;
  timeoutMs: number;
  secret: string;
  unsecureConfiguration: string;
  /** Asynchronous steps: the same on every attempt of one operation, sent as `Idempotency-Key`. */
  idempotencyKey?: string;
}

interface WebhookAnswer {
  cancel?: { message?: string };
  target?: Record<string, unknown>;
  outputParameters?: Record<string, unknown>;
  sharedVariables?: Record<string, unknown>;
}

/** Deprecated signature (x-flowline-signature). */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * The Standard Webhooks signer for a registration's secret: a `whsec_<base64>` secret is the
 * base64 key (as the scheme's libraries expect); any other text is used as the key bytes as
 * they are (receivers verify with `new Webhook(secret, { format: 'raw' })`).
 */
export function webhookSigner(secret: string): Webhook {
  return secret.startsWith('whsec_') ? new Webhook(secret) : new Webhook(secret, { format: 'raw' });
}

/** The Standard Webhooks headers for one delivery (empty without a secret). */
export function standardWebhookHeaders(secret: string, id: string, timestamp: Date, body: string): Record<string, string> {
  const headers: Record<string, string> = {
    [WEBHOOK_ID_HEADER]: id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(Math.floor(timestamp.getTime() / 1000)),
  };
  if (secret) headers[WEBHOOK_SIGNATURE_HEADER] = webhookSigner(secret).sign(id, timestamp, body);
  return headers;
}

export async function callWebhook(call: WebhookCall, context: ExecutionContext): Promise<StepOutcome> {
  const body = JSON.stringify({ stepId: call.stepId, stepName: call.stepName, configuration: call.unsecureConfiguration, context });
  let signature: Record<string, string>;
  try {
    // The same id on every attempt of one asynchronous operation, so receivers can drop repeats.
    signature = standardWebhookHeaders(call.secret, `msg_${call.idempotencyKey ?? randomUUID()}`, new Date(), body);
  } catch (error) {
    throw new StepRefusal(
      call.stepName,
      `webhook ${call.url}: the step's secure configuration starts with whsec_ but is not a base64 key (${String(error)})`,
    );
  }
  let response: Awaited<ReturnType<typeof outboundFetch>>;
  try {
    response = await outboundFetch(call.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signature,
        [SIGNATURE_HEADER]: signBody(call.secret, body),
        'x-flowline-step': call.stepId,
        'x-correlation-id': context.correlationId,
        ...(call.idempotencyKey ? { 'idempotency-key': call.idempotencyKey } : {}),
      },
      body,
      signal: AbortSignal.timeout(call.timeoutMs),
    });
  } catch (error) {
    const refused = outboundRefusalOf(error);
    if (refused) throw new StepRefusal(call.stepName, `webhook ${call.url}: ${refused.message}`);
    const reason =
      (error as { name?: unknown } | null)?.name === 'TimeoutError'
        ? `did not answer within ${call.timeoutMs} ms`
        : `could not be reached (${String(error)})`;
    throw new StepRefusal(call.stepName, `webhook ${call.url} ${reason}`, true);
  }
  const text = await response.text();
  if (!response.ok)
    throw new StepRefusal(
      call.stepName,
      `webhook ${call.url} answered ${response.status}${text ? `: ${text.slice(0, 300)}` : ''}`,
      response.status >= 500 || response.status === 408 || response.status === 429,
    );
  if (!text.trim()) return {};
  let answer: WebhookAnswer;
  try {
    answer = JSON.parse(text) as WebhookAnswer;
  } catch {
    throw new StepRefusal(call.stepName, `webhook ${call.url} answered with something that is not JSON`);
  }
  if (answer.cancel) throw new StepRefusal(call.stepName, answer.cancel.message || 'the step canceled the operation');
  return {
    ...(answer.target ? { targetChanges: answer.target } : {}),
    ...(answer.outputParameters ? { outputParameters: answer.outputParameters } : {}),
    ...(answer.sharedVariables ? { sharedVariables: answer.sharedVariables } : {}),
  };
}
