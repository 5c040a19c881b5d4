/**
 * Workers: claim Ready operations that are due in batches (FOR UPDATE SKIP LOCKED, a lease
 * with this host as owner, renewed while running), drive the process-runtime interpreter,
 * perform its acting effects through one handler per effect type (effects/: record messages
 * through the gateway with depth + 1 and an idempotency key per step, child workflows, custom
 * activities), suspend waits, and persist the instance state and step log after every step. At
 * every step boundary the run looks at what operators asked (Pausing, Canceling, which win even
 * over the run's own end) and whether the executor is shutting down. An unavailable dependency
 * is waited out with back-off up to the patience, never counted as a failure.
 *
 * Claims skip operations whose definition is throttled after repeated failures, operations
 * behind an unfinished one with the same dependency token, and definitions already running
 * DEFINITION_CONCURRENCY operations. New work wakes idle workers through LISTEN/NOTIFY; polling
 * is the fallback. Expired leases (a dead host) and due timers bring operations back to Ready.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  context as otelContext,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { Client, type Pool, type QueryResult } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { AsyncOperationState as State, AsyncOperationStatus as Status, AsyncOperationType } from '@flowline/contracts';
import { sqlLiteral } from '@flowline/messaging';
import { MetadataCache } from '@flowline/metadata-cache';
import { callWebhook, StepRefusal, type ExecutionContext } from '@flowline/plugin-steps';
import { advance, StepStatus, type Effect, type Input, type InstanceState, type Json, type StepLogEntry } from '@flowline/process-runtime';
import { AsyncOperationRow } from '../operations/async-operation.entity';
import { hydrate } from '../operations/hydrate';
import { OperationEvents } from '../operations/operation-events';
import { OperationStore, READY_CHANNEL, type ColumnValue } from '../operations/operation-store';
import { IllegalTransition, transition, type OperationAction } from '../operations/operation-transitions';
import { DefinitionVersions } from '../definitions/definition-versions';
import { DependencyUnavailable, describeNextAttempt, unavailabilityOf } from './dependency-failures';
import { isActing, type EffectOutcome } from './effects/effect-handler';
import { EffectHandlers } from './effects/effect-handlers';
import { ExecutorMetrics } from './executor-metrics';
import { RunCompleter } from './run-completer';
import { writeStepLog } from './step-log';
import { recordOf, RecordReader } from './record-reader';

export { READY_CHANNEL } from '../operations/operation-store';
export const WORKER_OPTIONS = Symbol('WORKER_OPTIONS');

export interface WorkerOptions {
  databaseUrl: string;
  /** Operations this process runs at once (0: dispatch only). */
  concurrency: number;
  /** Operations of one definition Locked at once across all executors (0: no limit). */
  definitionConcurrency: number;
  leaseMs: number;
  pollMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Failures in a row after which a definition's operations are held back. */
  throttleAfterFailures: number;
  throttleBaseMs: number;
  throttleMaxMs: number;
  /** How long in-flight steps may take to finish on SIGTERM before their leases are released anyway. */
  shutdownGraceMs: number;
  /** How long a run waits out an unavailable dependency before it fails (never counted for the throttle). */
  dependencyPatienceMs: number;
  /** The longest pause between two attempts while a dependency is unavailable. */
  dependencyRetryMaxMs: number;
  /** Loop protection: runs of one workflow on one record allowed within the window. */
  loopMaxRuns: number;
  loopWindowMs: number;
}

const FAR_FUTURE = new Date('9999-12-31T00:00:00Z');
/** How long freed slots are gathered into one claim while there is a backlog. */
const CLAIM_GATHER_MS = 5;
/** Claims are set-based SQL for speed; the position they move to is still the transition function's. */
const CLAIMED = transition({ state: State.Ready, status: Status.WaitingForResources }, 'claim');
const tracer = trace.getTracer('flowline.async-executor');

/** An operation just claimed, with its workflow's recent runs on the record (a first run only). */
interface Claimed {
  operation: AsyncOperationRow;
  recentRuns: number | undefined;
}

interface RunHandle {
  operation: AsyncOperationRow;
  /** Counted by the claim, for loop protection (undefined: count it when needed). */
  recentRuns: number | undefined;
  /** Set when the lease could not be renewed: another host may have the operation now. */
  lost: boolean;
  done: Promise<void>;
}

/** What a run learns at a step boundary from the row it holds. */
type Boundary = 'continue' | 'lost' | 'pausing' | 'canceling' | 'release';

@Injectable()
export class WorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Worker');
  readonly host = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private stopping = false;
  private wakeIdle: (() => void) | undefined;
  private wakePending = false;
  /** The last claim filled every free slot: more is most likely Ready. */
  private backlog = false;
  private gatheringSince: number | undefined;
  private readonly wake = (): void => {
    if (this.wakeIdle) this.wakeIdle();
    else this.wakePending = true;
  };
  private claimLoop: Promise<void> | undefined;
  private readonly running = new Map<string, RunHandle>();
  /** Runs that have done their work and wait for their end's group commit. */
  private readonly ending = new Set<string>();
  private listener: Client | undefined;
  private lastSweep = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
    private readonly versions: DefinitionVersions,
    private readonly effects: EffectHandlers,
    private readonly reader: RecordReader,
    private readonly events: OperationEvents,
    private readonly store: OperationStore,
    private readonly metrics: ExecutorMetrics,
    private readonly metadata: MetadataCache,
  ) {
    this.completer = new RunCompleter(dataSource, store, events, this.host, options.leaseMs);
  }

  /** Succeeded runs' ends, saved together (group commit). */
  private readonly completer: RunCompleter;

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.concurrency === 0) return;
    this.listener = new Client({ connectionString: this.options.databaseUrl, application_name: 'async-executor-listener' });
    await this.listener.connect();
    this.listener.on('notification', () => this.wake());
    this.listener.on('error', (error) => this.logger.warn({ err: String(error) }, 'LISTEN connection lost; polling only'));
    await this.listener.query(`LISTEN ${READY_CHANNEL}`);
    this.claimLoop = this.loop();
    this.logger.log({ host: this.host, concurrency: this.options.concurrency }, 'workers started');
  }

  /**
   * SIGTERM: stop claiming; runs in flight finish their current step, persist and go back to
   * Ready for another host. Runs still busy after the grace period keep their lease, which
   * expires, and another host resumes them from their last persisted point.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.claimLoop;
    const inFlight = [...this.running.values()].map((handle) => handle.done);
    if (inFlight.length > 0) {
      this.logger.log(
        { inFlight: inFlight.length, graceMs: this.options.shutdownGraceMs },
        'waiting for runs in flight to reach a step boundary',
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(inFlight),
        // Part of the process's grace: the consumer, the relay and the database close after this.
        new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.floor(this.options.shutdownGraceMs * 0.6)))),
      ]);
      clearTimeout(timer);
      if (this.running.size > 0) this.logger.warn({ stillRunning: [...this.running.keys()] }, 'grace period over: leases left to expire');
    }
    await this.listener?.end().catch(() => undefined);
  }

  /** Operations this process holds right now (for tests and diagnostics). */
  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Waits for a wake-up (a NOTIFY, a run that ended, shutdown) or the poll interval. A wake-up
   * that comes while the loop is busy claiming is kept, so the next idle returns at once.
   */
  private async idle(ms = this.options.pollMs): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeIdle = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeIdle = done;
    });
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        if (Date.now() - this.lastSweep >= Math.min(this.options.pollMs, 1000)) {
          this.lastSweep = Date.now();
          await this.sweep();
        }
        // Runs whose end is being committed take no slot: the next claim overlaps their commit.
        const free = this.options.concurrency - (this.running.size - this.ending.size);
        // With a backlog, slots freed one by one are gathered for a few milliseconds, so one claim
        // fills several (a claim is a transaction; one per finished run was most of the claim cost).
        const gather = Math.max(1, Math.floor(this.options.concurrency / 4));
        if (free > 0 && free < gather && this.backlog && Date.now() - (this.gatheringSince ??= Date.now()) < CLAIM_GATHER_MS) {
          await this.idle(CLAIM_GATHER_MS);
          continue;
        }
        this.gatheringSince = undefined;
        if (free > 0) {
          const claimed = await this.claim(free);
          this.backlog = claimed.length === free;
          for (const one of claimed) this.start(one);
        }
        failures = 0;
      } catch (error) {
        // The database is most likely down: back off (no busy loop) and say when the next try is.
        failures += 1;
        const delay = backoffDelay(failures - 1, this.options.pollMs, this.options.dependencyRetryMaxMs);
        this.logger.error(
          { err: String(error), attempt: failures, delayMs: delay },
          `claiming failed (attempt ${failures}): ${String(error)}; next attempt ${describeNextAttempt(new Date(Date.now() + delay))}`,
        );
        // Interrupted by shutdown (or new work), so a stop does not wait out the back-off.
        await this.idle(delay);
        continue;
      }
      await this.idle();
    }
  }

  /** Due timers and expired leases bring operations back (each move through the transition function). */
  private async sweep(): Promise<void> {
    const due = (await this.dataSource.query(
      `SELECT "id" FROM "executor"."async_operation" WHERE "state" = 1 AND "status" = 10 AND "postpone_until" <= now() LIMIT 500`,
    )) as Array<{ id: string }>;
    const expired = (await this.dataSource.query(
      `SELECT "id" FROM "executor"."async_operation" WHERE "state" = 2 AND "lease_expires_at" < now() LIMIT 500`,
    )) as Array<{ id: string }>;
    for (const { id } of due) {
      await this.dataSource.transaction((manager) => this.store.move(manager, id, 'wake', { postpone_until: { sql: 'now()' } }));
    }
    for (const { id } of expired) {
      await this.dataSource.transaction(async (manager) => {
        // Checked again under the row lock: the holder may have renewed or finished meanwhile.
        const [row] = (await manager.query(
          `SELECT 1 FROM "executor"."async_operation" WHERE "id" = $1 AND "state" = 2 AND "lease_expires_at" < now() FOR UPDATE`,
          [id],
        )) as unknown[];
        if (!row) return;
        const result = await this.store.move(manager, id, 'leaseExpired', {
          host: null,
          lease_expires_at: null,
          postpone_until: { sql: 'now()' },
          completed_on: { sql: `CASE WHEN "status" = ${Status.Canceling} THEN now() ELSE NULL END` },
        });
        if (result.moved) this.logger.warn({ operationId: id, to: result.to }, 'lease expired: its host stopped without releasing it');
      });
    }
  }

  /**
   * Claims up to `limit` operations in one round trip: a statement that moves them, answers their
   * whole rows and writes their change events, with the planner setting below, as one implicit
   * transaction (so its values are literals: a multi-statement query takes no parameters). For
   * a first run it also counts the workflow's recent runs on the record, for loop protection.
   */
  private async claim(limit: number): Promise<Claimed[]> {
    const { definitionConcurrency } = this.options;
    const int = (value: number): string => String(Math.trunc(Number(value)));
    const sql = [
      // The Ready set comes in bursts, so the table's statistics are mostly behind it: estimating a few
      // Ready rows, the planner would read every Ready row through a bitmap and sort them all (20 ms
      // with 3,000 Ready) instead of walking IDX_async_operation_ready in order up to the limit.
      `SET LOCAL enable_bitmapscan = off`,
      // With a per-definition limit, claims are serialized (a transaction-scoped advisory lock) so two
      // replicas cannot both take the last free slot of a definition.
      ...(definitionConcurrency > 0 ? [`SELECT pg_advisory_xact_lock(hashtext('flowline.executor.claim'))`] : []),
      // Uses IDX_async_operation_ready; SKIP LOCKED lets many workers and replicas claim side by side.
      `WITH candidates AS (
         SELECT o."id", o."definition_id", o."sequence" FROM "executor"."async_operation" o
          WHERE o."state" = 0 AND o."postpone_until" <= now()
            -- Bulk actions (type 13) are carried out by BulkActionRunner, not by the workers.
            AND o."operation_type" <> ${int(AsyncOperationType.BulkDelete)}
            AND NOT EXISTS (SELECT 1 FROM "executor"."definition_throttle" t
                             WHERE t."definition_id" = o."definition_id" AND t."throttled_until" > now())
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
            SET "state" = ${int(CLAIMED.state)}, "status" = ${int(CLAIMED.status)}, "host" = ${sqlLiteral(this.host)},
                "lease_expires_at" = now() + interval '${int(this.options.leaseMs)} milliseconds', "next_attempt_at" = NULL,
                "started_on" = coalesce(o."started_on", now()), "row_version" = o."row_version" + 1
           FROM chosen WHERE o."id" = chosen."id"
         RETURNING o.*),
       written AS (${this.events.insertSql('claimed')})
       SELECT c.*,
              -- Loop protection (uses IDX_async_operation_regarding): this run included.
              CASE WHEN c."instance_state" IS NULL AND c."definition_id" IS NOT NULL THEN
                (SELECT count(*)::int FROM "executor"."async_operation" r
                  WHERE r."primary_entity" = c."primary_entity" AND r."regarding_id" = c."regarding_id" AND r."definition_id" = c."definition_id"
                    AND r."sequence" <= c."sequence" AND r."created_on" > now() - interval '${int(this.options.loopWindowMs)} milliseconds')
              END AS "recent_runs",
              ${this.events.notifySql('written')} AS "notified"
         FROM claimed c ORDER BY c."sequence"`,
    ].join(';\n');
    const results = (await this.pool().query(sql)) as unknown as Array<QueryResult<Record<string, unknown> & { recent_runs: number | null }>>;
    const raws = results.at(-1)!.rows;
    if (raws.length === 0) return [];
    const operations = hydrate(this.dataSource, AsyncOperationRow, raws);
    return operations.map((operation, index) => ({ operation, recentRuns: raws[index]!.recent_runs ?? undefined }));
  }

  /** The driver's pool, for a multi-statement query (TypeORM's query answers only one result). */
  private pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  private start({ operation, recentRuns }: Claimed): void {
    this.metrics.claims.inc();
    const handle: RunHandle = { operation, recentRuns, lost: false, done: Promise.resolve() };
    this.running.set(operation.id, handle);
    const renew = setInterval(() => void this.renew(handle), Math.max(250, Math.floor(this.options.leaseMs / 3)));
    // The trace context stored with the operation (the pipeline event's): a first run continues
    // that trace as a child; a run resumed later (after a wait, a retry, a crash) starts its own
    // trace and joins the original through a span link.
    const links: Link[] = [];
    const stored = propagation.extract(ROOT_CONTEXT, operation.traceContext as Record<string, string>);
    const storedSpan = trace.getSpanContext(stored);
    const resumed = operation.instanceState !== null || operation.retryCount > 0;
    if (storedSpan && resumed) links.push({ context: storedSpan });
    const span = tracer.startSpan(
      `run ${operation.name}`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: {
          'flowline.operation.id': operation.id,
          'flowline.operation.name': operation.name,
          'flowline.definition.id': operation.definitionId ?? '',
          'flowline.definition.version': operation.definitionVersion ?? 0,
          'flowline.correlation_id': operation.correlationId,
          'flowline.depth': operation.depth,
          'flowline.operation.state': operation.state,
          'flowline.operation.resumed': resumed,
        },
      },
      resumed ? ROOT_CONTEXT : stored,
    );
    handle.done = otelContext
      .with(trace.setSpan(ROOT_CONTEXT, span), () => this.run(handle, span))
      .catch(async (error: unknown) => {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
        const unavailable = unavailabilityOf(error);
        if (unavailable) {
          // Waited out, not a failure of the definition. When the database itself is gone this
          // cannot be written either: the lease then expires and the run comes back from its last point.
          await this.waitOut(handle, unavailable).catch((cause: unknown) =>
            this.logger.warn(
              { operationId: operation.id, err: String(cause) },
              `could not put ${operation.name} back while the ${unavailable.dependency} is unavailable: ${String(cause)}; its lease will expire and it will run again`,
            ),
          );
          return;
        }
        this.logger.error({ operationId: operation.id, err: String(error) }, `run of ${operation.name} broke: ${String(error)}`);
        await this.retry(handle, 'EXECUTOR_ERROR', String(error)).catch(() => undefined);
      })
      .finally(() => {
        clearInterval(renew);
        span.end();
        this.running.delete(operation.id);
        this.wake();
      });
  }

  private async renew(handle: RunHandle): Promise<void> {
    try {
      const rows = (await this.dataSource.query(
        `WITH renewed AS (UPDATE "executor"."async_operation" SET "lease_expires_at" = now() + ($3 || ' milliseconds')::interval
            WHERE "id" = $1 AND "host" = $2 AND "state" = 2 RETURNING "id") SELECT "id" FROM renewed`,
        [handle.operation.id, this.host, String(this.options.leaseMs)],
      )) as unknown[];
      if (rows.length === 0) handle.lost = true;
    } catch (error) {
      this.logger.warn({ operationId: handle.operation.id, err: String(error) }, 'lease renewal failed');
    }
  }

  private async run(handle: RunHandle, span: Span): Promise<void> {
    const operation = handle.operation;
    if (operation.operationType === AsyncOperationType.SystemEvent && operation.stepRegistrationId) {
      await this.runStep(handle, operation.stepRegistrationId);
      return;
    }
    if (operation.operationType !== AsyncOperationType.Workflow || !operation.definitionId || !operation.definitionVersion) {
      await this.finish(handle, 'fail', 'UNSUPPORTED_OPERATION', `operation type ${operation.operationType} is not one this executor runs`);
      return;
    }
    this.logger.debug({ operationId: operation.id, correlationId: operation.correlationId, msg: `running ${operation.name}` });
    const compiled = await this.versions.get(operation.definitionId, operation.definitionVersion);
    const started = Date.now();
    let state = operation.instanceState as unknown as InstanceState | null;
    let stepStarted = new Date();
    let input: Input;
    const ended = (state as (InstanceState & { finalEffect?: EndEffect }) | null)?.finalEffect;
    if (state && ended && (state.status === 'completed' || state.status === 'failed' || state.status === 'canceled')) {
      // Paused as it reached its end, now resumed: it ends as it had.
      await this.end(handle, ended, { state, log: [], stepStarted, elapsedMs: 0 });
      return;
    }
    if (!state && (await this.loopDetected(handle))) return;
    if (!state) {
      const event = operation.input as {
        postImage: Record<string, unknown> | null;
        preImage: Record<string, unknown> | null;
        changedAttributes: string[];
        inputs?: Record<string, Json>;
        rereadRecord?: boolean;
      };
      input = {
        type: 'start',
        operationId: operation.id,
        now: new Date().toISOString(),
        depth: operation.depth,
        // A retried (or on-demand) run reads the record as it is now; the trigger's inputs stay the snapshot's.
        record: recordOf(operation, event.rereadRecord ? await this.reader.current(operation) : event.postImage),
        pre: (event.preImage ?? null) as never,
        changed: event.changedAttributes,
        ...(event.inputs ? { inputs: event.inputs } : {}),
      };
    } else if (state.pending) {
      // The previous run stopped with an effect in flight (a crash, an expired lease, a pause):
      // perform it again; its idempotency key makes the gateway answer without acting twice.
      const replay = await this.stepSpan((state as InstanceState & { lastEffect: Effect }).lastEffect, (effect) =>
        this.perform(handle, effect),
      );
      if (!replay) return;
      input = replay;
    } else {
      input = await this.reader.wakeUp(operation, state);
    }
    // Whether the run's copy of the records is as fresh as a wake-up's read (a wait then needs no re-read).
    let fresh = input.type === 'wakeUp';
    let carried: StepLogEntry[] = [];
    for (let guard = 0; guard < 10_000; guard++) {
      const result = advance(compiled, state ?? undefined, input);
      const effect = result.effects.at(-1);
      // Entries of a wait that was evaluated again at once come first; the later entry of the same step replaces them (saveState).
      const log = [...carried, ...result.log];
      carried = [];
      // The effect in flight is persisted with the state, so a run that dies here can perform it again;
      // a wait keeps what it watches, so a wake-up knows which related records to read.
      state = {
        ...result.state,
        ...(result.state.pending && effect ? { lastEffect: effect } : {}),
        ...(effect?.type === 'wait' ? { waitingOn: effect.subscriptions } : {}),
      } as InstanceState;
      if (effect?.type === 'complete' || effect?.type === 'fail') {
        // The last state and step log are saved in the same transaction as the final move; an
        // operator's cancel or pause that arrived meanwhile wins (see finish). The end is kept in
        // the state, so a run paused at its end finishes as it ended when resumed.
        span.addEvent('step', { 'flowline.input': input.type, 'flowline.effect': effect.type, 'flowline.boundary': 'end' });
        state = { ...state, finalEffect: effect } as InstanceState;
        await this.end(handle, effect, { state, log, stepStarted, elapsedMs: Date.now() - started });
        return;
      }
      if (effect?.type === 'wait' && effect.subscriptions.length > 0 && !fresh) {
        // A wait is evaluated when it begins against current data: the watched records (related
        // ones the run has never seen, and the primary as it is now) are read and fed back at once;
        // a condition already met does not wait for some later event.
        carried = log;
        fresh = true;
        input = await this.reader.wakeUp(operation, state);
        continue;
      }
      const boundary = await this.persist(handle, state, log, stepStarted, Date.now() - started);
      span.addEvent('step', { 'flowline.input': input.type, 'flowline.effect': effect?.type ?? 'none', 'flowline.boundary': boundary });
      if (boundary === 'lost') {
        this.logger.warn({ operationId: operation.id }, 'another host holds this operation now: stopping without acting');
        return;
      }
      if (!effect) return;
      if (boundary === 'canceling') {
        await this.finish(handle, 'canceled', 'CANCELED', 'canceled by an operator');
        return;
      }
      if (effect.type === 'wait') {
        await this.suspend(handle, effect, boundary === 'pausing' ? 'paused' : 'suspend');
        return;
      }
      if (boundary === 'pausing') {
        await this.park(handle, 'paused');
        return;
      }
      if (boundary === 'release') {
        await this.park(handle, 'release');
        return;
      }
      if (effect.type === 'paused') return;
      stepStarted = new Date();
      const next = await this.stepSpan(effect, (current) => this.perform(handle, current));
      if (!next) return; // put back for a retry, or failed
      input = next;
      fresh = false;
    }
  }

  /**
   * Loop protection: a workflow that started more than LOOP_MAX_RUNS times on one record within
   * LOOP_WINDOW_MS (this run included) is most likely triggering itself; the run is canceled with
   * a message that says so, before any step (not counted as a failure of the definition).
   */
  private async loopDetected(handle: RunHandle): Promise<boolean> {
    const operation = handle.operation;
    if (!operation.definitionId) return false;
    // Counted by the claim; otherwise here (uses IDX_async_operation_regarding).
    const runs =
      handle.recentRuns ??
      (
        (await this.dataSource.query(
          `SELECT count(*)::int AS "runs" FROM "executor"."async_operation"
            WHERE "primary_entity" = $1 AND "regarding_id" = $2 AND "definition_id" = $3 AND "sequence" <= $4
              AND "created_on" > now() - ($5 || ' milliseconds')::interval`,
          [operation.primaryEntity, operation.regardingId, operation.definitionId, operation.sequence, String(this.options.loopWindowMs)],
        )) as Array<{ runs: number }>
      )[0]?.runs ??
      0;
    if (runs <= this.options.loopMaxRuns) return false;
    const seconds = Math.round(this.options.loopWindowMs / 1000);
    const message =
      `infinite loop: workflow '${operation.name}' started ${runs} times on ${operation.primaryEntity} ${operation.regardingId} within ${seconds} s ` +
      `(more than ${this.options.loopMaxRuns}, LOOP_MAX_RUNS / LOOP_WINDOW_MS), so this run was canceled. Its own steps most likely trigger it again: ` +
      `leave the attributes it updates out of its trigger's attributes, or add a condition that stops it once its work is done`;
    this.logger.warn({ operationId: operation.id, runs, windowMs: this.options.loopWindowMs }, message);
    await this.finish(handle, 'cancel', 'LOOP_DETECTED', message, undefined, { countForThrottle: false });
    return true;
  }

  /** The interpreter's end of a run: Completed as it says (unless an operator's cancel or pause came first). */
  private async end(handle: RunHandle, effect: EndEffect, last: FinalSave): Promise<void> {
    if (effect.type === 'fail') await this.finish(handle, 'fail', effect.code, effect.message, last);
    else if (effect.outcome === 'canceled') await this.finish(handle, 'cancel', null, effect.message, last);
    else await this.finish(handle, 'succeed', null, effect.message, last);
  }

  /**
   * An asynchronous plug-in step (stage 40, after the operation committed): its webhook gets
   * the execution context the synchronous steps see, with the images it registered, signed the
   * same way. Unreachable, timed-out, 5xx and 429 answers are retried with backoff; a refusal
   * fails the operation with the step's message.
   */
  private async runStep(handle: RunHandle, stepId: string): Promise<void> {
    const operation = handle.operation;
    const step = this.metadata.step(stepId);
    if (!step || !step.enabled) {
      await this.finish(handle, 'fail', 'STEP_NOT_FOUND', `step registration ${stepId} no longer exists or is disabled: nothing to run`);
      return;
    }
    if (!step.handler?.webhook) {
      await this.finish(
        handle,
        'fail',
        'UNSUPPORTED_STEP',
        `step '${step.name}' has a built-in handler; built-in handlers run only synchronously in the gateway: register it as a webhook or synchronous`,
      );
      return;
    }
    const input = operation.input as {
      message: string;
      target: Record<string, unknown> | null;
      parameters?: Record<string, unknown>;
      preImages?: Record<string, Record<string, unknown>>;
      postImages?: Record<string, Record<string, unknown>>;
      occurredAt?: string;
    };
    const aliases = step.images.map((image) => image.alias);
    const pick = (images: Record<string, Record<string, unknown>> | undefined) =>
      Object.fromEntries(aliases.filter((alias) => images?.[alias]).map((alias) => [alias, images![alias]!]));
    const context: ExecutionContext = {
      messageName: input.message,
      primaryEntityName: operation.primaryEntity,
      primaryEntityId: operation.regardingId,
      stage: step.stage,
      mode: step.mode,
      depth: operation.depth,
      correlationId: operation.correlationId,
      initiatingUserId: operation.owner,
      inputParameters: { ...(input.parameters ?? {}), ...(input.target ? { Target: input.target } : {}) },
      outputParameters: {},
      sharedVariables: {},
      preEntityImages: pick(input.preImages),
      postEntityImages: pick(input.postImages),
      operationCreatedOn: input.occurredAt ?? new Date(operation.createdOn).toISOString(),
    };
    const started = new Date();
    const timer = this.metrics.steps.startTimer({ effect: 'webhook' });
    try {
      await callWebhook(
        {
          stepName: step.name,
          stepId: step.id,
          url: step.handler.webhook.url,
          timeoutMs: step.handler.webhook.timeoutMs,
          secret: step.secureConfiguration,
          unsecureConfiguration: step.unsecureConfiguration,
          idempotencyKey: operation.id,
        },
        context,
      );
      timer({ outcome: 'ok' });
    } catch (error) {
      if (!(error instanceof StepRefusal)) throw error;
      timer({ outcome: error.transient ? 'transient' : 'permanent' });
      await this.logStep(operation.id, step.name, error.transient ? StepStatus.InProgress : StepStatus.Failed, error.message, started);
      if (error.transient) await this.retry(handle, 'STEP_UNAVAILABLE', error.message);
      else await this.finish(handle, 'fail', 'STEP_REFUSED', error.message);
      return;
    }
    await this.logStep(operation.id, step.name, StepStatus.Succeeded, undefined, started);
    await this.finish(handle, 'succeed', null, '');
  }

  private async logStep(operationId: string, stepName: string, status: number, message: string | undefined, started: Date): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO "executor"."operation_step_log" ("operation_id", "step_id", "path", "step_type", "status", "message", "started_on", "logged_on")
       VALUES ($1, $2, '$', 'webhook', $3, $4, $5, now())`,
      [operationId, stepName, status, message ?? null, started],
    );
  }

  /** One span per step that acts (a record message, a child, a custom activity): the calls it makes are its children. */
  private stepSpan<T>(effect: Effect, perform: (effect: Effect) => Promise<T>): Promise<T> {
    const stepId = 'stepId' in effect ? effect.stepId : effect.type;
    return tracer.startActiveSpan(
      `step ${stepId}`,
      {
        attributes: {
          'flowline.step': stepId,
          'flowline.effect': effect.type,
          ...('message' in effect ? { 'flowline.message': effect.message } : {}),
        },
      },
      async (span) => {
        try {
          return await perform(effect);
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  /**
   * Performs one effect through its handler; returns the input that feeds its result back, or
   * undefined when the run stops here (put back for a retry, or a parent suspended for its child).
   */
  private async perform(handle: RunHandle, effect: Effect): Promise<Input | undefined> {
    if (!isActing(effect)) return undefined;
    const timer = this.metrics.steps.startTimer({ effect: effect.type });
    let outcome: EffectOutcome;
    try {
      outcome = await this.effects.perform(effect, { operation: handle.operation, host: this.host });
    } catch (error) {
      timer({ outcome: 'transient' });
      throw error;
    }
    if (outcome.kind === 'retry') {
      timer({ outcome: 'transient' });
      await this.retry(handle, outcome.code, outcome.message);
      return undefined;
    }
    if (outcome.kind === 'stopped') {
      timer({ outcome: 'ok' });
      return undefined;
    }
    timer({ outcome: outcome.input.ok ? 'ok' : 'permanent' });
    return outcome.input;
  }

  /**
   * Persists the state and the step log, renews the lease, and reads what the run must do at
   * this boundary: keep going, stop because another host holds it, pause, cancel or release.
   */
  private async persist(
    handle: RunHandle,
    state: InstanceState,
    log: StepLogEntry[],
    stepStarted: Date,
    elapsedMs: number,
  ): Promise<Boundary> {
    if (handle.lost) return 'lost';
    // Saved with the other runs at a boundary now (one transaction for all of them).
    const status = await this.completer.boundary({
      operationId: handle.operation.id,
      state,
      log,
      stepStarted,
      executionTimeMs: handle.operation.executionTimeMs + elapsedMs,
      stage: stageOf(state),
    });
    if (status === undefined) return 'lost';
    if (status === Status.Canceling) return 'canceling';
    if (status === Status.Pausing) return 'pausing';
    return this.stopping ? 'release' : 'continue';
  }

  /**
   * Saves the state and the step log (in the caller's transaction) and renews the lease, if this host still
   * holds the operation; returns its status then (undefined: another host holds it).
   */
  private async saveState(manager: EntityManager, handle: RunHandle, save: FinalSave): Promise<Status | undefined> {
    const operation = handle.operation;
    const { state, log, stepStarted, elapsedMs } = save;
    const rows = (await manager.query(
      `WITH saved AS (
         UPDATE "executor"."async_operation" SET "instance_state" = $2, "lease_expires_at" = now() + ($3 || ' milliseconds')::interval,
                "execution_time_ms" = $4, "current_stage" = $6, "unavailable_since" = NULL, "unavailable_attempts" = 0,
                "row_version" = "row_version" + 1
          WHERE "id" = $1 AND "host" = $5 AND "state" = 2 RETURNING "status")
       SELECT "status" FROM saved`,
      [operation.id, JSON.stringify(state), String(this.options.leaseMs), operation.executionTimeMs + elapsedMs, this.host, stageOf(state)],
    )) as Array<{ status: Status }>;
    const status = rows[0]?.status;
    if (status === undefined) return undefined;
    await writeStepLog(manager, [{ operationId: operation.id, stepStarted, log }]);
    return status;
  }

  /** Moves an operation this host holds; a move refused because another host has it is logged and dropped. */
  private async moveOwned(
    handle: RunHandle,
    action: OperationAction,
    columns: Record<string, ColumnValue>,
    extra?: (manager: EntityManager) => Promise<void>,
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const owned = { host: null, lease_expires_at: null, ...columns };
      let result;
      try {
        result = await this.store.move(manager, handle.operation.id, action, owned, { host: this.host });
      } catch (error) {
        // An operator paused or canceled the run while its step was in flight: honour that instead.
        if (!(error instanceof IllegalTransition)) throw error;
        if (error.current.status === Status.Pausing) {
          result = await this.store.move(
            manager,
            handle.operation.id,
            'paused',
            { ...owned, postpone_until: FAR_FUTURE },
            { host: this.host },
          );
        } else if (error.current.status === Status.Canceling) {
          const canceled = {
            ...owned,
            completed_on: { sql: 'now()' },
            error_code: 'CANCELED',
            friendly_message: 'canceled by an operator',
          };
          result = await this.store.move(manager, handle.operation.id, 'canceled', canceled, { host: this.host });
          if (result.moved) this.metrics.completions.inc({ outcome: 'canceled' });
        } else throw error;
        return result.moved;
      }
      if (!result.moved) {
        this.logger.warn(
          { operationId: handle.operation.id, action },
          `could not ${action}: ${result.reason === 'lost' ? 'another host holds it' : 'it is gone'}`,
        );
        return false;
      }
      await extra?.(manager);
      return true;
    });
  }

  private async suspend(handle: RunHandle, effect: Extract<Effect, { type: 'wait' }>, action: 'suspend' | 'paused'): Promise<void> {
    await this.moveOwned(handle, action, { postpone_until: effect.timer ? new Date(effect.timer) : FAR_FUTURE }, async (manager) => {
      await manager.query(`DELETE FROM "executor"."wait_subscription" WHERE "operation_id" = $1`, [handle.operation.id]);
      for (const subscription of effect.subscriptions) {
        await manager.query(
          `INSERT INTO "executor"."wait_subscription" ("operation_id", "entity", "record_id") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
          [handle.operation.id, subscription.entity, subscription.recordId],
        );
      }
    });
    this.logger.log(
      { operationId: handle.operation.id, timer: effect.timer ?? null, subscriptions: effect.subscriptions.length },
      'waiting',
    );
  }

  /** Pause (Suspended until resumed) or release on shutdown (Ready for another host), at a step boundary. */
  private async park(handle: RunHandle, action: 'paused' | 'release'): Promise<void> {
    const moved = await this.moveOwned(handle, action, { postpone_until: action === 'paused' ? FAR_FUTURE : { sql: 'now()' } });
    if (moved)
      this.logger.log({ operationId: handle.operation.id }, action === 'paused' ? 'paused by an operator' : 'released for another host');
  }

  private async retry(handle: RunHandle, code: string, message: string): Promise<void> {
    const operation = handle.operation;
    this.metrics.retries.inc({ code });
    if (operation.retryCount + 1 >= this.options.maxRetries) {
      await this.finish(handle, 'fail', code, `gave up after ${operation.retryCount + 1} attempts: ${message}`);
      return;
    }
    const delay = backoffDelay(operation.retryCount, this.options.retryBaseMs, this.options.retryMaxMs);
    const at = new Date(Date.now() + delay);
    const attempt = operation.retryCount + 1;
    const moved = await this.moveOwned(handle, 'retry', {
      retry_count: attempt,
      postpone_until: at,
      next_attempt_at: at,
      error_code: code,
      friendly_message: message,
      last_error: `${code}: ${message}`,
    });
    if (moved)
      this.logger.warn(
        { operationId: operation.id, code, attempt, maxAttempts: this.options.maxRetries, delayMs: delay, nextAttemptAt: at.toISOString() },
        `${operation.name}: attempt ${attempt} of ${this.options.maxRetries} failed (${code}: ${message}); next attempt ${describeNextAttempt(at)}`,
      );
  }

  /**
   * A dependency is unavailable: the run goes back to Ready and is tried again with back-off (at
   * most dependencyRetryMaxMs apart) for as long as the patience allows, without using up its
   * retries; past the patience it fails, and that failure does not count for the throttle.
   */
  private async waitOut(handle: RunHandle, unavailable: DependencyUnavailable): Promise<void> {
    const operation = handle.operation;
    const since = operation.unavailableSince ? new Date(operation.unavailableSince) : new Date();
    const waited = Date.now() - since.getTime();
    const attempt = operation.unavailableAttempts + 1;
    this.metrics.dependencyWaits.inc({ dependency: unavailable.dependency });
    if (waited >= this.options.dependencyPatienceMs) {
      await this.finish(
        handle,
        'fail',
        'DEPENDENCY_UNAVAILABLE',
        `the ${unavailable.dependency} was unavailable for ${Math.round(waited / 1000)} s, longer than the patience of ${Math.round(this.options.dependencyPatienceMs / 1000)} s (EXECUTOR_DEPENDENCY_PATIENCE_MS): ${unavailable.message}; retry the operation once it is back`,
        undefined,
        { countForThrottle: false },
      );
      return;
    }
    const delay = Math.min(
      backoffDelay(operation.unavailableAttempts, this.options.retryBaseMs, this.options.dependencyRetryMaxMs),
      Math.max(0, this.options.dependencyPatienceMs - waited) + 10,
    );
    const at = new Date(Date.now() + delay);
    const moved = await this.moveOwned(handle, 'retry', {
      postpone_until: at,
      next_attempt_at: at,
      unavailable_since: since,
      unavailable_attempts: attempt,
      error_code: 'DEPENDENCY_UNAVAILABLE',
      friendly_message: `waiting for the ${unavailable.dependency}: ${unavailable.message}`,
      last_error: `${unavailable.code}: ${unavailable.message}`,
    });
    if (moved)
      this.logger.warn(
        {
          operationId: operation.id,
          dependency: unavailable.dependency,
          code: unavailable.code,
          attempt,
          unavailableForMs: waited,
          patienceMs: this.options.dependencyPatienceMs,
          nextAttemptAt: at.toISOString(),
        },
        `${operation.name}: ${unavailable.message}; waiting it out (attempt ${attempt}, unavailable for ${Math.round(waited / 1000)} s of a patience of ${Math.round(this.options.dependencyPatienceMs / 1000)} s), next attempt ${describeNextAttempt(at)}`,
      );
  }

  private async finish(
    handle: RunHandle,
    how: 'succeed' | 'fail' | 'cancel' | 'canceled',
    code: string | null,
    message: string,
    last?: FinalSave,
    options: { countForThrottle?: boolean } = {},
  ): Promise<void> {
    const operation = handle.operation;
    if (last && handle.lost) {
      this.logger.warn({ operationId: operation.id }, 'another host holds this operation now: stopping without acting');
      return;
    }
    // The common end, a run that succeeded, is saved with the others ending now (one transaction);
    // an end the batch does not take (an operator's cancel or pause came first, another host has
    // it) goes the one-run way below, which decides between them.
    if (how === 'succeed' && last && options.countForThrottle !== false) {
      this.ending.add(operation.id);
      this.wake();
      const taken = await this.completer.succeed({
        operationId: operation.id,
        parentOperationId: operation.parentOperationId,
        definitionId: operation.definitionId,
        state: last.state,
        log: last.log,
        stepStarted: last.stepStarted,
        executionTimeMs: operation.executionTimeMs + last.elapsedMs,
        message,
      }).finally(() => this.ending.delete(operation.id));
      if (taken) {
        this.metrics.completions.inc({ outcome: 'succeeded' });
        this.logger.log(
          { operationId: operation.id, correlationId: operation.correlationId, outcome: 'succeeded', code },
          `operation ${operation.name} succeeded${message ? `: ${message}` : ''}`,
        );
        return;
      }
    }
    let outcome: 'succeeded' | 'failed' | 'canceled' | 'paused' = how === 'succeed' ? 'succeeded' : how === 'fail' ? 'failed' : 'canceled';
    const moved = await this.dataSource.transaction(async (manager) => {
      const status = last
        ? await this.saveState(manager, handle, last)
        : (
            (await manager.query(`SELECT "status" FROM "executor"."async_operation" WHERE "id" = $1 AND "host" = $2`, [
              operation.id,
              this.host,
            ])) as Array<{ status: Status }>
          )[0]?.status;
      if (status === undefined) return false;
      // An operator's cancel or pause that the API accepted wins over the run's own end (which
      // reached this boundary meanwhile): the cancel ends it Canceled; the pause parks the ended
      // run, and resuming it finishes it as it ended.
      if (status === Status.Canceling && how !== 'canceled') {
        const result = await this.store.move(
          manager,
          operation.id,
          'canceled',
          {
            error_code: 'CANCELED',
            friendly_message: 'canceled by an operator',
            completed_on: { sql: 'now()' },
            host: null,
            lease_expires_at: null,
          },
          { host: this.host },
        );
        if (!result.moved) return false;
        outcome = 'canceled';
        code = 'CANCELED';
        message = `canceled by an operator (the run had reached its end${how === 'fail' ? ' failing' : ''} meanwhile)`;
        return true;
      }
      if (status === Status.Pausing && last) {
        const result = await this.store.move(
          manager,
          operation.id,
          'paused',
          { postpone_until: FAR_FUTURE, host: null, lease_expires_at: null },
          { host: this.host },
        );
        outcome = 'paused';
        return result.moved;
      }
      if (how === 'cancel') {
        // A workflow that stopped itself as canceled ends Canceled; an operator's cancel took it through Canceling.
        const cancel = await this.store.move(manager, operation.id, 'cancel', {}, { host: this.host });
        if (!cancel.moved) return false;
      }
      const action: OperationAction = how === 'cancel' ? 'canceled' : how;
      const result = await this.store.move(
        manager,
        operation.id,
        action,
        { error_code: code, friendly_message: message || null, completed_on: { sql: 'now()' }, host: null, lease_expires_at: null },
        { host: this.host },
      );
      if (!result.moved) return false;
      if (operation.definitionId && options.countForThrottle !== false)
        await this.recordOutcome(manager, operation.definitionId, how === 'fail', operation.name);
      return true;
    });
    if (!moved) {
      this.logger.warn({ operationId: operation.id }, 'could not finish: another host holds it');
      return;
    }
    // (set inside the transaction's callback, which the compiler does not follow)
    if ((outcome as string) === 'paused') {
      this.logger.log(
        { operationId: operation.id },
        `${operation.name} reached its end as an operator paused it: paused, resuming finishes it`,
      );
      return;
    }
    this.metrics.completions.inc({ outcome });
    this.logger.log(
      { operationId: operation.id, correlationId: operation.correlationId, outcome, code },
      `operation ${operation.name} ${outcome}${message ? `: ${message}` : ''}`,
    );
  }

  /**
   * The failure throttle: failures in a row per definition; from the threshold on, its Ready
   * operations wait for an interval that doubles with each further failure (up to the maximum).
   * One success clears it.
   */
  private async recordOutcome(manager: EntityManager, definitionId: string, failed: boolean, name: string): Promise<void> {
    if (!failed) {
      await manager.query(`DELETE FROM "executor"."definition_throttle" WHERE "definition_id" = $1`, [definitionId]);
      return;
    }
    const { throttleAfterFailures: after, throttleBaseMs: base, throttleMaxMs: max } = this.options;
    const [row] = (await manager.query(
      `INSERT INTO "executor"."definition_throttle" AS t ("definition_id", "consecutive_failures", "throttled_until", "updated_on")
       VALUES ($1, 1, NULL, now())
       ON CONFLICT ("definition_id") DO UPDATE SET "consecutive_failures" = t."consecutive_failures" + 1, "updated_on" = now()
       RETURNING "consecutive_failures"`,
      [definitionId],
    )) as Array<{ consecutive_failures: number }>;
    const failures = row?.consecutive_failures ?? 1;
    if (failures < after) return;
    const hold = throttleDelay(failures, after, base, max);
    await manager.query(
      `UPDATE "executor"."definition_throttle" SET "throttled_until" = now() + ($2 || ' milliseconds')::interval WHERE "definition_id" = $1`,
      [definitionId, String(hold)],
    );
    const until = new Date(Date.now() + hold);
    this.logger.warn(
      { definitionId, definition: name, failures, holdMs: hold, throttledUntil: until.toISOString() },
      `workflow ${name} failed ${failures} times in a row (THROTTLE_AFTER_FAILURES ${after}): its new operations are held back, next one ${describeNextAttempt(until)}; one success clears it (unavailable dependencies never count)`,
    );
  }
}

type EndEffect = Extract<Effect, { type: 'complete' | 'fail' }>;

/** What a step boundary saves: the interpreter's state, its step log entries, and the run's time so far. */
interface FinalSave {
  state: InstanceState;
  log: StepLogEntry[];
  stepStarted: Date;
  elapsedMs: number;
}

/** Exponential backoff with ±25 % jitter: base, 2 × base, 4 × base ... at most max. */
export function backoffDelay(retryCount: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.round(Math.min(baseMs * 2 ** retryCount, maxMs) * (0.75 + random() * 0.5));
}

/** The throttle's hold after `failures` failures in a row: base at the threshold, doubling, at most max. */
export function throttleDelay(failures: number, threshold: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, failures - threshold), maxMs);
}

/** The step a run is at, for operators (the top frame's list and index). */
function stageOf(state: InstanceState): string | null {
  if (state.status === 'completed' || state.status === 'failed' || state.status === 'canceled') return null;
  const frame = state.frames.at(-1);
  return state.pending?.stepPath ?? (frame ? `${frame.list}[${frame.index}]` : null);
}
