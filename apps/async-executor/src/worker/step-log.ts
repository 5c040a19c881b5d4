/**
 * The step log of runs, written at their boundaries: one row per step start (`seq`), replaced by
 * the same step's later entry (a wait that ended, an effect replayed). Entries of several runs go
 * in one statement.
 */
import type { EntityManager } from 'typeorm';
import type { StepLogEntry } from '@flowline/process-runtime';

export interface StepLogBatch {
  operationId: string;
  /** When the boundary's step started (entries without their own start time get it). */
  stepStarted: Date;
  log: StepLogEntry[];
}

export async function writeStepLog(manager: EntityManager, batches: StepLogBatch[]): Promise<void> {
  const values: unknown[] = [];
  const rowsSql: string[] = [];
  for (const { operationId, stepStarted, log } of batches) {
    // An entry with the same start number as an earlier one is that step again: the last one stands.
    const entries = [...new Map(log.map((entry, index) => [entry.seq ?? `#${index}`, entry])).values()];
    for (const entry of entries) {
      values.push(
        operationId,
        stepStarted,
        entry.seq ?? null,
        entry.stepId,
        entry.path,
        entry.type,
        entry.status,
        entry.error?.message ?? entry.message ?? null,
        entry.startedAt ?? null,
        entry.endedAt ?? null,
      );
      const n = values.length;
      rowsSql.push(
        `($${n - 9}::uuid, $${n - 7}::int, $${n - 6}, $${n - 5}, $${n - 4}, $${n - 3}::int, $${n - 2}, coalesce($${n - 1}::timestamptz, $${n - 8}::timestamptz), coalesce($${n}::timestamptz, now()))`,
      );
    }
  }
  if (rowsSql.length === 0) return;
  await manager.query(
    `INSERT INTO "executor"."operation_step_log" ("operation_id", "seq", "step_id", "path", "step_type", "status", "message", "started_on", "logged_on")
     VALUES ${rowsSql.join(', ')}
     ON CONFLICT ("operation_id", "seq") WHERE "seq" IS NOT NULL
     DO UPDATE SET "status" = EXCLUDED."status", "message" = EXCLUDED."message", "logged_on" = EXCLUDED."logged_on"`,
    values,
  );
}
