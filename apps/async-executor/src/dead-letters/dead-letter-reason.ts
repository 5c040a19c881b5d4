/**
 * Reading what a consumer wrote to the dead letters: the letter's value (DeadLetterValue from
 * libs/messaging) checked field by field, and a stable reason code derived from the reason text
 * so letters can be filtered by kind. Pure.
 */
import type { DeadLetterValue } from '@flowline/messaging';

/** The code of a reason: its own leading CODE, or the kind of failure the text names. */
export function reasonCodeOf(reason: string): string {
  const coded = /^([A-Z][A-Z0-9_]{2,}): /.exec(reason);
  if (coded) return coded[1]!;
  if (/^gave up after \d+ attempts: /.test(reason)) {
    const inner = reason.replace(/^gave up after \d+ attempts: /, '');
    const innerCode = /^([A-Z][A-Z0-9_]{2,}): /.exec(inner);
    return innerCode ? `RETRIES_EXHAUSTED_${innerCode[1]!}` : 'RETRIES_EXHAUSTED';
  }
  if (/^invalid envelope\b/i.test(reason)) return 'INVALID_ENVELOPE';
  if (/^type '[^']*' is not /.test(reason)) return 'UNEXPECTED_TYPE';
  if (/^invalid [a-z -]+:/i.test(reason)) return 'INVALID_PAYLOAD';
  return 'HANDLER_REFUSED';
}

export type ReadDeadLetter = { ok: true; letter: DeadLetterValue } | { ok: false; reason: string };

const isRecordOfStrings = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');

/** The dead letter in a message value, or why it is not one (then it is kept as it came). */
export function readDeadLetter(value: Buffer | null): ReadDeadLetter {
  if (value === null) return { ok: false, reason: 'the dead letter has no value' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'the dead letter is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null) return { ok: false, reason: 'the dead letter is not a JSON object' };
  const v = parsed as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof v['reason'] !== 'string') problems.push('reason');
  if (typeof v['consumerGroup'] !== 'string') problems.push('consumerGroup');
  if (typeof v['originalTopic'] !== 'string' || !v['originalTopic']) problems.push('originalTopic');
  if (!Number.isInteger(v['originalPartition'])) problems.push('originalPartition');
  if (typeof v['originalOffset'] !== 'string' || !/^\d+$/.test(v['originalOffset'])) problems.push('originalOffset');
  if (v['originalValue'] !== null && typeof v['originalValue'] !== 'string') problems.push('originalValue');
  if (v['originalValueEncoding'] !== 'utf8' && v['originalValueEncoding'] !== 'base64') problems.push('originalValueEncoding');
  if (!isRecordOfStrings(v['originalHeaders'])) problems.push('originalHeaders');
  if (typeof v['failedAt'] !== 'string' || Number.isNaN(new Date(v['failedAt']).getTime())) problems.push('failedAt');
  if (!Number.isInteger(v['attempts'])) problems.push('attempts');
  if (problems.length > 0) return { ok: false, reason: `the dead letter lacks or has invalid fields: ${problems.join(', ')}` };
  return { ok: true, letter: v as unknown as DeadLetterValue };
}
