/**
 * The step log of runs, written at their boundaries: one row per attempt and step start (`seq`),
 * replaced by the same step's later entry in the same attempt (a wait that ended, an effect
 * replayed after a crash). A retried run starts a new attempt and adds rows, so the earlier
 * attempts' entries (a step that failed before it succeeded) stay. The attempt is the operation's
 * retry count at the write, plus one (1: the first attempt), read from its row in the statement
 * itself. Entries of several runs go in one statement.
 */
import type { EntityManager } from 'typeorm';
import type { StepLogEntry } from '@flowline/process-runtime';

export interface StepLogBatch {
  operationId: string;
  /** When the boundary's step started (entries without their own start time get it). */
  stepStarted: Date;
  log: StepLogEntry[];
}

/** The step log rows of `batches` as nine arrays, one per column (parameters of `stepLogInsert`). */
export function stepLogParameters(batches: StepLogBatch[]): unknown[][] {
  const columns: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (const { operationId, stepStarted, log } of batches) {
    // An entry with the same start number as an earlier one is that step again: the last one stands.
    const entries = [...new Map(log.map((entry, index) => [entry.seq ?? `#${index}`, entry])).values()];
    for (const entry of entries) {
      const row = [
        operationId,
        entry.seq ?? null,
        entry.stepId,
        entry.path,
        entry.type,
        entry.status,
        entry.error?.message ?? entry.message ?? null,
        entry.startedAt ?? stepStarted.toISOString(),
        entry.endedAt ?? null,
      ];
      row.forEach((value, index) => columns[index]!.push(value));
    }
  }
  return columns;
}

/**
 * The insert of step log rows given as nine array parameters from `$first` on, each in the attempt
 * its operation's row is at (retry count plus one); `only` (a
 * subquery of operation ids) keeps the rows of those operations alone, so the insert can be a
 * CTE beside the statement that saved them.
 */
export function stepLogInsert(first: number, only?: string): string {
  const p = (index: number) => `$${first + index}`;
  return `INSERT INTO "executor"."operation_step_log" ("operation_id", "attempt", "seq", "step_id", "path", "step_type", "status", "message", "started_on", "logged_on")
     SELECT l."operation_id", o."retry_count" + 1, l."seq", l."step_id", l."path", l."step_type", l."status", l."message", l."started_on", coalesce(l."logged_on", now())
       FROM unnest(${p(0)}::uuid[], ${p(1)}::int[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::text[], ${p(5)}::int[], ${p(6)}::text[], ${p(7)}::timestamptz[], ${p(8)}::timestamptz[])
            WITH ORDINALITY AS l("operation_id", "seq", "step_id", "path", "step_type", "status", "message", "started_on", "logged_on", "n")
       JOIN "executor"."async_operation" o ON o."id" = l."operation_id"
      ${only ? `WHERE l."operation_id" IN (${only})` : ''}
      ORDER BY l."n"
     ON CONFLICT ("operation_id", "attempt", "seq") WHERE "seq" IS NOT NULL
     DO UPDATE SET "status" = EXCLUDED."status", "message" = EXCLUDED."message", "logged_on" = EXCLUDED."logged_on"`;
}

export async function writeStepLog(manager: EntityManager, batches: StepLogBatch[]): Promise<void> {
  const parameters = stepLogParameters(batches);
  if (parameters[0]!.length === 0) return;
  await manager.query(stepLogInsert(1), parameters);
}
