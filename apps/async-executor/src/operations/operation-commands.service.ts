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
import { failedPrecondition, invalidArgument, notFound, pageWindow, type FieldViolation } from '@flowline/rpc';
import { AsyncOperationRow } from './async-operation.entity';
import { OperationStore, type ColumnValue, type MoveResult } from './operation-store';
import { describePosition, IllegalTransition, type OperationAction, type OperationPosition } from './operation-transitions';
import { StepLogRow } from './step-log.entity';
import { applyOperationFilter, filterInstant, type OperationFilter } from './operation-filter';
import { applyKeysetPage, COUNT_CAP, decodePageToken, encodePageToken, listSortOf, type ListSort } from './operation-page';

export const OPERATIONS_OPTIONS = Symbol('OPERATIONS_OPTIONS');

export interface OperationsOptions {
  registryAddress: string;
  gatewayAddress: string;
  retentionDays: number;
}

export type { OperationFilter } from './operation-filter';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const instant = filterInstant;

/** The most child operations a job's page lists. */
export const MAX_CHILDREN = 200;

/** An operation, its step log, and the operations linked to it. */
export interface OperationDetail {
  operation: AsyncOperationRow;
  steps: StepLogRow[];
  parent: Pick<AsyncOperationRow, 'id' | 'name' | 'state' | 'status' | 'createdOn' | 'completedOn'> | undefined;
  children: Array<Pick<AsyncOperationRow, 'id' | 'name' | 'state' | 'status' | 'createdOn' | 'completedOn'>>;
}

/** A list request as REST and gRPC give it. */
export interface ListRequest {
  filter: OperationFilter;
  sort?: string | undefined;
  pageSize?: number | undefined;
  pageToken?: string | undefined;
}

/** A page of the list. */
export interface OperationList {
  rows: AsyncOperationRow[];
  page: { nextPageToken: string; totalCount: number };
  /** More than COUNT_CAP match: totalCount is COUNT_CAP. */
  totalCountCapped: boolean;
  /** The planner's estimate when capped, 0 otherwise. */
  estimatedTotalCount: number;
}

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

  /**
   * A page of the list in the sort asked for (keyset paging, see operation-page.ts), with the
   * count of what matches up to COUNT_CAP and, beyond it, the planner's estimate.
   */
  async list(request: ListRequest): Promise<OperationList> {
    const sort = listSortOf(request.sort);
    const { limit } = pageWindow({ ...(request.pageSize !== undefined ? { pageSize: request.pageSize } : {}) });
    const after = request.pageToken ? decodePageToken(request.pageToken, sort, request.filter) : undefined;
    const page = applyKeysetPage(this.filtered(request.filter), sort, after, limit);
    const [{ entities, raw }, count] = await Promise.all([page.getRawAndEntities(), this.count(request.filter, sort)]);
    const rows = entities.slice(0, limit);
    const last = raw[rows.length - 1] as Record<string, string> | undefined;
    const nextPageToken =
      entities.length > limit && last
        ? encodePageToken(
            sort,
            request.filter,
            sort.spec.key.map((_, i) => String(last[`page_key_${i}`])),
          )
        : '';
    return { rows, page: { nextPageToken, totalCount: count.total }, totalCountCapped: count.capped, estimatedTotalCount: count.estimate };
  }

  /** How many match, counted no further than COUNT_CAP + 1 rows; beyond, the planner's estimate (no scan). */
  private async count(filter: OperationFilter, sort: ListSort): Promise<{ total: number; capped: boolean; estimate: number }> {
    const matching = () => {
      const query = this.filtered(filter);
      if (sort.spec.completedOnly) query.andWhere(`"o"."state" = ${State.Completed} AND "o"."completed_on" IS NOT NULL`);
      return query;
    };
    const [sql, parameters] = matching()
      .select('1')
      .limit(COUNT_CAP + 1)
      .getQueryAndParameters();
    const [row] = (await this.dataSource.query(`SELECT count(*)::int AS "n" FROM (${sql}) AS "capped"`, parameters)) as Array<{
      n: number;
    }>;
    const counted = row?.n ?? 0;
    if (counted <= COUNT_CAP) return { total: counted, capped: false, estimate: 0 };
    const [explainSql, explainParameters] = matching().select('1').getQueryAndParameters();
    const [plan] = (await this.dataSource.query(`EXPLAIN (FORMAT JSON) ${explainSql}`, explainParameters)) as Array<{
      'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }>;
    }>;
    const estimated = Math.round(plan?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0);
    // The estimate is never below what was counted.
    return { total: COUNT_CAP, capped: true, estimate: Math.min(2_147_483_647, Math.max(estimated, COUNT_CAP + 1)) };
  }

  /** The operations matching a list filter (alias `o`), for listing and bulk actions alike; refuses an invalid filter. */
  filtered(filter: OperationFilter): SelectQueryBuilder<AsyncOperationRow> {
    const query = this.dataSource.getRepository(AsyncOperationRow).createQueryBuilder('o');
    applyOperationFilter(query, filter);
    return query;
  }

  /**
   * An operation with what its page shows beside it, in one call: its step log, the parent that
   * waits for it and the children it waits for (parent_operation_id, IDX_async_operation_parent).
   * Children started without waiting are not linked to it; they share its correlation id.
   */
  async get(id: string): Promise<OperationDetail> {
    const operation = await this.find(id);
    const operations = this.dataSource.getRepository(AsyncOperationRow);
    const related = { id: true, name: true, state: true, status: true, createdOn: true, completedOn: true } as const;
    const [steps, parent, children] = await Promise.all([
      this.dataSource.getRepository(StepLogRow).find({ where: { operationId: id }, order: { id: 'ASC' } }),
      operation.parentOperationId ? operations.findOne({ select: related, where: { id: operation.parentOperationId } }) : null,
      operations.find({ select: related, where: { parentOperationId: id }, order: { sequence: 'ASC' }, take: MAX_CHILDREN }),
    ]);
    return { operation, steps, parent: parent ?? undefined, children };
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
    let after: AsyncOperationRow;
    try {
      // The answer is the row as this move left it, read before the commit: a worker may claim a
      // retried or resumed operation the moment the move commits.
      after = await this.dataSource.transaction(async (manager) => {
        const result = await this.applyIn(manager, id, move);
        if (result.moved) childrenCanceled = result.childrenCanceled;
        return manager.getRepository(AsyncOperationRow).findOneByOrFail({ id });
      });
    } catch (error) {
      if (error instanceof IllegalTransition) {
        throw failedPrecondition('ILLEGAL_TRANSITION', `${error.message} (operation ${id})`);
      }
      throw error;
    }
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
