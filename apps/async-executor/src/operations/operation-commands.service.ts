/**
 * What operators do with async operations: list and filter them, read one with its step log,
 * cancel, pause, resume, postpone, retry a failed one, and delete finished ones past retention.
 * Every move goes through the transition function (an illegal one is refused with the current
 * state) and is published on flowline.async-operations.v1 through the outbox.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { AsyncOperationState as State } from '@flowline/contracts';
import { failedPrecondition, invalidArgument, notFound, pageInfo, type FieldViolation, type PageWindow } from '@flowline/rpc';
import { AsyncOperationRow } from './async-operation.entity';
import { OperationStore, type ColumnValue, type MoveResult } from './operation-store';
import { describePosition, IllegalTransition, type OperationAction, type OperationPosition } from './operation-transitions';
import { StepLogRow } from './step-log.entity';
import { applyOperationFilter, filterInstant, type OperationFilter } from './operation-filter';

export const OPERATIONS_OPTIONS = Symbol('OPERATIONS_OPTIONS');

export interface OperationsOptions {
  registryAddress: string;
  gatewayAddress: string;
  retentionDays: number;
}

export type { OperationFilter } from './operation-filter';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const instant = filterInstant;

/** The actions an operator takes on one operation (alone or in bulk). */
export type OperatorAction = 'cancel' | 'pause' | 'resume' | 'postpone' | 'retry';

/** What an operator's action moves and writes: the one definition single and bulk actions share. */
export interface OperatorMove {
  action: OperationAction;
  columns: (from: OperationPosition) => Record<string, ColumnValue>;
}

@Injectable()
export class OperationCommands {
  private readonly logger = new Logger('Operations');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: OperationStore,
    @Inject(OPERATIONS_OPTIONS) private readonly options: OperationsOptions,
  ) {}

  async list(
    window: PageWindow,
    filter: OperationFilter,
  ): Promise<{ rows: AsyncOperationRow[]; page: { nextPageToken: string; totalCount: number } }> {
    const query = this.filtered(filter);
    const [rows, total] = await query.orderBy('o.sequence', 'DESC').skip(window.offset).take(window.limit).getManyAndCount();
    return { rows, page: pageInfo(window, rows.length, total) };
  }

  /** The operations matching a list filter (alias `o`), for listing and bulk actions alike; refuses an invalid filter. */
  filtered(filter: OperationFilter): SelectQueryBuilder<AsyncOperationRow> {
    const query = this.dataSource.getRepository(AsyncOperationRow).createQueryBuilder('o');
    applyOperationFilter(query, filter);
    return query;
  }

  async get(id: string): Promise<{ operation: AsyncOperationRow; steps: StepLogRow[] }> {
    const operation = await this.find(id);
    const steps = await this.dataSource.getRepository(StepLogRow).find({ where: { operationId: id }, order: { id: 'ASC' } });
    return { operation, steps };
  }

  /**
   * Cancels the operation and, in the same transaction, the children it waits for (recursively);
   * answers the operation after the move and how many children were canceled with it.
   */
  async cancel(id: string, by: string): Promise<{ operation: AsyncOperationRow; childrenCanceled: number }> {
    const { operation, childrenCanceled } = await this.apply(id, this.operatorMove('cancel', by), by);
    return { operation, childrenCanceled: childrenCanceled.length };
  }

  async pause(id: string, by: string): Promise<AsyncOperationRow> {
    return (await this.apply(id, this.operatorMove('pause', by), by)).operation;
  }

  async resume(id: string, by: string): Promise<AsyncOperationRow> {
    return (await this.apply(id, this.operatorMove('resume', by), by)).operation;
  }

  async postpone(id: string, until: string, by: string): Promise<AsyncOperationRow> {
    return (await this.apply(id, this.operatorMove('postpone', by, this.postponeTime(until)), by)).operation;
  }

  async retry(id: string, by: string): Promise<AsyncOperationRow> {
    return (await this.apply(id, this.operatorMove('retry', by), by)).operation;
  }

  /** A postpone time checked: RFC 3339 and in the future. */
  postponeTime(until: string): Date {
    const violations: FieldViolation[] = [];
    const date = instant('until', until, violations);
    if (!until) violations.push({ field: 'until', description: 'is required: expected an RFC 3339 time in the future' });
    else if (date && date.getTime() <= Date.now())
      violations.push({ field: 'until', description: `expected a time in the future, got ${until}` });
    if (violations.length > 0 || !date)
      throw invalidArgument(
        'POSTPONE_INVALID',
        `cannot postpone: ${violations.map((v) => `${v.field} ${v.description}`).join('; ')}`,
        violations,
      );
    return date;
  }

  /** The move and columns of an operator's action (postpone needs its checked time). */
  operatorMove(action: OperatorAction, by: string, until?: Date): OperatorMove {
    switch (action) {
      case 'cancel':
        return {
          action: 'cancel',
          columns: (from): Record<string, ColumnValue> =>
            from.state === State.Locked
              ? {}
              : { completed_on: { sql: 'now()' }, error_code: 'CANCELED', friendly_message: `canceled by ${by}` },
        };
      case 'pause':
        return { action: 'pause', columns: () => ({}) };
      case 'resume':
        return { action: 'resume', columns: () => ({ postpone_until: { sql: 'now()' } }) };
      case 'postpone':
        if (!until) throw new Error('postpone needs its time');
        return { action: 'postpone', columns: () => ({ postpone_until: until }) };
      case 'retry':
        /*
         * A failed operation runs again from its last persisted point (from the start if its run had
         * ended), retry count reset; the record is read again through the gateway when it starts.
         */
        return {
          action: 'retryFailed',
          columns: () => ({
            retry_count: 0,
            error_code: null,
            friendly_message: null,
            completed_on: null,
            postpone_until: { sql: 'now()' },
            next_attempt_at: null,
            unavailable_since: null,
            unavailable_attempts: 0,
            // The retried run takes the trigger's inputs from its snapshot, but reads the record as it is
            // now (an operator who fixed the record expects the retry to see it).
            input: { sql: `"input" || '{"rereadRecord": true}'::jsonb` },
            instance_state: {
              sql: `CASE WHEN "instance_state"->>'status' IN ('failed', 'completed', 'canceled') THEN NULL ELSE "instance_state" END`,
            },
          }),
        };
    }
  }

  /** Applies an operator's move inside the caller's transaction; throws IllegalTransition when the state does not allow it. */
  applyIn(manager: EntityManager, id: string, move: OperatorMove): Promise<MoveResult> {
    return this.store.move(manager, id, move.action, move.columns);
  }

  /**
   * Deletes these operations (and their step logs and wait subscriptions) where they are
   * Completed, inside the caller's transaction; answers the ids deleted.
   */
  async deleteCompletedIn(manager: EntityManager, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = (await manager.query(
      `WITH gone AS (DELETE FROM "executor"."async_operation" WHERE "id" = ANY($1::uuid[]) AND "state" = 3 RETURNING "id") SELECT "id" FROM gone`,
      [ids],
    )) as Array<{ id: string }>;
    const gone = rows.map((r) => r.id);
    if (gone.length > 0) {
      await manager.query(`DELETE FROM "executor"."operation_step_log" WHERE "operation_id" = ANY($1::uuid[])`, [gone]);
      await manager.query(`DELETE FROM "executor"."wait_subscription" WHERE "operation_id" = ANY($1::uuid[])`, [gone]);
      // A finished bulk action takes its progress and outcomes with it.
      await manager.query(`DELETE FROM "executor"."bulk_action_item" WHERE "bulk_id" = ANY($1::uuid[])`, [gone]);
      await manager.query(`DELETE FROM "executor"."bulk_action" WHERE "operation_id" = ANY($1::uuid[])`, [gone]);
    }
    return gone;
  }

  /** Deletes Completed operations (and their step logs) finished before the cutoff, in batches. */
  async deleteCompleted(completedBefore: string | undefined): Promise<{ deleted: number; completedBefore: Date }> {
    const violations: FieldViolation[] = [];
    const cutoff =
      instant('completedBefore', completedBefore, violations) ?? new Date(Date.now() - this.options.retentionDays * 86_400_000);
    if (violations.length > 0) throw invalidArgument('CUTOFF_INVALID', `cannot delete: ${violations[0]!.description}`, violations);
    let deleted = 0;
    for (;;) {
      const batch = await this.dataSource.transaction(async (manager) => {
        const due = (await manager.query(
          `SELECT "id" FROM "executor"."async_operation" WHERE "state" = 3 AND "completed_on" < $1 LIMIT 1000 FOR UPDATE SKIP LOCKED`,
          [cutoff],
        )) as Array<{ id: string }>;
        return (
          await this.deleteCompletedIn(
            manager,
            due.map((r) => r.id),
          )
        ).length;
      });
      deleted += batch;
      if (batch < 1000) break;
    }
    if (deleted > 0) this.logger.log({ deleted, completedBefore: cutoff.toISOString() }, `deleted ${deleted} completed operations`);
    return { deleted, completedBefore: cutoff };
  }

  private async find(id: string): Promise<AsyncOperationRow> {
    if (!UUID.test(id))
      throw invalidArgument('OPERATION_ID_INVALID', `'${id}' is not an operation id (a UUID)`, [
        { field: 'id', description: 'expected a UUID' },
      ]);
    const operation = await this.dataSource.getRepository(AsyncOperationRow).findOneBy({ id });
    if (!operation) throw notFound('OPERATION_NOT_FOUND', `no async operation ${id}: it may have been deleted after its retention period`);
    return operation;
  }

  private async apply(id: string, move: OperatorMove, by: string): Promise<{ operation: AsyncOperationRow; childrenCanceled: string[] }> {
    const current = await this.find(id);
    const { action } = move;
    let childrenCanceled: string[] = [];
    try {
      const result = await this.dataSource.transaction((manager) => this.applyIn(manager, id, move));
      if (result.moved) childrenCanceled = result.childrenCanceled;
    } catch (error) {
      if (error instanceof IllegalTransition) {
        throw failedPrecondition('ILLEGAL_TRANSITION', `${error.message} (operation ${id})`);
      }
      throw error;
    }
    const after = await this.find(id);
    this.logger.log(
      {
        operationId: id,
        action,
        by,
        from: describePosition(current),
        to: describePosition(after),
        childrenCanceled: childrenCanceled.length,
      },
      `${action} by ${by}${childrenCanceled.length > 0 ? `, with ${childrenCanceled.length} waited-for child operation(s): ${childrenCanceled.join(', ')}` : ''}`,
    );
    return { operation: after, childrenCanceled };
  }
}
