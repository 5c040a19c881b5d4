/**
 * Carries out bulk actions: claims a Ready async operation of type 13 (the workers leave those
 * to it), holds it with a lease like any run, and acts on its targets one at a time. Each
 * target's move (through the same operator moves and transition rules as single actions) and
 * its recorded outcome commit together, so a bulk action resumed after a crash (its lease
 * expires and it is Ready again) goes on with the next target and applies nothing twice. An
 * operator may cancel or pause the bulk action itself; it stops at the next target.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AsyncOperationState as State, AsyncOperationStatus as Status, AsyncOperationType } from '@flowline/contracts';
import { unavailabilityOf } from '@flowline/service-kit';
import type { BulkActionRow, BulkItemOutcome } from './bulk-action.entity';
import { BulkActionStore } from './bulk-action.store';
import { OperationCommands, type OperatorMove } from './operation-commands.service';
import { OperationStore } from './operation-store';
import { describePosition, IllegalTransition } from './operation-transitions';

export const BULK_OPTIONS = Symbol('BULK_OPTIONS');

export interface BulkActionOptions {
  /** The lease on a bulk action's operation (LEASE_MS): a dead host's bulk action is Ready again after it. */
  leaseMs: number;
  /** How often an idle runner looks for a bulk action to carry out (WORKER_POLL_MS). */
  pollMs: number;
}

/** Far enough that the timer sweep never wakes a paused bulk action (as for paused runs). */
const FAR_FUTURE = new Date('9999-12-31T00:00:00Z');

type StepEnd = 'next' | 'done' | 'canceled' | 'paused' | 'released' | 'lost';

@Injectable()
export class BulkActionRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('BulkActions');
  readonly host = `${hostname()}:${process.pid}:bulk:${randomUUID().slice(0, 8)}`;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private kicked = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly operations: OperationStore,
    private readonly bulk: BulkActionStore,
    private readonly commands: OperationCommands,
    @Inject(BULK_OPTIONS) private readonly options: BulkActionOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  /** SIGTERM: the bulk action in hand stops at the next target and goes back to Ready for another host. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.kick();
    await this.loop;
  }

  /** A bulk action was just created here: look at once instead of at the next poll. */
  kick(): void {
    this.kicked = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let delay = this.options.pollMs;
      try {
        const id = await this.claim();
        failures = 0;
        if (id) {
          await this.carryOut(id);
          continue;
        }
      } catch (error) {
        failures += 1;
        delay = Math.min(this.options.pollMs * 2 ** Math.min(failures, 6), 15_000);
        this.logger.warn({ err: String(error), attempt: failures }, `bulk actions: ${String(error)}; trying again in ${delay} ms`);
      }
      await this.idle(delay);
    }
  }

  private idle(ms: number): Promise<void> {
    if (this.kicked || this.stopping) {
      this.kicked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.kicked = false;
        done();
      };
    });
  }

  /** Takes the oldest Ready bulk action that is due, holding it with a lease. */
  private claim(): Promise<string | undefined> {
    return this.dataSource.transaction(async (manager) => {
      // Uses IDX_async_operation_bulk_ready (Ready bulk actions by sequence).
      const [row] = (await manager.query(
        `SELECT "id" FROM "executor"."async_operation"
          WHERE "state" = 0 AND "operation_type" = $1 AND "postpone_until" <= now()
          ORDER BY "sequence" LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [AsyncOperationType.BulkDelete],
      )) as Array<{ id: string }>;
      if (!row) return undefined;
      await this.operations.move(manager, row.id, 'claim', {
        host: this.host,
        lease_expires_at: this.leaseEnd(),
        started_on: { sql: 'coalesce("started_on", now())' },
      });
      return row.id;
    });
  }

  private leaseEnd(): { sql: string } {
    return { sql: `now() + interval '${Math.round(this.options.leaseMs)} milliseconds'` };
  }

  private async carryOut(id: string): Promise<void> {
    const bulk = await this.bulk.find(id);
    if (!bulk) {
      await this.dataSource.transaction((manager) =>
        this.operations.move(manager, id, 'fail', {
          host: null,
          lease_expires_at: null,
          completed_on: { sql: 'now()' },
          error_code: 'BULK_ACTION_MISSING',
          friendly_message: 'the bulk action has no description (bulk_action row); nothing was done',
        }),
      );
      return;
    }
    const move = bulk.action === 'delete' ? undefined : this.commands.operatorMove(bulk.action, bulk.requestedBy, bulk.until ?? undefined);
    this.logger.log(
      { operationId: id, action: bulk.action, done: bulk.done, total: bulk.total },
      `bulk ${bulk.action} ${id}: ${bulk.done === 0 ? 'starting' : `resuming after ${bulk.done}`} of ${bulk.total}`,
    );
    const renew = setInterval(() => void this.renew(id), Math.max(250, Math.floor(this.options.leaseMs / 3)));
    try {
      for (;;) {
        const end = await this.dataSource.transaction((manager) => this.step(manager, id, bulk, move));
        if (end === 'next') continue;
        const progress = await this.bulk.find(id);
        this.logger.log(
          {
            operationId: id,
            action: bulk.action,
            end,
            done: progress?.done,
            total: bulk.total,
            applied: progress?.applied,
            refused: progress?.refused,
          },
          `bulk ${bulk.action} ${id} ${end}: ${progress?.done ?? '?'} of ${bulk.total} done (${progress?.applied ?? '?'} applied, ${progress?.refused ?? '?'} refused)`,
        );
        return;
      }
    } finally {
      clearInterval(renew);
    }
  }

  private async renew(id: string): Promise<void> {
    await this.dataSource
      .query(
        `UPDATE "executor"."async_operation" SET "lease_expires_at" = now() + ($3 || ' milliseconds')::interval
          WHERE "id" = $1 AND "host" = $2 AND "state" = 2`,
        [id, this.host, String(this.options.leaseMs)],
      )
      .catch((error: unknown) => this.logger.warn({ operationId: id, err: String(error) }, 'bulk action lease renewal failed'));
  }

  /** One target in one transaction; or the bulk action's own end (finished, canceled, paused, released). */
  private async step(manager: EntityManager, id: string, bulk: BulkActionRow, move: OperatorMove | undefined): Promise<StepEnd> {
    const [row] = (await manager.query(`SELECT "state", "status", "host" FROM "executor"."async_operation" WHERE "id" = $1 FOR UPDATE`, [
      id,
    ])) as Array<{ state: State; status: Status; host: string | null }>;
    if (!row || row.state !== State.Locked || row.host !== this.host) return 'lost';
    const released = { host: null, lease_expires_at: null };
    if (row.status === Status.Canceling) {
      await this.operations.move(manager, id, 'canceled', {
        ...released,
        completed_on: { sql: 'now()' },
        error_code: 'CANCELED',
        friendly_message: 'the bulk action was canceled; the targets done so far stay done',
      });
      return 'canceled';
    }
    if (row.status === Status.Pausing) {
      await this.operations.move(manager, id, 'paused', { ...released, postpone_until: FAR_FUTURE });
      return 'paused';
    }
    if (this.stopping) {
      await this.operations.move(manager, id, 'release', { ...released, postpone_until: { sql: 'now()' } });
      return 'released';
    }
    const item = await this.bulk.nextPending(manager, id);
    if (!item) {
      const [progress] = (await manager.query(
        `SELECT "applied", "refused", "total" FROM "executor"."bulk_action" WHERE "operation_id" = $1`,
        [id],
      )) as Array<{ applied: number; refused: number; total: number }>;
      await this.operations.move(manager, id, 'succeed', {
        ...released,
        completed_on: { sql: 'now()' },
        execution_time_ms: { sql: `LEAST(2147483647, (extract(epoch FROM now() - "started_on") * 1000)::bigint)::int` },
        friendly_message: `${bulk.action}: ${progress?.applied ?? 0} of ${progress?.total ?? 0} applied, ${progress?.refused ?? 0} refused`,
      });
      return 'done';
    }
    await manager.query('SAVEPOINT bulk_target');
    let outcome: { outcome: BulkItemOutcome; message: string };
    try {
      outcome = await this.applyTo(manager, bulk, move, item.operationId);
      await manager.query('RELEASE SAVEPOINT bulk_target');
    } catch (error) {
      await manager.query('ROLLBACK TO SAVEPOINT bulk_target');
      if (error instanceof IllegalTransition) outcome = { outcome: 'refused', message: error.message };
      else if (unavailabilityOf(error)) throw error;
      else outcome = { outcome: 'refused', message: `could not ${bulk.action} it: ${String(error)}` };
    }
    await this.bulk.recordOutcome(manager, id, item.position, outcome.outcome, outcome.message);
    await manager.query(`UPDATE "executor"."async_operation" SET "lease_expires_at" = ${this.leaseEnd().sql} WHERE "id" = $1`, [id]);
    return 'next';
  }

  /** The action on one target, by the same rules as the single action; refusals are answered, not thrown (except illegal moves). */
  private async applyTo(
    manager: EntityManager,
    bulk: BulkActionRow,
    move: OperatorMove | undefined,
    targetId: string,
  ): Promise<{ outcome: BulkItemOutcome; message: string }> {
    if (!move) {
      const [target] = (await manager.query(`SELECT "state", "status" FROM "executor"."async_operation" WHERE "id" = $1 FOR UPDATE`, [
        targetId,
      ])) as Array<{ state: State; status: Status }>;
      if (!target) return { outcome: 'refused', message: 'the operation no longer exists' };
      if (target.state !== State.Completed)
        return {
          outcome: 'refused',
          message: `cannot delete an operation that is ${describePosition(target)}: only Completed operations are deleted`,
        };
      await this.commands.deleteCompletedIn(manager, [targetId]);
      return { outcome: 'applied', message: `deleted (was ${describePosition(target)})` };
    }
    const result = await this.commands.applyIn(manager, targetId, move);
    if (!result.moved) return { outcome: 'refused', message: 'the operation no longer exists' };
    const children = result.childrenCanceled.length;
    return {
      outcome: 'applied',
      message: `${describePosition(result.from)} -> ${describePosition(result.to)}${children > 0 ? `; ${children} waited-for child operation(s) canceled with it` : ''}`,
    };
  }
}
