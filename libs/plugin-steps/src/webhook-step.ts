/**
 * Runs a webhook step: POSTs the execution context as JSON, signed with HMAC-SHA256 of the
 * body under the registration's secure configuration (`x-flowline-signature: sha256=<hex>`),
 * within the registration's timeout. The answer may change the target (stages 10 and 20),
 * set output parameters and shared variables, or cancel the operation with a message.
 */
import { createHmac } from 'node:crypto';
import { StepRefusal, type ExecutionContext, type StepOutcome } from './execution-context';

export const SIGNATURE_HEADER = 'x-flowline-signature';

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

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export async function callWebhook(call: WebhookCall, context: ExecutionContext): Promise<StepOutcome> {
  const body = JSON.stringify({ stepId: call.stepId, stepName: call.stepName, configuration: call.unsecureConfiguration, context });
  let response: Response;
  try {
    response = await fetch(call.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signBody(call.secret, body),
        'x-flowline-step': call.stepId,
        'x-correlation-id': context.correlationId,
        ...(call.idempotencyKey ? { 'idempotency-key': call.idempotencyKey } : {}),
      },
      body,
      signal: AbortSignal.timeout(call.timeoutMs),
    });
  } catch (error) {
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
