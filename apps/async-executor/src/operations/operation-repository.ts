/**
 * The statements the workers issue on async operations, one method each, with the index it
 * relies on where it matters: the claim (one round trip), lease renewal, the sweeper's queries
 * (due timers, expired leases), loop protection's count, saving a run's state on the one-run
 * path, a child's insert and read, and what belongs to a run beside its row (its wait
 * subscriptions, its webhook step's log line, its definition's failure throttle). The workers
 * only orchestrate: moves through the transition function are OperationStore's, group-committed
 * boundaries and ends are RunCompleter's.
 */
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Pool } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { AsyncOperationState as State, AsyncOperationStatus as Status, AsyncOperationType } from '@flowline/contracts';
import { poolOf, prepared, preparedStatement, runPrepared, type PreparedStatement } from '@flowline/persistence';
import { StepStatus, type InstanceState, type OpenStep, type StepLogEntry } from '@flowline/process-runtime';
import { writeStepLog } from '../worker/step-log';
import { AsyncOperationRow } from './async-operation.entity';
import { hydrate } from './hydrate';
import { OperationEvents } from './operation-events';
import { CHILD_SUBSCRIPTION, OperationStore, READY_CHANNEL, subscribersOf, type MoveResult } from './operation-store';
import { transition } from './operation-transitions';
import { localWorkers, ReadySignal } from './ready-signal';

/** Claims are set-based SQL for speed; the position they move to is still the transition function's. */
const CLAIMED = transition({ state: State.Ready, status: Status.WaitingForResources }, 'claim');
/** A run waiting on a record or a child, and where an event on that record moves it. */
const WAITING = { state: State.Suspended, status: Status.Waiting };
const WOKEN = transition(WAITING, 'wake');

/** An operation the dispatcher creates for an event. */
export type NewOperation = Pick<
  AsyncOperationRow,
  | 'id'
  | 'operationType'
  | 'name'
  | 'processKey'
  | 'definitionId'
  | 'definitionVersion'
  | 'stepRegistrationId'
  | 'state'
  | 'status'
  | 'eventId'
  | 'correlationId'
  | 'depth'
  | 'primaryEntity'
  | 'regardingId'
  | 'owner'
  | 'input'
  | 'dependencyToken'
  | 'postponeUntil'
  | 'traceContext'
>;

/** An operation just claimed, with its workflow's recent runs on the record (a first run only). */
export interface Claimed {
  operation: AsyncOperationRow;
  recentRuns: number | undefined;
}

export interface ClaimOptions {
  /** The claiming host: the lease's owner. */
  host: string;
  limit: number;
  /** Operations of one definition Locked at once across all executors (0: no limit). */
  definitionConcurrency: number;
  leaseMs: number;
  /** Loop protection's window, for the count of recent runs. */
  loopWindowMs: number;
}

/** A started child as its waiting parent reads it. */
export interface ChildRow {
  id: string;
  state: State;
  status: Status;
  error_code: string | null;
  friendly_message: string | null;
  instance_state: InstanceState | null;
}

/** What a boundary saves on the one-run path: the state, its step log, and the run's time and step. */
export interface StateSave {
  state: InstanceState;
  log: StepLogEntry[];
  stepStarted: Date;
  /** The run's execution time in total (earlier runs included). */
  executionTimeMs: number;
  /** The step the run is at, for operators. */
  stage: string | null;
}

@Injectable()
export class OperationRepository implements OnApplicationShutdown {
  /** The hot statements, prepared on each connection (built on first use: their text is fixed per process). */
  private dispatchStatement: PreparedStatement | undefined;
  private readonly claimStatements = new Map<string, PreparedStatement>();
  private claimConnection: Pool | undefined;

  private readonly logger = new Logger('OperationRepository');
  /** Wakes the workers once a dispatch committed (ready-signal.ts). */
  private readonly ready: ReadySignal;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: OperationEvents,
    private readonly store: OperationStore,
  ) {
    this.ready = new ReadySignal(
      async () => void (await this.dataSource.query(`SELECT pg_notify($1, '')`, [READY_CHANNEL])),
      (error) =>
        this.logger.warn({ err: String(error) }, `could not tell the other replicas' workers of new work (they poll): ${String(error)}`),
    );
  }

  /** Runs `work` in one transaction. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Claims up to `limit` operations in one round trip: a prepared statement that moves them,
   * answers their rows and writes their change events, on the claim connection (whose planner
   * setting is below). For a first run it also counts the workflow's recent runs on the record,
   * for loop protection. With a per-definition limit, the claim takes a transaction-scoped
   * advisory lock first, so two replicas cannot both take the last free slot of a definition.
   */
  async claim({ host, limit, definitionConcurrency, leaseMs, loopWindowMs }: ClaimOptions): Promise<Claimed[]> {
    const statement = this.claimStatement(Math.trunc(limit), Math.trunc(definitionConcurrency));
    const values = [host, Math.trunc(leaseMs), Math.trunc(loopWindowMs)];
    const client = await this.claimPool().connect();
    let raws: Array<Record<string, unknown> & { recent_runs: number | null }>;
    try {
      if (definitionConcurrency > 0) {
        await client.query('BEGIN');
        try {
          await client.query(`SELECT pg_advisory_xact_lock(hashtext('flowline.executor.claim'))`);
          raws = (await client.query(prepared(statement, values))).rows;
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      } else {
        raws = (await client.query(prepared(statement, values))).rows;
      }
      client.release();
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    if (raws.length === 0) return [];
    this.events.wakeRelay();
    const operations = hydrate(this.dataSource, AsyncOperationRow, raws);
    return operations.map((operation, index) => ({ operation, recentRuns: raws[index]!.recent_runs ?? undefined }));
  }

  /**
   * The claim's statement for a limit and a per-definition limit (literals, so each gets the plan
   * its LIMIT calls for; at most one statement per free-slot count). $1 host, $2 lease ms, $3 loop
   * protection's window ms. It names its result columns: a prepared statement's result type must
   * not change under it when a migration adds a column.
   */
  private claimStatement(limit: number, definitionConcurrency: number): PreparedStatement {
    const key = `${limit}/${definitionConcurrency}`;
    const known = this.claimStatements.get(key);
    if (known) return known;
    const int = (value: number): string => String(Math.trunc(Number(value)));
    const columns = this.dataSource
      .getMetadata(AsyncOperationRow)
      .columns.map((column) => `c."${column.databaseName}"`)
      .join(', ');
    const statement = preparedStatement(
      // Uses IDX_async_operation_ready; SKIP LOCKED lets many workers and replicas claim side by side.
      `WITH candidates AS (
         SELECT o."id", o."definition_id", o."sequence" FROM "executor"."async_operation" o
          WHERE o."state" = 0 AND o."postpone_until" <= now()
            -- Bulk actions (type 13) are carried out by BulkActionRunner, not by the workers.
            AND o."operation_type" <> ${int(AsyncOperationType.BulkDelete)}
            -- The throttled definitions are read once (an InitPlan) and filter the index walk row by row:
            -- as NOT EXISTS the planner joined them (a hash anti join), which lost the index order, so
            -- every claim read and sorted the whole Ready set (4 ms with 3,500 Ready) to take 16.
            AND (o."definition_id" IS NULL OR o."definition_id" <> ALL (ARRAY(
                 SELECT t."definition_id" FROM "executor"."definition_throttle" t WHERE t."throttled_until" > now())))
            AND (o."dependency_token" IS NULL OR NOT EXISTS (
                 SELECT 1 FROM "executor"."async_operation" d
                  WHERE d."dependency_token" = o."dependency_token" AND d."sequence" < o."sequence" AND d."state" <> 3))
          ORDER BY o."sequence"
          -- Candidates are locked: only as many as the claim takes, unless the per-definition limit may pass some over.
          LIMIT ${int(definitionConcurrency > 0 ? limit * 4 : limit)} FOR UPDATE SKIP LOCKED),
       ranked AS (
         SELECT c."id", c."sequence", row_number() OVER (PARTITION BY c."definition_id" ORDER BY c."sequence") AS n,
                (SELECT count(*) FROM "executor"."async_operation" r WHERE r."state" = 2 AND r."definition_id" = c."definition_id") AS locked,
                c."definition_id"
           FROM candidates c),
       chosen AS (
         SELECT "id" FROM ranked
          WHERE ${int(definitionConcurrency)} = 0 OR "definition_id" IS NULL OR "locked" + "n" <= ${int(definitionConcurrency)}
          ORDER BY "sequence" LIMIT ${int(limit)}),
       claimed AS (
         UPDATE "executor"."async_operation" o
            SET "state" = ${int(CLAIMED.state)}, "status" = ${int(CLAIMED.status)}, "host" = $1::text,
                "lease_expires_at" = now() + $2::int * interval '1 millisecond', "next_attempt_at" = NULL,
                "started_on" = coalesce(o."started_on", now()), "row_version" = o."row_version" + 1
           FROM chosen WHERE o."id" = chosen."id"
         RETURNING o.*),
       written AS (${this.events.insertSql('claimed')})
       SELECT ${columns},
              -- Loop protection (uses IDX_async_operation_regarding): this run included.
              CASE WHEN c."instance_state" IS NULL AND c."definition_id" IS NOT NULL THEN
                (SELECT count(*)::int FROM "executor"."async_operation" r
                  WHERE r."primary_entity" = c."primary_entity" AND r."regarding_id" = c."regarding_id" AND r."definition_id" = c."definition_id"
                    AND r."sequence" <= c."sequence" AND r."created_on" > now() - $3::int * interval '1 millisecond')
              END AS "recent_runs",
              ${this.events.notifySql('written')} AS "notified"
         FROM claimed c ORDER BY c."sequence"`,
    );
    this.claimStatements.set(key, statement);
    return statement;
  }

  /**
   * The claim's own connection, planned without bitmap scans. The Ready set comes in bursts, so
   * the table's statistics are mostly behind it: estimating a few Ready rows, the planner would
   * read every Ready row through a bitmap and sort them all (20 ms with 3,000 Ready) instead of
   * walking IDX_async_operation_ready in order up to the limit. The claim loop claims one batch at
   * a time, so one connection serves it; a broken one is replaced on the next claim.
   */
  private claimPool(): Pool {
    if (!this.claimConnection) {
      const pool = new Pool({ ...this.pool().options, max: 1 });
      pool.on('connect', (client) => void client.query('SET enable_bitmapscan = off').catch(() => undefined));
      // An idle connection that breaks (PostgreSQL restarting) is dropped; the next claim opens another.
      pool.on('error', () => undefined);
      this.claimConnection = pool;
    }
    return this.claimConnection;
  }

  async onApplicationShutdown(): Promise<void> {
    this.ready.stop();
    const pool = this.claimConnection;
    this.claimConnection = undefined;
    await pool?.end();
  }

  /**
   * The dispatcher's write for one batch of events, one autocommitted statement: the new
   * operations inserted in the order given (so `sequence` keeps event order), each at most once
   * (UQ_async_operation_event_process: a redelivered event creates nothing twice); the suspended
   * operations waiting on the events' records woken (IDX_wait_subscription_record) and their
   * subscriptions spent; the change events of both. Once it committed, the workers are woken (ReadySignal).
   *
   * When this process's workers have free slots (ready-signal.ts's HandOff), new operations that
   * need no ordering (no dependency token) are inserted already claimed by them, unless their
   * definition is throttled, with loop protection's count as the claim makes it; the workers start
   * them after the commit. The others are Ready for the claim.
   */
  async dispatch(
    operations: ReadonlyArray<NewOperation>,
    touched: ReadonlyArray<{ entity: string; recordId: string }>,
  ): Promise<{ created: string[]; woken: string[]; started: number }> {
    this.dispatchStatement ??= this.dispatchSql();
    // Slots of this process's workers for the operations that may skip the claim, in order.
    const handOff = localWorkers()?.handOff;
    const eligible = operations.filter(
      (operation) =>
        operation.dependencyToken === null && operation.state === State.Ready && operation.operationType !== AsyncOperationType.BulkDelete,
    );
    const granted = handOff && eligible.length > 0 ? handOff.reserve(eligible.length) : 0;
    const direct = new Set(eligible.slice(0, granted));
    let rows: Array<
      Record<string, unknown> & { dispatch_created: string[]; dispatch_woken: string[]; dispatch_ready: number; recent_runs: number | null }
    >;
    try {
      rows = await runPrepared(this.dataSource, this.dispatchStatement, [
        JSON.stringify(
          operations.map((operation, n) => ({
            n,
            id: operation.id,
            operation_type: operation.operationType,
            name: operation.name,
            process_key: operation.processKey,
            definition_id: operation.definitionId,
            definition_version: operation.definitionVersion,
            step_registration_id: operation.stepRegistrationId,
            state: operation.state,
            status: operation.status,
            event_id: operation.eventId,
            correlation_id: operation.correlationId,
            depth: operation.depth,
            primary_entity: operation.primaryEntity,
            regarding_id: operation.regardingId,
            owner: operation.owner,
            input: operation.input,
            dependency_token: operation.dependencyToken,
            postpone_until: operation.postponeUntil.toISOString(),
            trace_context: operation.traceContext,
            direct: direct.has(operation),
          })),
        ),
        touched.map((record) => record.entity),
        touched.map((record) => record.recordId),
        handOff?.host ?? '',
        Math.trunc(handOff?.leaseMs ?? 0),
        Math.trunc(handOff?.loopWindowMs ?? 0),
      ]);
    } catch (error) {
      if (granted > 0) handOff!.release(granted);
      throw error;
    }
    const [summary] = rows;
    const raws = rows.filter((row) => row['id'] !== null && row['id'] !== undefined);
    this.events.wakeRelay();
    if (granted > 0) {
      const claimed = hydrate(this.dataSource, AsyncOperationRow, raws).map((operation, index) => ({
        operation,
        recentRuns: raws[index]!.recent_runs ?? undefined,
      }));
      handOff!.start(claimed);
      handOff!.release(granted - claimed.length);
    }
    this.ready.committed(summary!.dispatch_ready);
    return { created: summary!.dispatch_created, woken: summary!.dispatch_woken, started: raws.length };
  }

  /**
   * The dispatch statement: $1 the operations (JSON), $2 and $3 the touched records' entities and
   * ids, $4 the hand-off's host, $5 its lease ms, $6 loop protection's window ms. It names its
   * result columns, as the claim does.
   */
  private dispatchSql(): PreparedStatement {
    const int = (value: number): string => String(Math.trunc(Number(value)));
    const columns = this.dataSource
      .getMetadata(AsyncOperationRow)
      .columns.map((column) => `s."${column.databaseName}"`)
      .join(', ');
    return preparedStatement(
      `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
                    "n" int, "id" uuid, "operation_type" smallint, "name" text, "process_key" text, "definition_id" uuid,
                    "definition_version" int, "step_registration_id" uuid, "state" smallint, "status" smallint, "event_id" uuid,
                    "correlation_id" text, "depth" int, "primary_entity" text, "regarding_id" text, "owner" text, "input" jsonb,
                    "dependency_token" text, "postpone_until" timestamptz, "trace_context" jsonb, "direct" boolean)),
       -- Handed to this process's workers: asked for, and the definition not throttled (read once, as the claim does).
       g AS (SELECT r.*, coalesce(r."direct", false) AND (r."definition_id" IS NULL OR r."definition_id" <> ALL (ARRAY(
                    SELECT t."definition_id" FROM "executor"."definition_throttle" t WHERE t."throttled_until" > now()))) AS "go"
               FROM r),
       created AS (
         INSERT INTO "executor"."async_operation" ("id", "operation_type", "name", "process_key", "definition_id",
                "definition_version", "step_registration_id", "state", "status", "event_id", "correlation_id", "depth",
                "primary_entity", "regarding_id", "owner", "input", "instance_state", "dependency_token", "postpone_until",
                "trace_context", "created_on", "row_version", "host", "lease_expires_at", "started_on")
         SELECT "id", "operation_type", "name", "process_key", "definition_id", "definition_version", "step_registration_id",
                CASE WHEN "go" THEN ${int(CLAIMED.state)} ELSE "state" END, CASE WHEN "go" THEN ${int(CLAIMED.status)} ELSE "status" END,
                "event_id", "correlation_id", "depth", "primary_entity", "regarding_id", "owner", "input",
                NULL, "dependency_token", "postpone_until", "trace_context", now(), 1,
                CASE WHEN "go" THEN $4::text END, CASE WHEN "go" THEN now() + $5::int * interval '1 millisecond' END,
                CASE WHEN "go" THEN now() END
           FROM g ORDER BY "n"
         ON CONFLICT DO NOTHING
         RETURNING *),
       touched AS (SELECT * FROM unnest($2::text[], $3::text[]) AS t("entity", "record_id")),
       woken AS (
         -- The positions are literals, not parameters: the statement's generic plan (it is prepared)
         -- knows them as a custom plan would.
         UPDATE "executor"."async_operation" o
            SET "state" = ${int(WOKEN.state)}, "status" = ${int(WOKEN.status)}, "postpone_until" = now(), "row_version" = o."row_version" + 1
          WHERE o."state" = ${int(WAITING.state)} AND o."status" = ${int(WAITING.status)}
            AND o."id" IN (${subscribersOf('touched')})
         RETURNING o.*),
       spent AS (DELETE FROM "executor"."wait_subscription" WHERE "operation_id" IN (SELECT "id" FROM woken)),
       changed AS (SELECT * FROM created UNION ALL SELECT * FROM woken),
       written AS (${this.events.insertSql('changed')}),
       summary AS (
         SELECT (SELECT coalesce(array_agg("id"::text ORDER BY "sequence"), '{}') FROM created) AS "dispatch_created",
                (SELECT coalesce(array_agg("id"::text), '{}') FROM woken) AS "dispatch_woken",
                -- No NOTIFY here: it would make the dispatcher's commits wait for each other (ready-signal.ts).
                (SELECT count(*)::int FROM changed WHERE "state" = ${int(State.Ready)}) AS "dispatch_ready",
                ${this.events.notifySql('written')} AS "dispatch_notified"),
       -- Loop protection's count for a handed-off first run, as the claim makes it (this run included):
       -- the workflow's runs on the record within the window before this statement, and this batch's up to it.
       numbered AS (
         SELECT c.*, row_number() OVER (PARTITION BY c."primary_entity", c."regarding_id", c."definition_id" ORDER BY c."sequence") AS "nth"
           FROM created c),
       started AS (
         SELECT c.*, CASE WHEN c."definition_id" IS NOT NULL THEN
                  (SELECT count(*)::int FROM "executor"."async_operation" p
                    WHERE p."primary_entity" = c."primary_entity" AND p."regarding_id" = c."regarding_id"
                      AND p."definition_id" = c."definition_id" AND p."created_on" > now() - $6::int * interval '1 millisecond')
                  + c."nth"::int END AS "recent_runs"
           FROM numbered c WHERE c."state" = ${int(CLAIMED.state)})
       SELECT m."dispatch_created", m."dispatch_woken", m."dispatch_ready", m."dispatch_notified", ${columns}, s."recent_runs"
         FROM summary m LEFT JOIN started s ON true ORDER BY s."sequence"`,
    );
  }

  /** The driver's pool, for a multi-statement query (TypeORM's query answers only one result). */
  private pool(): Pool {
    return poolOf(this.dataSource);
  }

  /** Renews the lease of an operation `host` holds; false when it no longer does (another host may have it). */
  async renewLease(id: string, host: string, leaseMs: number): Promise<boolean> {
    const rows = (await this.dataSource.query(
      `WITH renewed AS (UPDATE "executor"."async_operation" SET "lease_expires_at" = now() + ($3 || ' milliseconds')::interval
          WHERE "id" = $1 AND "host" = $2 AND "state" = 2 RETURNING "id") SELECT "id" FROM renewed`,
      [id, host, String(leaseMs)],
    )) as unknown[];
    return rows.length > 0;
  }

  /** Suspended operations whose timer is due (at most 500 at a time). */
  async dueTimers(): Promise<string[]> {
    const due = (await this.dataSource.query(
      `SELECT "id" FROM "executor"."async_operation" WHERE "state" = 1 AND "status" = 10 AND "postpone_until" <= now() LIMIT 500`,
    )) as Array<{ id: string }>;
    return due.map(({ id }) => id);
  }

  /** Locked operations whose lease expired: their host stopped without releasing them (at most 500 at a time). */
  async expiredLeases(): Promise<string[]> {
    const expired = (await this.dataSource.query(
      `SELECT "id" FROM "executor"."async_operation" WHERE "state" = 2 AND "lease_expires_at" < now() LIMIT 500`,
    )) as Array<{ id: string }>;
    return expired.map(({ id }) => id);
  }

  /**
   * A due timer wakes its operation (Ready now), in its own transaction; false when it is no
   * longer a due timer: a record event, an operator or another replica's sweeper moved it first
   * (the sweep saw it a moment ago, without a lock).
   */
  async wakeDue(id: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [row] = (await manager.query(
        `SELECT 1 FROM "executor"."async_operation"
          WHERE "id" = $1 AND "state" = ${State.Suspended} AND "status" = ${Status.Waiting} AND "postpone_until" <= now() FOR UPDATE`,
        [id],
      )) as unknown[];
      if (!row) return false;
      return (await this.store.move(manager, id, 'wake', { postpone_until: { sql: 'now()' } })).moved;
    });
  }

  /**
   * An expired lease brings its operation back (Ready; Pausing: Suspended; Canceling: Canceled),
   * in its own transaction; undefined when it is no longer expired.
   */
  async expireLease(id: string): Promise<MoveResult | undefined> {
    return this.dataSource.transaction(async (manager) => {
      // Checked again under the row lock: the holder may have renewed or finished meanwhile.
      const [row] = (await manager.query(
        `SELECT 1 FROM "executor"."async_operation" WHERE "id" = $1 AND "state" = 2 AND "lease_expires_at" < now() FOR UPDATE`,
        [id],
      )) as unknown[];
      if (!row) return undefined;
      return this.store.move(manager, id, 'leaseExpired', {
        host: null,
        lease_expires_at: null,
        postpone_until: { sql: 'now()' },
        completed_on: { sql: `CASE WHEN "status" = ${Status.Canceling} THEN now() ELSE NULL END` },
      });
    });
  }

  /** Runs of the operation's workflow on its record within the window, this run included (uses IDX_async_operation_regarding). */
  async recentRuns(operation: AsyncOperationRow, windowMs: number): Promise<number> {
    return (
      (
        (await this.dataSource.query(
          `SELECT count(*)::int AS "runs" FROM "executor"."async_operation"
            WHERE "primary_entity" = $1 AND "regarding_id" = $2 AND "definition_id" = $3 AND "sequence" <= $4
              AND "created_on" > now() - ($5 || ' milliseconds')::interval`,
          [operation.primaryEntity, operation.regardingId, operation.definitionId, operation.sequence, String(windowMs)],
        )) as Array<{ runs: number }>
      )[0]?.runs ?? 0
    );
  }

  /**
   * Saves the state and the step log (in the caller's transaction) and renews the lease, if `host` still
   * holds the operation; returns its status then (undefined: another host holds it).
   */
  async saveState(manager: EntityManager, id: string, host: string, leaseMs: number, save: StateSave): Promise<Status | undefined> {
    const { state, log, stepStarted, executionTimeMs, stage } = save;
    const rows = (await manager.query(
      `WITH saved AS (
         UPDATE "executor"."async_operation" SET "instance_state" = $2, "lease_expires_at" = now() + ($3 || ' milliseconds')::interval,
                "execution_time_ms" = $4, "current_stage" = $6, "unavailable_since" = NULL, "unavailable_attempts" = 0,
                "row_version" = "row_version" + 1
          WHERE "id" = $1 AND "host" = $5 AND "state" = 2 RETURNING "status")
       SELECT "status" FROM saved`,
      [id, JSON.stringify(state), String(leaseMs), executionTimeMs, host, stage],
    )) as Array<{ status: Status }>;
    const status = rows[0]?.status;
    if (status === undefined) return undefined;
    await writeStepLog(manager, [{ operationId: id, stepStarted, log }]);
    return status;
  }

  /** The status of an operation `host` holds (undefined: another host holds it). */
  async heldStatus(manager: EntityManager, id: string, host: string): Promise<Status | undefined> {
    return (
      (await manager.query(`SELECT "status" FROM "executor"."async_operation" WHERE "id" = $1 AND "host" = $2`, [id, host])) as Array<{
        status: Status;
      }>
    )[0]?.status;
  }

  /** What a suspended operation waits on: its subscriptions replaced (in the caller's transaction). */
  async replaceWaitSubscriptions(
    manager: EntityManager,
    id: string,
    subscriptions: Array<{ entity: string; recordId: string }>,
  ): Promise<void> {
    await manager.query(`DELETE FROM "executor"."wait_subscription" WHERE "operation_id" = $1`, [id]);
    for (const subscription of subscriptions) {
      await manager.query(
        `INSERT INTO "executor"."wait_subscription" ("operation_id", "entity", "record_id") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [id, subscription.entity, subscription.recordId],
      );
    }
  }

  /**
   * A step whose attempt ended in a transient failure (put back for a retry): its entry in the
   * step log ends Failed with the error, in the attempt the operation is at (before the retry's move).
   */
  async logFailedAttempt(operationId: string, open: OpenStep, code: string, message: string): Promise<void> {
    const entry: StepLogEntry = {
      ...open,
      status: StepStatus.Failed,
      endedAt: new Date().toISOString(),
      error: { code, message: `${code}: ${message}` },
    };
    await writeStepLog(this.dataSource.manager, [{ operationId, stepStarted: new Date(open.startedAt), log: [entry] }]);
  }

  /** The step log line of an asynchronous plug-in step (its webhook call), in the attempt the operation is at. */
  async logWebhookStep(operationId: string, stepName: string, status: number, message: string | undefined, started: Date): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO "executor"."operation_step_log" ("operation_id", "attempt", "step_id", "path", "step_type", "status", "message", "started_on", "logged_on")
       SELECT "id", "retry_count" + 1, $2, '$', 'webhook', $3, $4, $5, now() FROM "executor"."async_operation" WHERE "id" = $1`,
      [operationId, stepName, status, message ?? null, started],
    );
  }

  /** The failure throttle: one success clears a definition's failures in a row (in the caller's transaction). */
  async clearThrottle(manager: EntityManager, definitionId: string): Promise<void> {
    await manager.query(`DELETE FROM "executor"."definition_throttle" WHERE "definition_id" = $1`, [definitionId]);
  }

  /** The failure throttle: one more failure in a row; answers how many there are now. */
  async countFailure(manager: EntityManager, definitionId: string): Promise<number> {
    const [row] = (await manager.query(
      `INSERT INTO "executor"."definition_throttle" AS t ("definition_id", "consecutive_failures", "throttled_until", "updated_on")
       VALUES ($1, 1, NULL, now())
       ON CONFLICT ("definition_id") DO UPDATE SET "consecutive_failures" = t."consecutive_failures" + 1, "updated_on" = now()
       RETURNING "consecutive_failures"`,
      [definitionId],
    )) as Array<{ consecutive_failures: number }>;
    return row?.consecutive_failures ?? 1;
  }

  /** The failure throttle: the definition's Ready operations wait for `holdMs` from now. */
  async holdDefinition(manager: EntityManager, definitionId: string, holdMs: number): Promise<void> {
    await manager.query(
      `UPDATE "executor"."definition_throttle" SET "throttled_until" = now() + ($2 || ' milliseconds')::interval WHERE "definition_id" = $1`,
      [definitionId, String(holdMs)],
    );
  }

  /**
   * Inserts a child operation (in the caller's transaction), once: an insert that conflicts with
   * the same event and process key does nothing. True when it was inserted now.
   */
  async insertChild(manager: EntityManager, values: Partial<AsyncOperationRow>): Promise<boolean> {
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(AsyncOperationRow)
      .values(values as never)
      .orIgnore()
      .returning(['id'])
      .execute();
    return (inserted.raw as unknown[]).length > 0;
  }

  /** A started child (by its parent's event and its process key), share-locked against its end until the caller commits. */
  async childForShare(manager: EntityManager, eventId: string, processKey: string): Promise<ChildRow | undefined> {
    const [child] = (await manager.query(
      `SELECT "id", "state", "status", "error_code", "friendly_message", "instance_state" FROM "executor"."async_operation"
        WHERE "event_id" = $1 AND "process_key" = $2 FOR SHARE`,
      [eventId, processKey],
    )) as ChildRow[];
    return child;
  }

  /** A parent's subscription on its child, whose end (OperationStore.move) wakes it. */
  async subscribeToChild(manager: EntityManager, parentId: string, childId: string): Promise<void> {
    await manager.query(
      `INSERT INTO "executor"."wait_subscription" ("operation_id", "entity", "record_id") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [parentId, CHILD_SUBSCRIPTION, childId],
    );
  }

  /**
   * Inserts started operations (a schedule's firing, in the caller's transaction), each once: one
   * that conflicts with the same event and process key (UQ_async_operation_event_process) does
   * nothing. Writes their change events and wakes idle workers at commit; answers the ids inserted.
   */
  async insertStarted(manager: EntityManager, rows: Array<Partial<AsyncOperationRow>>): Promise<string[]> {
    const created: string[] = [];
    for (let from = 0; from < rows.length; from += 200) {
      const result = await manager
        .createQueryBuilder()
        .insert()
        .into(AsyncOperationRow)
        .values(rows.slice(from, from + 200) as never)
        .orIgnore()
        .returning(['id'])
        .execute();
      created.push(...(result.raw as Array<{ id: string }>).map((row) => row.id));
    }
    if (created.length > 0) {
      await this.events.recordMany(manager, created);
      await this.notifyReady(manager);
    }
    return created;
  }

  /** Whether one of the operations is still open (not Completed); deleted ones (retention) are not (uses the primary key). */
  async anyOpen(manager: EntityManager, ids: readonly string[]): Promise<boolean> {
    if (ids.length === 0) return false;
    const [row] = (await manager.query(
      `SELECT EXISTS (SELECT 1 FROM "executor"."async_operation" WHERE "id" = ANY($1::uuid[]) AND "state" <> ${State.Completed}) AS "open"`,
      [ids],
    )) as Array<{ open: boolean }>;
    return row?.open === true;
  }

  /** Wakes idle workers when the caller's transaction commits. */
  async notifyReady(manager: EntityManager): Promise<void> {
    await manager.query(`SELECT pg_notify($1, '')`, [READY_CHANNEL]);
  }
}
