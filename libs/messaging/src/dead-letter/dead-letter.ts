/**
 * What goes to `flowline.dead-letter.v1` when a message cannot be processed: the original
 * bytes, where they came from, and the reason, so nothing is silently dropped and an operator
 * can replay it once the cause is fixed.
 */
export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string | undefined>;
}

export interface DeadLetterValue {
  reason: string;
  consumerGroup: string;
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
  /** The original value: text when it was valid UTF-8, otherwise base64. */
  originalValue: string | null;
  originalValueEncoding: 'utf8' | 'base64';
  originalHeaders: Record<string, string>;
  failedAt: string;
  attempts: number;
}

function asText(value: Buffer | string): { text: string; encoding: 'utf8' | 'base64' } {
  if (typeof value === 'string') return { text: value, encoding: 'utf8' };
  const text = value.toString('utf8');
  return Buffer.from(text, 'utf8').equals(value) ? { text, encoding: 'utf8' } : { text: value.toString('base64'), encoding: 'base64' };
}

export function deadLetterMessage(
  source: DeadLetterSource,
  failure: { reason: string; consumerGroup: string; attempts: number; failedAt: Date },
): { key: Buffer | string | null; value: string; headers: Record<string, string> } {
  const value = source.value === null ? null : asText(source.value);
  const headers = Object.fromEntries(
    Object.entries(source.headers ?? {})
      .filter((entry): entry is [string, Buffer | string] => entry[1] !== undefined)
      .map(([key, header]) => [key, header.toString()]),
  );
  const body: DeadLetterValue = {
    reason: failure.reason,
    consumerGroup: failure.consumerGroup,
    originalTopic: source.topic,
    originalPartition: source.partition,
    originalOffset: source.offset,
    originalValue: value?.text ?? null,
    originalValueEncoding: value?.encoding ?? 'utf8',
    originalHeaders: headers,
    failedAt: failure.failedAt.toISOString(),
    attempts: failure.attempts,
  };
  // Trace headers travel on so the dead letter joins the trace it failed in.
  return { key: source.key, value: JSON.stringify(body), headers: { ...headers, 'x-flowline-dead-letter-reason': failure.reason } };
}
