/**
 * The only code that knows the bulk_action and bulk_action_item tables: creating a bulk action
 * (its async operation of type 13, its row, and one item per target fixed from the filter, in
 * one transaction), reading its progress and outcomes, and recording one target's outcome.
 */
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { AsyncOperationState as State, AsyncOperationStatus as Status, AsyncOperationType } from '@flowline/contracts';
import type { AsyncOperationRow } from './async-operation.entity';
import { BulkActionItemRow, BulkActionRow, type BulkActionKind, type BulkItemOutcome } from './bulk-action.entity';
import { OperationEvents } from './operation-events';

/** The entity a bulk action's operation is about (it acts on system jobs). */
export const BULK_PRIMARY_ENTITY = 'asyncoperation';

export interface NewBulkAction {
  action: BulkActionKind;
  filter: Record<string, unknown>;
  until: Date | null;
  requestedBy: string;
  correlationId: string;
}

@Injectable()
export class BulkActionStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: OperationEvents,
  ) {}

  /**
   * Creates the bulk action as a Ready async operation of type 13, with its targets (every
   * operation the filter matches now, oldest first) numbered in its items. Answers its id.
   */
  async create(request: NewBulkAction, targets: SelectQueryBuilder<AsyncOperationRow>): Promise<{ id: string; total: number }> {
    const id = randomUUID();
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO "executor"."async_operation"
           ("id", "operation_type", "name", "process_key", "state", "status", "event_id", "correlation_id", "depth",
            "primary_entity", "regarding_id", "owner", "input", "trace_context", "postpone_until", "row_version")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, '', $10, $11, '{}'::jsonb, now(), 1)`,
        [
          id,
          AsyncOperationType.BulkDelete,
          `bulk-${request.action}`,
          `bulk:${id}`,
          State.Ready,
          Status.WaitingForResources,
          randomUUID(),
          request.correlationId,
          BULK_PRIMARY_ENTITY,
          request.requestedBy,
          JSON.stringify({ action: request.action, filter: request.filter, until: request.until?.toISOString() ?? null }),
        ],
      );
      const [sql, parameters] = targets
        .select('o.id', 'id')
        .addSelect('o.sequence', 'sequence')
        .andWhere('o.id <> :self', { self: id })
        .getQueryAndParameters();
      const bulkParam = `$${parameters.length + 1}`;
      await manager.query(
        `INSERT INTO "executor"."bulk_action_item" ("bulk_id", "position", "operation_id")
         SELECT ${bulkParam}::uuid, row_number() OVER (ORDER BY t."sequence"), t."id" FROM (${sql}) t`,
        [...parameters, id],
      );
      const [{ total }] = (await manager.query(`SELECT count(*)::int AS "total" FROM "executor"."bulk_action_item" WHERE "bulk_id" = $1`, [
        id,
      ])) as [{ total: number }];
      await manager.getRepository(BulkActionRow).insert({
        operationId: id,
        action: request.action,
        filter: request.filter as never,
        until: request.until,
        requestedBy: request.requestedBy,
        total,
      });
      await this.events.recordMany(manager, [id]);
      return { id, total };
    });
  }

  find(id: string): Promise<BulkActionRow | null> {
    return this.dataSource.getRepository(BulkActionRow).findOneBy({ operationId: id });
  }

  /** Outcomes in target order (refused ones, or all), a page at a time. */
  async items(id: string, outcome: BulkItemOutcome | 'pending' | undefined, offset: number, limit: number) {
    const query = this.dataSource
      .getRepository(BulkActionItemRow)
      .createQueryBuilder('i')
      .where('i.bulkId = :id', { id })
      .orderBy('i.position', 'ASC');
    if (outcome === 'pending') query.andWhere('i.outcome IS NULL');
    else if (outcome) query.andWhere('i.outcome = :outcome', { outcome });
    const [rows, total] = await query.skip(offset).take(limit).getManyAndCount();
    return { rows, total };
  }

  /** The next target without an outcome, locked; none when every target is done. */
  async nextPending(manager: EntityManager, id: string): Promise<{ position: number; operationId: string } | undefined> {
    // Uses IDX_bulk_action_item_pending.
    const [row] = (await manager.query(
      `SELECT "position", "operation_id" FROM "executor"."bulk_action_item"
        WHERE "bulk_id" = $1 AND "outcome" IS NULL ORDER BY "position" LIMIT 1 FOR UPDATE`,
      [id],
    )) as Array<{ position: number; operation_id: string }>;
    return row ? { position: row.position, operationId: row.operation_id } : undefined;
  }

  /** One target's outcome and the progress, in the transaction that acted on it (so nothing is applied twice). */
  async recordOutcome(manager: EntityManager, id: string, position: number, outcome: BulkItemOutcome, message: string): Promise<void> {
    await manager.query(
      `UPDATE "executor"."bulk_action_item" SET "outcome" = $3, "message" = $4, "done_at" = now() WHERE "bulk_id" = $1 AND "position" = $2`,
      [id, position, outcome, message],
    );
    await manager.query(
      `UPDATE "executor"."bulk_action" SET "done" = "done" + 1,
              "applied" = "applied" + CASE WHEN $2 = 'applied' THEN 1 ELSE 0 END,
              "refused" = "refused" + CASE WHEN $2 = 'refused' THEN 1 ELSE 0 END
        WHERE "operation_id" = $1`,
      [id, outcome],
    );
  }
}
