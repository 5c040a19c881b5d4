/**
 * Workers: claim Ready operations that are due (FOR UPDATE SKIP LOCKED, a lease with this
 * host as owner), drive the process-runtime interpreter, perform its effects (record messages
 * through the gateway with depth + 1 and an idempotency key per step, child workflows as new
 * operations, waits), and persist the instance state and step log after every step. New work
 * wakes idle workers through LISTEN/NOTIFY; polling is the fallback. Expired leases (a dead
 * host) and due timers bring operations back to Ready.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AsyncOperationState as State, AsyncOperationStatus as Status, AsyncOperationType } from '@flowline/contracts';
import { advance, type Effect, type Input, type InstanceState, type Json } from '@flowline/process-runtime';
import { AsyncOperationRow } from '../operations/async-operation.entity';
import { OperationEvents } from '../operations/operation-events';
import { transition } from '../operations/operation-transitions';
import { DefinitionVersions } from './definition-versions';
import { GatewayClient } from './gateway-client';

export const WORKER_OPTIONS = Symbol('WORKER_OPTIONS');
export const READY_CHANNEL = 'flowline_executor_ready';

export interface WorkerOptions {
  databaseUrl: string;
  registryAddress: string;
  gatewayAddress: string;
  authSecret: string;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  maxRetries: number;
}

const FAR_FUTURE = new Date('9999-12-31T00:00:00Z');

@Injectable()
export class WorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Worker');
  private readonly host = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private stopping = false;
  private wake: (() => void) | undefined;
  private loops: Array<Promise<void>> = [];
  private listener: Client | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
    private readonly versions: DefinitionVersions,
    private readonly gateway: GatewayClient,
    private readonly events: OperationEvents,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.versions.configure(this.options.registryAddress, this.options.authSecret);
    this.gateway.configure(this.options.gatewayAddress, this.options.authSecret);
    this.listener = new Client({ connectionString: this.options.databaseUrl, application_name: 'async-executor-listener' });
    await this.listener.connect();
    this.listener.on('notification', () => this.wake?.());
    this.listener.on('error', () => undefined);
    await this.listener.query(`LISTEN ${READY_CHANNEL}`);
    for (let i = 0; i < this.options.concurrency; i++) this.loops.push(this.loop());
  }

  /** Stop claiming, let runs in flight finish, release nothing half-done (leases expire). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await Promise.all(this.loops);
    await this.listener?.end().catch(() => undefined);
    this.versions.close();
    this.gateway.close();
  }

  private async idle(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.options.pollMs);
      const previous = this.wake;
      this.wake = () => {
        clearTimeout(timer);
        previous?.();
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.sweep();
        const claimed = await this.claim();
        if (!claimed) {
          await this.idle();
          continue;
        }
        await this.run(claimed);
      } catch (error) {
        this.logger.error({ err: String(error) }, `worker loop error: ${String(error)}`);
        await this.idle();
      }
    }
  }

  /** Due timers and expired leases bring operations back to Ready. */
  private async sweep(): Promise<void> {
    await this.dataSource.query(
      `UPDATE "executor"."async_operation" SET "state" = 0, "status" = 0, "row_version" = "row_version" + 1
        WHERE "state" = 1 AND "status" = 10 AND "postpone_until" <= now()`,
    );
    await this.dataSource.query(
      `UPDATE "executor"."async_operation" SET "state" = 0, "status" = 0, "host" = NULL, "lease_expires_at" = NULL, "row_version" = "row_version" + 1
        WHERE "state" = 2 AND "status" IN (20, 21) AND "lease_expires_at" < now()`,
    );
  }

  private async claim(): Promise<AsyncOperationRow | undefined> {
    // Uses IDX_async_operation_ready; SKIP LOCKED lets many workers and replicas claim side by side.
    // A SELECT around the UPDATE, so the driver hands back the rows rather than an affected count.
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `WITH next AS (
         SELECT "id" FROM "executor"."async_operation"
          WHERE "state" = 0 AND "postpone_until" <= now()
          ORDER BY "sequence" LIMIT 1 FOR UPDATE SKIP LOCKED),
       claimed AS (UPDATE "executor"."async_operation" o
          SET "state" = 2, "status" = 20, "host" = $1, "lease_expires_at" = now() + ($2 || ' milliseconds')::interval,
              "started_on" = coalesce(o."started_on", now()), "row_version" = o."row_version" + 1
         FROM next WHERE o."id" = next."id"
       RETURNING o."id")
       SELECT "id" FROM claimed`,
      [this.host, String(this.options.leaseMs)],
    );
    const id = rows[0]?.id;
    return id ? this.dataSource.getRepository(AsyncOperationRow).findOneByOrFail({ id }) : undefined;
  }

  private recordOf(operation: AsyncOperationRow, record: Record<string, unknown> | null): Record<string, Json> {
    return { ...(record ?? {}), ref: { entity: operation.primaryEntity, id: operation.regardingId } } as Record<string, Json>;
  }

  private async run(operation: AsyncOperationRow): Promise<void> {
    if (operation.operationType !== AsyncOperationType.Workflow || !operation.definitionId || !operation.definitionVersion) {
      await this.finish(operation, 'fail', 'UNSUPPORTED_OPERATION', 'only workflow operations run in this executor so far');
      return;
    }
    this.logger.debug({ operationId: operation.id, correlationId: operation.correlationId, msg: `running ${operation.name}` });
    const compiled = await this.versions.get(operation.definitionId, operation.definitionVersion);
    const started = Date.now();
    let state = operation.instanceState as unknown as InstanceState | null;
    let input: Input;
    if (!state) {
      const event = operation.input as {
        postImage: Record<string, unknown> | null;
        preImage: Record<string, unknown> | null;
        changedAttributes: string[];
      };
      input = {
        type: 'start',
        operationId: operation.id,
        now: new Date().toISOString(),
        depth: operation.depth,
        record: this.recordOf(operation, event.postImage),
        pre: (event.preImage ?? null) as never,
        changed: event.changedAttributes,
      };
    } else if (state.pending) {
      // The previous run stopped with an effect in flight (a crash, an expired lease): perform it
      // again; its idempotency key makes the gateway answer without acting twice.
      const replay = await this.perform(operation, (state as InstanceState & { lastEffect: Effect }).lastEffect, state);
      if (!replay) return;
      input = replay;
    } else {
      const current = await this.gateway.execute({
        message: 'Retrieve',
        entity: operation.primaryEntity,
        recordId: operation.regardingId,
        target: {},
        parameters: {},
        idempotencyKey: '',
        depth: operation.depth,
        correlationId: operation.correlationId,
        initiatingUserId: operation.owner,
      });
      input = {
        type: 'wakeUp',
        now: new Date().toISOString(),
        ...(current.ok && current.record ? { record: this.recordOf(operation, current.record) } : {}),
      };
    }
    for (let guard = 0; guard < 10_000; guard++) {
      const result = advance(compiled, state ?? undefined, input);
      this.logger.debug({ operationId: operation.id, input: input.type, effects: result.effects.map((e) => e.type), msg: 'advanced' });
      const effect = result.effects.at(-1);
      // The effect in flight is persisted with the state, so a run that dies here can perform it again.
      state = { ...result.state, ...(result.state.pending && effect ? { lastEffect: effect } : {}) } as InstanceState;
      await this.persist(operation, state, result.log, Date.now() - started);
      if (!effect) return;
      switch (effect.type) {
        case 'complete':
          await this.finish(operation, effect.outcome === 'canceled' ? 'cancelComplete' : 'succeed', null, effect.message);
          return;
        case 'fail':
          await this.finish(operation, 'fail', effect.code, effect.message);
          return;
        case 'wait':
          await this.suspend(operation, effect);
          return;
        case 'paused':
          return;
        default: {
          const next = await this.perform(operation, effect, state);
          if (!next) return; // retried later
          input = next;
        }
      }
    }
  }

  /** Performs one effect; returns the input that feeds its result back, or undefined when the operation was put back for a retry. */
  private async perform(operation: AsyncOperationRow, effect: Effect, _state: InstanceState): Promise<Input | undefined> {
    const now = () => new Date().toISOString();
    if (effect.type === 'executeMessage') {
      const outcome = await this.gateway.execute({
        message: effect.message,
        entity: effect.entity,
        ...(effect.recordId ? { recordId: effect.recordId } : {}),
        target: effect.target,
        parameters: effect.parameters,
        idempotencyKey: effect.idempotencyKey,
        depth: operation.depth + 1,
        correlationId: operation.correlationId,
        initiatingUserId: operation.owner,
      });
      if (outcome.ok)
        return {
          type: 'effectResult',
          effectId: effect.effectId,
          ok: true,
          output: { id: outcome.id, ...(outcome.records ? { records: outcome.records as Json } : {}) },
          now: now(),
        };
      if (outcome.transient) {
        await this.retry(operation, outcome.code, outcome.message);
        return undefined;
      }
      return {
        type: 'effectResult',
        effectId: effect.effectId,
        ok: false,
        error: { code: outcome.code, message: outcome.message },
        now: now(),
      };
    }
    if (effect.type === 'startChild') {
      const child = await this.versions.active(effect.workflow);
      await this.dataSource.transaction(async (manager) => {
        const id = randomUUID();
        await manager
          .createQueryBuilder()
          .insert()
          .into(AsyncOperationRow)
          .values({
            id,
            operationType: AsyncOperationType.Workflow,
            name: effect.workflow,
            processKey: `${child.definitionId}:${effect.idempotencyKey}`,
            definitionId: child.definitionId,
            definitionVersion: child.version,
            stepRegistrationId: null,
            state: State.Ready,
            status: Status.WaitingForResources,
            eventId: operation.eventId,
            correlationId: operation.correlationId,
            depth: operation.depth + 1,
            primaryEntity: operation.primaryEntity,
            regardingId: operation.regardingId,
            owner: operation.owner,
            input: { ...(operation.input as object), inputs: effect.inputs },
            instanceState: null,
            dependencyToken: null,
            postponeUntil: new Date(),
            traceContext: operation.traceContext,
          } as never)
          .orIgnore()
          .execute();
        await manager.query(`SELECT pg_notify($1, '')`, [READY_CHANNEL]);
      });
      return { type: 'effectResult', effectId: effect.effectId, ok: true, output: {}, now: now() };
    }
    if (effect.type === 'customActivity') {
      return {
        type: 'effectResult',
        effectId: effect.effectId,
        ok: false,
        error: { code: 'UNKNOWN_HANDLER', message: `no custom activity handler '${effect.handler}' is registered in this executor` },
        now: now(),
      };
    }
    return undefined;
  }

  private async persist(
    operation: AsyncOperationRow,
    state: InstanceState,
    log: Array<{ stepId: string; path: string; type: string; status: number; message?: string }>,
    elapsedMs: number,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `UPDATE "executor"."async_operation" SET "instance_state" = $2, "lease_expires_at" = now() + ($3 || ' milliseconds')::interval,
                "execution_time_ms" = "execution_time_ms" + $4, "row_version" = "row_version" + 1 WHERE "id" = $1 AND "host" = $5`,
        [operation.id, JSON.stringify(state), String(this.options.leaseMs), elapsedMs, this.host],
      );
      for (const entry of log) {
        await manager.query(
          `INSERT INTO "executor"."operation_step_log" ("operation_id", "step_id", "path", "step_type", "status", "message", "logged_on") VALUES ($1, $2, $3, $4, $5, $6, now())`,
          [operation.id, entry.stepId, entry.path, entry.type, entry.status, entry.message ?? null],
        );
      }
    });
  }

  private async suspend(operation: AsyncOperationRow, effect: Extract<Effect, { type: 'wait' }>): Promise<void> {
    const to = transition({ state: State.Locked, status: Status.InProgress }, 'suspend');
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`DELETE FROM "executor"."wait_subscription" WHERE "operation_id" = $1`, [operation.id]);
      for (const subscription of effect.subscriptions) {
        await manager.query(
          `INSERT INTO "executor"."wait_subscription" ("operation_id", "entity", "record_id") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
          [operation.id, subscription.entity, subscription.recordId],
        );
      }
      await manager.query(
        `UPDATE "executor"."async_operation" SET "state" = $2, "status" = $3, "postpone_until" = $4, "host" = NULL, "lease_expires_at" = NULL, "row_version" = "row_version" + 1 WHERE "id" = $1`,
        [operation.id, to.state, to.status, effect.timer ? new Date(effect.timer) : FAR_FUTURE],
      );
      await this.events.recordMany(manager, [operation.id], operation.correlationId);
    });
  }

  private async retry(operation: AsyncOperationRow, code: string, message: string): Promise<void> {
    if (operation.retryCount + 1 >= this.options.maxRetries) {
      await this.finish(operation, 'fail', code, `gave up after ${operation.retryCount + 1} attempts: ${message}`);
      return;
    }
    // Exponential backoff with jitter: 1 s, 2 s, 4 s ... at most 5 minutes.
    const delay = Math.min(1000 * 2 ** operation.retryCount, 300_000) * (0.75 + Math.random() * 0.5);
    const to = transition({ state: State.Locked, status: Status.InProgress }, 'retry');
    await this.dataSource.query(
      `UPDATE "executor"."async_operation" SET "state" = $2, "status" = $3, "retry_count" = "retry_count" + 1, "postpone_until" = now() + ($4 || ' milliseconds')::interval,
              "error_code" = $5, "friendly_message" = $6, "host" = NULL, "lease_expires_at" = NULL, "row_version" = "row_version" + 1 WHERE "id" = $1`,
      [operation.id, to.state, to.status, String(Math.round(delay)), code, message],
    );
  }

  private async finish(
    operation: AsyncOperationRow,
    how: 'succeed' | 'fail' | 'cancelComplete',
    code: string | null,
    message: string,
  ): Promise<void> {
    const to =
      how === 'cancelComplete'
        ? { state: State.Completed, status: Status.Canceled }
        : transition({ state: State.Locked, status: Status.InProgress }, how);
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `UPDATE "executor"."async_operation" SET "state" = $2, "status" = $3, "error_code" = $4, "friendly_message" = $5, "completed_on" = now(), "host" = NULL, "lease_expires_at" = NULL, "row_version" = "row_version" + 1 WHERE "id" = $1`,
        [operation.id, to.state, to.status, code, message || null],
      );
      await manager.query(`DELETE FROM "executor"."wait_subscription" WHERE "operation_id" = $1`, [operation.id]);
      await this.events.recordMany(manager, [operation.id], operation.correlationId);
    });
    this.logger.log(
      { operationId: operation.id, correlationId: operation.correlationId, outcome: how, code },
      `operation ${operation.name} ${how === 'succeed' ? 'succeeded' : how === 'fail' ? 'failed' : 'canceled'}`,
    );
  }
}
