/**
 * Applies state changes to async operations: the row is locked, the move is checked by the one
 * transition function (an illegal move is refused with the current state), the new position and
 * any other columns are written, and the change goes to the outbox, all in one transaction.
 * A child that its parent waits for never outlives the parent: a parent's cancel or end cancels
 * its unfinished waited-for children (recursively) in the same transaction.
 */
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';
import { OperationEvents } from './operation-events';
import { describePosition, transition, type OperationAction, type OperationPosition } from './operation-transitions';

/**
 * The ids of the operations subscribed to the records `touched` (a table expression of "entity"
 * and "record_id"), each record looked up in IDX_wait_subscription_record on its own: OFFSET 0
 * keeps the planner from flattening the lookup into a join, which for a batch of a thousand
 * records it would plan as a hash of the whole subscription table (150 to 250 ms a batch with
 * 100,000 operations waiting, and growing with them). The lookups cost the same however many wait.
 */
export function subscribersOf(touched: string): string {
  return `SELECT w."operation_id" FROM ${touched} t CROSS JOIN LATERAL (
            SELECT s."operation_id" FROM "executor"."wait_subscription" s
             WHERE s."entity" = t."entity" AND s."record_id" = t."record_id" OFFSET 0) w`;
}

/** A column value, or SQL for it (e.g. `now()`), in a move. */
export type ColumnValue = string | number | Date | null | { sql: string };

export interface MoveOptions {
  /** Only when this host holds the operation's lease; otherwise the move is 'lost'. */
  host?: string;
  /** Ready moves wake idle workers at commit. */
  notify?: boolean;
}

export type MoveResult =
  | {
      moved: true;
      from: OperationPosition;
      to: OperationPosition;
      /** The waited-for children (and theirs, recursively) this move canceled with the operation. */
      childrenCanceled: string[];
    }
  | { moved: false; reason: 'lost' | 'missing' };

export const READY_CHANNEL = 'flowline_executor_ready';
/** The subscription entity of a parent waiting for a child operation (record_id: the child's id). */
export const CHILD_SUBSCRIPTION = 'asyncoperation';
const WAITING = { state: State.Suspended, status: Status.Waiting };
const WOKEN = transition(WAITING, 'wake');

@Injectable()
export class OperationStore {
  private readonly logger = new Logger('Operations');

  constructor(private readonly events: OperationEvents) {}

  /**
   * Moves one operation. Throws IllegalTransition when the action is not legal from where the
   * operation is; answers { moved: false } when it does not exist or another host holds it.
   */
  async move(
    manager: EntityManager,
    id: string,
    action: OperationAction,
    columns: Record<string, ColumnValue> | ((from: OperationPosition) => Record<string, ColumnValue>) = {},
    options: MoveOptions = {},
  ): Promise<MoveResult> {
    // A cancel takes the waited-for children with it: their rows are locked before the operation's,
    // in the order a child's own end locks them (child, then the parent it wakes), so that a child
    // ending at the same moment waits instead of deadlocking. Uses IDX_async_operation_parent.
    if (action === 'cancel')
      await manager.query(
        `SELECT "id" FROM "executor"."async_operation" WHERE "parent_operation_id" = $1 AND "state" <> $2 ORDER BY "sequence" FOR UPDATE`,
        [id, State.Completed],
      );
    const rows = (await manager.query(
      `SELECT "state", "status", "host", "correlation_id", "parent_operation_id" FROM "executor"."async_operation" WHERE "id" = $1 FOR UPDATE`,
      [id],
    )) as Array<{ state: State; status: Status; host: string | null; correlation_id: string; parent_operation_id: string | null }>;
    const row = rows[0];
    if (!row) return { moved: false, reason: 'missing' };
    if (options.host !== undefined && row.host !== options.host) return { moved: false, reason: 'lost' };
    const from = { state: row.state, status: row.status };
    const to = transition(from, action);
    const sets = ['"state" = $2', '"status" = $3', '"row_version" = "row_version" + 1'];
    const params: unknown[] = [id, to.state, to.status];
    for (const [column, value] of Object.entries(typeof columns === 'function' ? columns(from) : columns)) {
      if (value !== null && typeof value === 'object' && 'sql' in value) sets.push(`"${column}" = ${value.sql}`);
      else {
        params.push(value);
        sets.push(`"${column}" = $${params.length}`);
      }
    }
    // Completed or Ready: what it waited on is spent (one statement with the move).
    const spent = to.state === State.Completed || to.state === State.Ready;
    await manager.query(
      spent
        ? `WITH moved AS (UPDATE "executor"."async_operation" SET ${sets.join(', ')} WHERE "id" = $1 RETURNING "id")
           DELETE FROM "executor"."wait_subscription" WHERE "operation_id" = $1`
        : `UPDATE "executor"."async_operation" SET ${sets.join(', ')} WHERE "id" = $1`,
      params,
    );
    // A child's end, however it came (its run, an operator's cancel, an expired lease), wakes the
    // parent waiting for it (only a child started with `wait` has a parent that waits).
    const woken = to.state === State.Completed && row.parent_operation_id !== null ? await this.wakeParentsOf(manager, [id]) : [];
    await this.events.recordMany(manager, [id, ...woken], row.correlation_id);
    // After the operation's own move (it no longer waits), so that the children's ends wake nobody.
    const childrenCanceled = action === 'cancel' || to.state === State.Completed ? await this.cancelWaitedChildren(manager, id, to) : [];
    if (options.notify || to.state === State.Ready) await manager.query(`SELECT pg_notify($1, '')`, [READY_CHANNEL]);
    return { moved: true, from, to, childrenCanceled };
  }

  /**
   * Cancels the unfinished children this operation waits for (started with `wait`), each through
   * the same move as an operator's cancel: Ready or Suspended ones end Canceled at once, a Locked
   * one goes Canceling and its run stops at its next step boundary; their own waited-for
   * children follow (recursively, through their own moves). Children started without `wait` have
   * no parent and are left alone; a child already Canceling is on its way. Answers every id canceled.
   */
  private async cancelWaitedChildren(manager: EntityManager, parentId: string, parent: OperationPosition): Promise<string[]> {
    // Uses IDX_async_operation_parent; oldest first, so that locks are taken in one order.
    const children = (await manager.query(
      `SELECT "id" FROM "executor"."async_operation"
        WHERE "parent_operation_id" = $1 AND "state" <> $2 AND NOT ("state" = $3 AND "status" = $4)
        ORDER BY "sequence"`,
      [parentId, State.Completed, State.Locked, Status.Canceling],
    )) as Array<{ id: string }>;
    const canceled: string[] = [];
    const why =
      parent.status === Status.Canceling || parent.status === Status.Canceled
        ? `canceled with its parent operation ${parentId}`
        : `canceled: its parent operation ${parentId} ended ${parent.status === Status.Failed ? 'failing' : 'without waiting for it'}`;
    for (const { id } of children) {
      const result = await this.move(manager, id, 'cancel', (from): Record<string, ColumnValue> =>
        from.state === State.Locked ? {} : { completed_on: { sql: 'now()' }, error_code: 'CANCELED', friendly_message: why },
      );
      if (!result.moved) continue;
      this.logger.log(
        { operationId: id, parentOperationId: parentId, from: describePosition(result.from), to: describePosition(result.to) },
        `child operation ${id} ${why} (${describePosition(result.from)} -> ${describePosition(result.to)})`,
      );
      canceled.push(id, ...result.childrenCanceled);
    }
    return canceled;
  }

  /**
   * Suspended operations waiting on these records (pairs of entity and record id) become Ready;
   * their subscriptions are spent. The caller notifies the workers.
   */
  async wakeWaitingOn(manager: EntityManager, entities: string[], recordIds: string[]): Promise<string[]> {
    if (recordIds.length === 0) return [];
    const woken = (
      (await manager.query(
        `WITH touched AS (SELECT * FROM unnest($1::text[], $2::text[]) AS t("entity", "record_id")),
         woken AS (
           UPDATE "executor"."async_operation" o SET "state" = $3, "status" = $4, "postpone_until" = now(), "row_version" = o."row_version" + 1
            WHERE o."state" = $5 AND o."status" = $6 AND o."id" IN (${subscribersOf('touched')})
           RETURNING o."id")
         SELECT "id" FROM woken`,
        [entities, recordIds, WOKEN.state, WOKEN.status, WAITING.state, WAITING.status],
      )) as Array<{ id: string }>
    ).map((row) => row.id);
    if (woken.length > 0) await manager.query(`DELETE FROM "executor"."wait_subscription" WHERE "operation_id" = ANY($1::uuid[])`, [woken]);
    return woken;
  }

  /** Parents waiting for these (ended) children become Ready, and idle workers are woken. */
  async wakeParentsOf(manager: EntityManager, childIds: string[]): Promise<string[]> {
    const woken = await this.wakeWaitingOn(
      manager,
      childIds.map(() => CHILD_SUBSCRIPTION),
      childIds,
    );
    if (woken.length > 0) await manager.query(`SELECT pg_notify($1, '')`, [READY_CHANNEL]);
    return woken;
  }
}
