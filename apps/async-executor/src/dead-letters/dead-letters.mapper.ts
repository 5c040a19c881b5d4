/** A dead letter and its audit as the API shows them (REST JSON). */
import type { z } from 'zod';
import type { ExecutorProto } from '@flowline/rpc';
import type { DeadLetterAuditRow } from './dead-letter-audit.entity';
import type { DeadLetterRow } from './dead-letter.entity';
import type { DeadLetterAuditEntrySchema, DeadLetterSchema } from './dead-letters.http.routes';

/** What REST answers, typed by the schemas the OpenAPI document shows (a field the schema lacks does not compile). */
export type DeadLetterView = z.output<typeof DeadLetterSchema> & { audit?: Array<z.output<typeof DeadLetterAuditEntrySchema>> };

/** The value parsed when it is JSON text (most are envelopes), else null. */
function jsonOf(text: string | null, encoding: 'utf8' | 'base64'): unknown {
  if (text === null || encoding !== 'utf8') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

export function deadLetterToJson(row: DeadLetterRow, audit?: DeadLetterAuditRow[]): DeadLetterView {
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

/** The same letter as gRPC's DeadLetter (JSON values as text, absent times as ''). */
export function deadLetterToProto(view: DeadLetterView): ExecutorProto.DeadLetter {
  return {
    id: view.id,
    status: view.status,
    originalTopic: view.originalTopic,
    originalPartition: view.originalPartition,
    originalOffset: view.originalOffset,
    key: view.key ?? '',
    headers: view.headers,
    value: view.value ?? '',
    valueEncoding: view.valueEncoding,
    reason: view.reason,
    reasonCode: view.reasonCode,
    consumerGroup: view.consumerGroup,
    attempts: view.attempts,
    failedAt: view.failedAt,
    receivedAt: view.receivedAt,
    edited: view.edited !== null,
    editedValue: view.edited?.value ?? '',
    editedHeaders: view.edited?.headers ?? {},
    replayCount: view.replay?.count ?? 0,
    replayedAt: view.replay?.at ?? '',
    replayedPartition: view.replay?.partition ?? 0,
    replayedOffset: view.replay?.offset ?? '',
    audit: (view.audit ?? [])
      .map((entry) => ({ ...entry, detailsJson: JSON.stringify(entry.details) }))
      .map(({ details: _details, ...entry }) => entry),
  };
}
