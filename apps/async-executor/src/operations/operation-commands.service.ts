/**
 * What operators do with async operations: list and filter them, read one with its step log,
 * cancel, pause, resume, postpone, retry a failed one, and delete finished ones past retention.
 * Every move goes through the transition function (an illegal one is refused with the current
 * state) and is published on flowline.async-operations.v1 through the outbox.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AsyncOperationState as State, StatusesByState } from '@flowline/contracts';
import { failedPrecondition, invalidArgument, notFound, pageInfo, type FieldViolation, type PageWindow } from '@flowline/rpc';
import { AsyncOperationRow } from './async-operation.entity';
import { OperationStore, type ColumnValue } from './operation-store';
import { describePosition, IllegalTransition, type OperationAction, type OperationPosition } from './operation-transitions';
import { StepLogRow } from './step-log.entity';

export const OPERATIONS_OPTIONS = Symbol('OPERATIONS_OPTIONS');

export interface OperationsOptions {
  registryAddress: string;
  gatewayAddress: string;
  retentionDays: number;
}

export interface OperationFilter {
  states?: number[];
  statuses?: number[];
  definitionId?: string;
  name?: string;
  primaryEntity?: string;
  regardingId?: string;
  correlationId?: string;
  createdAfter?: string;
  createdBefore?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function instant(field: string, value: string | undefined, violations: FieldViolation[]): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    violations.push({ field, description: `expected an RFC 3339 time such as 2026-11-25T10:00:00Z, got '${value}'` });
    return undefined;
  }
  return date;
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
    const violations: FieldViolation[] = [];
    for (const state of filter.states ?? []) {
      if (!(state in StatusesByState))
        violations.push({ field: 'states', description: `expected 0 Ready, 1 Suspended, 2 Locked or 3 Completed, got ${state}` });
    }
    const allStatuses = Object.values(StatusesByState).flat() as number[];
    for (const status of filter.statuses ?? []) {
      if (!allStatuses.includes(status))
        violations.push({ field: 'statuses', description: `expected one of ${allStatuses.join(', ')}, got ${status}` });
    }
    if (filter.definitionId && !UUID.test(filter.definitionId))
      violations.push({ field: 'definitionId', description: 'expected a definition id (a UUID)' });
    const after = instant('createdAfter', filter.createdAfter, violations);
    const before = instant('createdBefore', filter.createdBefore, violations);
    if (violations.length > 0)
      throw invalidArgument(
        'FILTER_INVALID',
        `the filter is not valid: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`,
        violations,
      );
    const query = this.dataSource.getRepository(AsyncOperationRow).createQueryBuilder('o');
    if (filter.states?.length) query.andWhere('o.state IN (:...states)', { states: filter.states });
    if (filter.statuses?.length) query.andWhere('o.status IN (:...statuses)', { statuses: filter.statuses });
    if (filter.definitionId) query.andWhere('o.definitionId = :definitionId', { definitionId: filter.definitionId });
    if (filter.name) query.andWhere('o.name = :name', { name: filter.name });
    if (filter.primaryEntity) query.andWhere('o.primaryEntity = :primaryEntity', { primaryEntity: filter.primaryEntity });
    if (filter.regardingId) query.andWhere('o.regardingId = :regardingId', { regardingId: filter.regardingId });
    if (filter.correlationId) query.andWhere('o.correlationId = :correlationId', { correlationId: filter.correlationId });
    if (after) query.andWhere('o.createdOn >= :after', { after });
    if (before) query.andWhere('o.createdOn < :before', { before });
    const [rows, total] = await query.orderBy('o.sequence', 'DESC').skip(window.offset).take(window.limit).getManyAndCount();
    return { rows, page: pageInfo(window, rows.length, total) };
  }

  async get(id: string): Promise<{ operation: AsyncOperationRow; steps: StepLogRow[] }> {
    const operation = await this.find(id);
    const steps = await this.dataSource.getRepository(StepLogRow).find({ where: { operationId: id }, order: { id: 'ASC' } });
    return { operation, steps };
  }

  cancel(id: string, by: string): Promise<AsyncOperationRow> {
    return this.apply(id, 'cancel', by, (from): Record<string, ColumnValue> =>
      from.state === State.Locked ? {} : { completed_on: { sql: 'now()' }, error_code: 'CANCELED', friendly_message: `canceled by ${by}` },
    );
  }

  pause(id: string, by: string): Promise<AsyncOperationRow> {
    return this.apply(id, 'pause', by, () => ({}));
  }

  resume(id: string, by: string): Promise<AsyncOperationRow> {
    return this.apply(id, 'resume', by, () => ({ postpone_until: { sql: 'now()' } }));
  }

  postpone(id: string, until: string, by: string): Promise<AsyncOperationRow> {
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
    return this.apply(id, 'postpone', by, () => ({ postpone_until: date }));
  }

  /**
   * A failed operation runs again from its last persisted point (from the start if its run had
   * ended), retry count reset; the record is read again through the gateway when it starts.
   */
  retry(id: string, by: string): Promise<AsyncOperationRow> {
    return this.apply(id, 'retryFailed', by, () => ({
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
    }));
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
        const rows = (await manager.query(
          `WITH gone AS (
             DELETE FROM "executor"."async_operation" WHERE "id" IN (
               SELECT "id" FROM "executor"."async_operation" WHERE "state" = 3 AND "completed_on" < $1 LIMIT 1000)
             RETURNING "id")
           SELECT "id" FROM gone`,
          [cutoff],
        )) as Array<{ id: string }>;
        if (rows.length > 0) {
          await manager.query(`DELETE FROM "executor"."operation_step_log" WHERE "operation_id" = ANY($1::uuid[])`, [
            rows.map((r) => r.id),
          ]);
        }
        return rows.length;
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

  private async apply(
    id: string,
    action: OperationAction,
    by: string,
    columns: (from: OperationPosition) => Record<string, ColumnValue>,
  ): Promise<AsyncOperationRow> {
    const current = await this.find(id);
    try {
      await this.dataSource.transaction((manager) => this.store.move(manager, id, action, columns));
    } catch (error) {
      if (error instanceof IllegalTransition) {
        throw failedPrecondition('ILLEGAL_TRANSITION', `${error.message} (operation ${id})`);
      }
      throw error;
    }
    const after = await this.find(id);
    this.logger.log({ operationId: id, action, by, from: describePosition(current), to: describePosition(after) }, `${action} by ${by}`);
    return after;
  }
}
