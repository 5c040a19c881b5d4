/**
 * Group commit of runs' step boundaries and of runs that succeeded: what arrives while commits
 * are in flight (at most three of each kind) is saved together in the next transaction,
 * set-based. A boundary group is one statement saving every run's state and renewing its lease
 * (answering each run its row's status) and one step-log insert. An end group is one statement
 * moving them all, one step-log insert, one throttle clear and one change-event write, instead of
 * a transaction of a dozen statements per run.
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
import { AsyncOperationRow } from '../operations/async-operation.entity';
import { hydrate } from '../operations/hydrate';
import { stepLogInsert, stepLogParameters } from './step-log';

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

/**
 * Items saved in groups: what is added while commits are in flight joins the next one; at most
 * MAX_IN_FLIGHT commits at once. `save` answers, per item, what its caller gets back.
 */
class GroupCommit<T, R> {
  private queue: Array<{ item: T; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;

  constructor(private readonly save: (items: T[]) => Promise<(item: T) => R>) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // Items added in the same turn of the event loop join one group.
      if (this.inFlight < MAX_IN_FLIGHT) {
        this.inFlight += 1;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, MAX_BATCH);
        try {
          const resultOf = await this.save(group.map((waiting) => waiting.item));
          for (const waiting of group) waiting.resolve(resultOf(waiting.item));
        } catch (error) {
          for (const waiting of group) waiting.reject(error);
        }
      }
    } finally {
      this.inFlight -= 1;
    }
  }
}

/** Rows locked in id order: two groups never wait on each other in a cycle. */
const byOperationId = <T extends { operationId: string }>(items: T[]): T[] =>
  [...items].sort((a, b) => (a.operationId < b.operationId ? -1 : a.operationId > b.operationId ? 1 : 0));

export class RunCompleter {
  private readonly boundaries = new GroupCommit<RunBoundary, Status | undefined>(async (boundaries) => {
    const statuses = await this.saveBoundaries(boundaries);
    return (boundary) => statuses.get(boundary.operationId);
  });
  private readonly ends = new GroupCommit<RunEnd, boolean>(async (ends) => {
    const taken = await this.saveEnds(ends);
    return (end) => taken.has(end.operationId);
  });

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
    return this.boundaries.add(boundary);
  }

  /** Saves a succeeded run's end with others; true when saved, false when the caller must end it itself. */
  succeed(end: RunEnd): Promise<boolean> {
    return this.ends.add(end);
  }

  /** One statement, autocommitted: the states saved, the leases renewed, the step log of the saved rows. */
  private async saveBoundaries(boundaries: RunBoundary[]): Promise<Map<string, Status>> {
    const sorted = byOperationId(boundaries);
    const rows = (await this.dataSource.query(
      `WITH v AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[]) AS v("id", "state", "ms", "stage")),
       saved AS (UPDATE "executor"."async_operation" o
          SET "instance_state" = v."state"::jsonb, "lease_expires_at" = now() + ($5 || ' milliseconds')::interval,
              "execution_time_ms" = v."ms", "current_stage" = v."stage", "unavailable_since" = NULL, "unavailable_attempts" = 0,
              "row_version" = o."row_version" + 1
         FROM v
        WHERE o."id" = ANY($1::uuid[]) AND o."id" = v."id" AND o."host" = $6 AND o."state" = $7
       RETURNING o."id", o."status"),
       logged AS (${stepLogInsert(8, 'SELECT "id" FROM saved')})
       SELECT "id", "status" FROM saved`,
      [
        sorted.map((boundary) => boundary.operationId),
        sorted.map((boundary) => JSON.stringify(boundary.state)),
        sorted.map((boundary) => boundary.executionTimeMs),
        sorted.map((boundary) => boundary.stage),
        String(this.leaseMs),
        this.host,
        State.Locked,
        ...stepLogParameters(sorted),
      ],
    )) as Array<{ id: string; status: Status }>;
    return new Map(rows.map((row) => [row.id, row.status]));
  }

  /**
   * One statement moves the rows still held and In Progress, writes their step log, spends their
   * wait subscriptions and clears their definitions' failure throttle, answering what the change
   * events carry; then those events and the parents' wake-ups, in the same transaction.
   */
  private saveEnds(ends: RunEnd[]): Promise<Set<string>> {
    const sorted = byOperationId(ends);
    return this.dataSource.transaction(async (manager) => {
      const moved = (await manager.query(
        `WITH v AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[]) AS v("id", "state", "ms", "message")),
         -- id = ANY(...) lets the planner find the rows by the primary key, whatever it guesses of unnest.
         moved AS (UPDATE "executor"."async_operation" o
            SET "instance_state" = v."state"::jsonb, "execution_time_ms" = v."ms", "current_stage" = NULL,
                "unavailable_since" = NULL, "unavailable_attempts" = 0,
                "state" = $6, "status" = $7, "error_code" = NULL, "friendly_message" = v."message",
                "completed_on" = now(), "host" = NULL, "lease_expires_at" = NULL, "row_version" = o."row_version" + 1
           FROM v
          WHERE o."id" = ANY($1::uuid[]) AND o."id" = v."id" AND o."host" = $5 AND o."state" = $8 AND o."status" = $9
         RETURNING o."id", o."parent_operation_id", o."correlation_id", o."depth", o."name", o."operation_type", o."state", o."status",
                   o."definition_id", o."definition_version", o."primary_entity", o."regarding_id", o."error_code", o."friendly_message"),
         logged AS (${stepLogInsert(10, 'SELECT "id" FROM moved')}),
         -- Completed: whatever it waited on is spent.
         spent AS (DELETE FROM "executor"."wait_subscription" WHERE "operation_id" IN (SELECT "id" FROM moved)),
         -- One success clears a definition's failure throttle.
         cleared AS (DELETE FROM "executor"."definition_throttle" WHERE "definition_id" IN (SELECT "definition_id" FROM moved))
         SELECT * FROM moved`,
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
          ...stepLogParameters(sorted),
        ],
      )) as Array<Record<string, unknown> & { id: string; parent_operation_id: string | null }>;
      const taken = new Set(moved.map((row) => row.id));
      if (taken.size === 0) return taken;
      // A parent waiting for one of them goes on.
      const woken = await this.store.wakeParentsOf(
        manager,
        moved.filter((row) => row.parent_operation_id !== null).map((row) => row.id),
      );
      await this.events.recordRows(manager, hydrate(this.dataSource, AsyncOperationRow, moved));
      if (woken.length > 0) await this.events.recordMany(manager, woken);
      return taken;
    });
  }
}
