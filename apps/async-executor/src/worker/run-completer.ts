/**
 * Group commit of runs that succeeded: the ends that arrive while commits are in flight (at most
 * three) are saved together in the next transaction, set-based (one statement moves them all, one
 * writes their step logs, one clears their definitions' throttles, one writes their change
 * events), instead of one transaction of a dozen statements per run.
 *
 * Only a plain end is taken here: the row still held by this host and In Progress. A run whose
 * row an operator moved meanwhile (Canceling, Pausing) or that another host holds now is answered
 * 'not taken', and the caller ends it on the one-run path, which handles those cases. A batch
 * whose transaction fails fails every run in it, as one run's transaction would have: nothing of
 * it was saved, and each run's own handling (waiting out an unavailable database, a retry) applies.
 */
import type { DataSource } from 'typeorm';
import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';
import type { InstanceState, StepLogEntry } from '@flowline/process-runtime';
import type { OperationEvents } from '../operations/operation-events';
import type { OperationStore } from '../operations/operation-store';
import { transition } from '../operations/operation-transitions';
import { writeStepLog } from './step-log';

export interface RunEnd {
  operationId: string;
  definitionId: string | null;
  state: InstanceState;
  log: StepLogEntry[];
  stepStarted: Date;
  /** The run's execution time in total (earlier runs included). */
  executionTimeMs: number;
  message: string;
}

const SUCCEEDED = transition({ state: State.Locked, status: Status.InProgress }, 'succeed');
/** Ends saved in one transaction at most (a statement's parameters stay well below PostgreSQL's limit). */
const MAX_BATCH = 100;
/** Batches of each kind committed side by side at most. */
const MAX_IN_FLIGHT = 3;

interface Waiting {
  end: RunEnd;
  resolve: (taken: boolean) => void;
  reject: (error: unknown) => void;
}

/** A step boundary of a run: its state and step log saved, its lease renewed. */
export interface RunBoundary {
  operationId: string;
  state: InstanceState;
  log: StepLogEntry[];
  stepStarted: Date;
  executionTimeMs: number;
  /** The step the run is at, for operators. */
  stage: string | null;
}

interface WaitingBoundary {
  boundary: RunBoundary;
  resolve: (status: Status | undefined) => void;
  reject: (error: unknown) => void;
}

export class RunCompleter {
  private queue: Waiting[] = [];
  private flushing = 0;
  private boundaries: WaitingBoundary[] = [];
  private flushingBoundaries = 0;
  /** Transactions and runs saved by them, for the metrics. */
  readonly stats = { batches: 0, runs: 0, boundaryBatches: 0, boundaries: 0 };

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: OperationStore,
    private readonly events: OperationEvents,
    private readonly host: string,
    private readonly leaseMs: number,
  ) {}

  /**
   * Saves a run's state and step log at a boundary and renews its lease, with the other runs at
   * a boundary now; answers the row's status then (Canceling and Pausing tell the run to stop),
   * or undefined when this host no longer holds it.
   */
  boundary(boundary: RunBoundary): Promise<Status | undefined> {
    return new Promise<Status | undefined>((resolve, reject) => {
      this.boundaries.push({ boundary, resolve, reject });
      if (this.flushingBoundaries < MAX_IN_FLIGHT) {
        this.flushingBoundaries += 1;
        setImmediate(() => void this.drainBoundaries());
      }
    });
  }

  private async drainBoundaries(): Promise<void> {
    try {
      while (this.boundaries.length > 0) {
        const batch = this.boundaries.splice(0, MAX_BATCH);
        try {
          const statuses = await this.saveBoundaries(batch.map((waiting) => waiting.boundary));
          for (const waiting of batch) waiting.resolve(statuses.get(waiting.boundary.operationId));
        } catch (error) {
          for (const waiting of batch) waiting.reject(error);
        }
      }
    } finally {
      this.flushingBoundaries -= 1;
    }
  }

  private saveBoundaries(boundaries: RunBoundary[]): Promise<Map<string, Status>> {
    const sorted = [...boundaries].sort((a, b) => (a.operationId < b.operationId ? -1 : a.operationId > b.operationId ? 1 : 0));
    return this.dataSource.transaction(async (manager) => {
      const rows = (await manager.query(
        `WITH v AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[]) AS v("id", "state", "ms", "stage")),
         saved AS (UPDATE "executor"."async_operation" o
            SET "instance_state" = v."state"::jsonb, "lease_expires_at" = now() + ($5 || ' milliseconds')::interval,
                "execution_time_ms" = v."ms", "current_stage" = v."stage", "unavailable_since" = NULL, "unavailable_attempts" = 0,
                "row_version" = o."row_version" + 1
           FROM v
          WHERE o."id" = ANY($1::uuid[]) AND o."id" = v."id" AND o."host" = $6 AND o."state" = $7
         RETURNING o."id", o."status")
         SELECT "id", "status" FROM saved`,
        [
          sorted.map((boundary) => boundary.operationId),
          sorted.map((boundary) => JSON.stringify(boundary.state)),
          sorted.map((boundary) => boundary.executionTimeMs),
          sorted.map((boundary) => boundary.stage),
          String(this.leaseMs),
          this.host,
          State.Locked,
        ],
      )) as Array<{ id: string; status: Status }>;
      const statuses = new Map(rows.map((row) => [row.id, row.status]));
      await writeStepLog(
        manager,
        sorted
          .filter((boundary) => statuses.has(boundary.operationId))
          .map((boundary) => ({ operationId: boundary.operationId, stepStarted: boundary.stepStarted, log: boundary.log })),
      );
      this.stats.boundaryBatches += 1;
      this.stats.boundaries += rows.length;
      return statuses;
    });
  }

  /** Saves a succeeded run's end with others; true when saved, false when the caller must end it itself. */
  succeed(end: RunEnd): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ end, resolve, reject });
      // The ends of runs finishing in the same turn of the event loop join one batch; a few
      // batches are committed side by side, so a run never waits long behind another's commit.
      if (this.flushing < MAX_IN_FLIGHT) {
        this.flushing += 1;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const taken = await this.save(batch.map((waiting) => waiting.end));
          for (const waiting of batch) waiting.resolve(taken.has(waiting.end.operationId));
        } catch (error) {
          for (const waiting of batch) waiting.reject(error);
        }
      }
    } finally {
      this.flushing -= 1;
    }
  }

  private save(ends: RunEnd[]): Promise<Set<string>> {
    // Rows locked in id order: two batches never wait on each other in a cycle.
    const sorted = [...ends].sort((a, b) => (a.operationId < b.operationId ? -1 : a.operationId > b.operationId ? 1 : 0));
    return this.dataSource.transaction(async (manager) => {
      const moved = (await manager.query(
        // A SELECT over the UPDATE's RETURNING: TypeORM answers a bare UPDATE with [rows, count].
        `WITH v AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[]) AS v("id", "state", "ms", "message")),
         -- id = ANY(...) lets the planner find the rows by the primary key, whatever it guesses of unnest.
         moved AS (UPDATE "executor"."async_operation" o
            SET "instance_state" = v."state"::jsonb, "execution_time_ms" = v."ms", "current_stage" = NULL,
                "unavailable_since" = NULL, "unavailable_attempts" = 0,
                "state" = $6, "status" = $7, "error_code" = NULL, "friendly_message" = v."message",
                "completed_on" = now(), "host" = NULL, "lease_expires_at" = NULL, "row_version" = o."row_version" + 1
           FROM v
          WHERE o."id" = ANY($1::uuid[]) AND o."id" = v."id" AND o."host" = $5 AND o."state" = $8 AND o."status" = $9
         RETURNING o."id", o."parent_operation_id")
         SELECT "id", "parent_operation_id" FROM moved`,
        [
          sorted.map((end) => end.operationId),
          sorted.map((end) => JSON.stringify(end.state)),
          sorted.map((end) => end.executionTimeMs),
          sorted.map((end) => end.message || null),
          this.host,
          SUCCEEDED.state,
          SUCCEEDED.status,
          State.Locked,
          Status.InProgress,
        ],
      )) as Array<{ id: string; parent_operation_id: string | null }>;
      const taken = new Set(moved.map((row) => row.id));
      if (taken.size === 0) return taken;
      const saved = sorted.filter((end) => taken.has(end.operationId));
      const ids = saved.map((end) => end.operationId);
      await writeStepLog(
        manager,
        saved.map((end) => ({ operationId: end.operationId, stepStarted: end.stepStarted, log: end.log })),
      );
      // Completed: whatever it waited on is spent; a parent waiting for it goes on.
      await manager.query(`DELETE FROM "executor"."wait_subscription" WHERE "operation_id" = ANY($1::uuid[])`, [ids]);
      const woken = await this.store.wakeParentsOf(
        manager,
        moved.filter((row) => row.parent_operation_id !== null).map((row) => row.id),
      );
      // One success clears a definition's failure throttle.
      const definitions = [...new Set(saved.map((end) => end.definitionId).filter((id): id is string => id !== null))];
      if (definitions.length > 0)
        await manager.query(`DELETE FROM "executor"."definition_throttle" WHERE "definition_id" = ANY($1::uuid[])`, [definitions]);
      await this.events.recordMany(manager, [...ids, ...woken]);
      this.stats.batches += 1;
      this.stats.runs += ids.length;
      return taken;
    });
  }
}
