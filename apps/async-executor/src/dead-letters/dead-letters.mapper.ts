/** A dead letter and its audit as the API shows them (REST JSON). */
import type { DeadLetterAuditRow } from './dead-letter-audit.entity';
import type { DeadLetterRow } from './dead-letter.entity';

/** The value parsed when it is JSON text (most are envelopes), else null. */
function jsonOf(text: string | null, encoding: 'utf8' | 'base64'): unknown {
  if (text === null || encoding !== 'utf8') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

export function deadLetterToJson(row: DeadLetterRow, audit?: DeadLetterAuditRow[]) {
  return {
    id: row.id,
    status: row.status,
    originalTopic: row.originalTopic,
    originalPartition: row.originalPartition,
    originalOffset: row.originalOffset,
    key: row.key,
    headers: row.headers,
    value: row.value,
    valueEncoding: row.valueEncoding,
    valueJson: jsonOf(row.value, row.valueEncoding),
    reason: row.reason,
    reasonCode: row.reasonCode,
    consumerGroup: row.consumerGroup,
    attempts: row.attempts,
    failedAt: row.failedAt.toISOString(),
    receivedAt: row.receivedAt.toISOString(),
    deadLetter: { topic: row.deadLetterTopic, partition: row.deadLetterPartition, offset: row.deadLetterOffset },
    edited:
      row.editedValue !== null || row.editedHeaders !== null
        ? { value: row.editedValue, valueJson: jsonOf(row.editedValue, 'utf8'), headers: row.editedHeaders }
        : null,
    replay:
      row.replayCount > 0
        ? {
            count: row.replayCount,
            at: row.replayedAt?.toISOString() ?? null,
            partition: row.replayedPartition,
            offset: row.replayedOffset,
          }
        : null,
    ...(audit
      ? { audit: audit.map((entry) => ({ action: entry.action, actor: entry.actor, at: entry.at.toISOString(), details: entry.details })) }
      : {}),
  };
}
