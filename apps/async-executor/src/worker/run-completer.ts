/**
 * Group commit of runs' step boundaries and of runs that succeeded: what arrives while commits
 * are in flight (at most three of each kind) is saved together, set-based. A boundary group is
 * one autocommitted statement saving every run's state, renewing its lease and writing its step
 * log (answering each run its row's status). An end group is one statement too: it moves them
 * all, writes their step log and change events, spends their wait subscriptions and clears the
 * failure throttle; only when a run in it has a parent waiting does the parents' wake-up join it
 * in a transaction.
 *
 * Only a plain end is taken here: the row still held by this host and In Progress. A run whose
 * row an operator moved meanwhile (Canceling, Pausing) or that another host holds now is answered
 * 'not taken', and the caller ends it on the one-run path, which handles those cases. A batch
 * whose transaction fails fails every run in it, as one run's transaction would have: nothing of
 * it was saved, and each run's own handling (waiting out an unavailable database, a retry) applies.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';
import { preparedStatement, runPrepared, type PreparedStatement } from '@flowline/persistence';
import type { InstanceState, StepLogEntry } from '@flowline/process-runtime';
import type { OperationEvents } from '../operations/operation-events';
import type { OperationStore } from '../operations/operation-store';
import { transition } from '../operations/operation-transitions';
import { stepLogInsert, stepLogParameters } from './step-log';

export interface RunEnd {
  operationId: string;
  /** The parent waiting for this run, if any (its wake-up joins the end's transaction). */
  parentOperationId: string | null;
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
  /** The two group statements, prepared on each connection (their text is fixed per process). */
  private boundaryStatement: PreparedStatement | undefined;
  private endStatement: PreparedStatement | undefined;
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
    this.boundaryStatement ??= preparedStatement(
      `WITH v AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[]) AS v("id", "state", "ms", "stage")),
       saved AS (UPDATE "executor"."async_operation" o
          SET "instance_state" = v."state"::jsonb, "lease_expires_at" = now() + ($5 || ' milliseconds')::interval,
              "execution_time_ms" = v."ms", "current_stage" = v."stage", "unavailable_since" = NULL, "unavailable_attempts" = 0,
              "row_version" = o."row_version" + 1
         FROM v
        WHERE o."id" = ANY($1::uuid[]) AND o."id" = v."id"
          -- Checked on the rows found by id, not through the lease index (see saveEnds).
          AND (o."host", o."state") IS NOT DISTINCT FROM ($6, $7::smallint)
       RETURNING o."id", o."status"),
       logged AS (${stepLogInsert(8, 'SELECT "id" FROM saved')})
       SELECT "id", "status" FROM saved`,
    );
    const rows = await runPrepared<{ id: string; status: Status }>(this.dataSource, this.boundaryStatement, [
      sorted.map((boundary) => boundary.operationId),
      sorted.map((boundary) => JSON.stringify(boundary.state)),
      sorted.map((boundary) => boundary.executionTimeMs),
      sorted.map((boundary) => boundary.stage),
      String(this.leaseMs),
      this.host,
      State.Locked,
      ...stepLogParameters(sorted),
    ]);
    return new Map(rows.map((row) => [row.id, row.status]));
  }

  /**
   * One statement moves the rows still held and In Progress, writes their step log and change
   * events, spends their wait subscriptions and clears their definitions' failure throttle.
   * Autocommitted, unless a run in the group has a parent waiting for it: then the parents'
   * wake-up joins it in one transaction.
   */
  private async saveEnds(ends: RunEnd[]): Promise<Set<string>> {
    const sorted = byOperationId(ends);
    const end = async (manager: EntityManager): Promise<Array<{ id: string; parent_operation_id: string | null }>> => {
      this.endStatement ??= preparedStatement(
        `WITH v AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[]) AS v("id", "state", "ms", "message")),
         -- id = ANY(...) lets the planner find the rows by the primary key, whatever it guesses of unnest.
         moved AS (UPDATE "executor"."async_operation" o
            SET "instance_state" = v."state"::jsonb, "execution_time_ms" = v."ms", "current_stage" = NULL,
                "unavailable_since" = NULL, "unavailable_attempts" = 0,
                "state" = $6, "status" = $7, "error_code" = NULL, "friendly_message" = v."message",
                "completed_on" = now(), "host" = NULL, "lease_expires_at" = NULL, "row_version" = o."row_version" + 1
           FROM v
          WHERE o."id" = ANY($1::uuid[]) AND o."id" = v."id"
            -- Checked on the rows found by id, never through an index: in a burst the statistics are behind,
            -- and the planner intersected the lease and status indexes, reading every Locked row's entry.
            AND (o."host", o."state", o."status") IS NOT DISTINCT FROM ($5, $8::smallint, $9::smallint)
         RETURNING o.*),
         logged AS (${stepLogInsert(10, 'SELECT "id" FROM moved')}),
         -- Completed: whatever it waited on is spent.
         spent AS (DELETE FROM "executor"."wait_subscription" WHERE "operation_id" IN (SELECT "id" FROM moved)),
         -- One success clears a definition's failure throttle.
         cleared AS (DELETE FROM "executor"."definition_throttle" WHERE "definition_id" IN (SELECT "definition_id" FROM moved)),
         written AS (${this.events.insertSql('moved')})
         SELECT m."id", m."parent_operation_id", ${this.events.notifySql('written')} AS "notified" FROM moved m`,
      );
      const moved = await runPrepared<{ id: string; parent_operation_id: string | null }>(manager, this.endStatement, [
        sorted.map((one) => one.operationId),
        sorted.map((one) => JSON.stringify(one.state)),
        sorted.map((one) => one.executionTimeMs),
        sorted.map((one) => one.message || null),
        this.host,
        SUCCEEDED.state,
        SUCCEEDED.status,
        State.Locked,
        Status.InProgress,
        ...stepLogParameters(sorted),
      ]);
      this.events.wakeRelay(manager);
      return moved;
    };
    if (!sorted.some((one) => one.parentOperationId)) return new Set((await end(this.dataSource.manager)).map((row) => row.id));
    return this.dataSource.transaction(async (manager) => {
      const moved = await end(manager);
      // A parent waiting for one of them goes on.
      const woken = await this.store.wakeParentsOf(
        manager,
        moved.filter((row) => row.parent_operation_id !== null).map((row) => row.id),
      );
      await this.events.recordMany(manager, woken);
      return new Set(moved.map((row) => row.id));
    });
  }
}
