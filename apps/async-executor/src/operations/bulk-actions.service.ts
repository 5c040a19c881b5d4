/**
 * Bulk actions on system jobs: cancel, pause, resume, postpone, retry or delete every operation
 * matching the list filter of GET /api/v1/operations (the same parsing and checks). A dry run
 * answers how many match, by state; otherwise the matching set is fixed and the action runs as
 * an async operation of its own (type 13), which BulkActionRunner carries out target by target.
 */
import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AsyncOperationType } from '@flowline/contracts';
import { invalidArgument, notFound, pageInfo, pageWindow, type FieldViolation } from '@flowline/rpc';
import type { BulkActionKind, BulkActionRow, BulkItemOutcome } from './bulk-action.entity';
import { BulkActionStore } from './bulk-action.store';
import { BulkActionRunner } from './bulk-action.runner';
import type { z } from 'zod';
import { BULK_ACTION_KINDS, type BulkActionItemsSchema, type BulkActionSchema, type BulkDryRunSchema } from './bulk-actions.http.routes';
import { OperationCommands } from './operation-commands.service';
import { OPERATION_FILTER_NAMES, operationFilterOf } from './operation-filter';
import { operationToProto } from './operation.mapper';

export const BULK_ACTIONS: readonly BulkActionKind[] = BULK_ACTION_KINDS;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface BulkRequest {
  action?: unknown;
  filter?: unknown;
  dryRun?: unknown;
  until?: unknown;
}

@Injectable()
export class BulkActionsService {
  private readonly logger = new Logger('BulkActions');

  constructor(
    private readonly commands: OperationCommands,
    private readonly store: BulkActionStore,
    private readonly runner: BulkActionRunner,
  ) {}

  async request(
    body: BulkRequest,
    by: string,
    correlationId: string | undefined,
  ): Promise<z.output<typeof BulkDryRunSchema> | z.output<typeof BulkActionSchema>> {
    const violations: FieldViolation[] = [];
    const action = body.action as BulkActionKind;
    if (!BULK_ACTIONS.includes(action))
      violations.push({ field: 'action', description: `expected one of ${BULK_ACTIONS.join(', ')}, got ${JSON.stringify(body.action)}` });
    const given = body.filter ?? {};
    if (typeof given !== 'object' || given === null || Array.isArray(given))
      violations.push({ field: 'filter', description: 'expected an object with the list filters (state, status, name, entity, ...)' });
    else
      // A misspelt filter must not widen a bulk action to every operation.
      for (const name of Object.keys(given))
        if (!(OPERATION_FILTER_NAMES as readonly string[]).includes(name))
          violations.push({ field: `filter.${name}`, description: `is not a filter: expected ${OPERATION_FILTER_NAMES.join(', ')}` });
    if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean')
      violations.push({ field: 'dryRun', description: 'expected true or false' });
    if (violations.length > 0)
      throw invalidArgument(
        'BULK_INVALID',
        `cannot start the bulk action: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`,
        violations,
      );
    const filterGiven = given as Record<string, unknown>;
    const filter = operationFilterOf(filterGiven);
    const until = action === 'postpone' ? this.commands.postponeTime(typeof body.until === 'string' ? body.until : '') : null;
    if (body.dryRun === true) {
      const rows = (await this.commands
        .filtered(filter)
        .select('o.state', 'state')
        .addSelect('count(*)::int', 'count')
        .groupBy('o.state')
        .getRawMany()) as Array<{ state: number; count: number }>;
      const matching = rows.reduce((sum, row) => sum + row.count, 0);
      return { dryRun: true as const, action, matching, byState: Object.fromEntries(rows.map((row) => [String(row.state), row.count])) };
    }
    const { id, total } = await this.store.create(
      { action, filter: filterGiven, until, requestedBy: by, correlationId: correlationId || randomUUID() },
      this.commands.filtered(filter),
    );
    this.logger.log(
      { operationId: id, action, total, by, filter: filterGiven },
      `bulk ${action} of ${total} operation(s) requested by ${by}`,
    );
    this.runner.kick();
    return this.get(id);
  }

  /** The bulk action's operation, its progress, and the first refusals (all of them through items()). */
  async get(id: string): Promise<z.output<typeof BulkActionSchema>> {
    const { operation } = await this.commands.get(id);
    const bulk = await this.store.find(id);
    if (operation.operationType !== AsyncOperationType.BulkDelete || !bulk)
      throw notFound('BULK_ACTION_NOT_FOUND', `operation ${id} is not a bulk action`);
    const refused = await this.store.items(id, 'refused', 0, 100);
    return {
      operation: operationToProto(operation),
      ...this.progressOf(bulk),
      refusals: refused.rows.map((item) => ({ operationId: item.operationId, position: item.position, message: item.message })),
    };
  }

  async items(
    id: string,
    outcome: string | undefined,
    page: { pageSize?: number; pageToken?: string },
  ): Promise<z.output<typeof BulkActionItemsSchema>> {
    if (!UUID.test(id))
      throw invalidArgument('OPERATION_ID_INVALID', `'${id}' is not an operation id (a UUID)`, [
        { field: 'id', description: 'expected a UUID' },
      ]);
    if (outcome !== undefined && !['applied', 'refused', 'pending'].includes(outcome))
      throw invalidArgument('FILTER_INVALID', `outcome must be applied, refused or pending, got '${outcome}'`, [
        { field: 'outcome', description: 'expected applied, refused or pending' },
      ]);
    if (!(await this.store.find(id))) throw notFound('BULK_ACTION_NOT_FOUND', `no bulk action ${id}`);
    const window = pageWindow(page);
    const { rows, total } = await this.store.items(id, outcome as BulkItemOutcome | 'pending' | undefined, window.offset, window.limit);
    return {
      items: rows.map((item) => ({
        position: item.position,
        operationId: item.operationId,
        outcome: item.outcome ?? 'pending',
        message: item.message,
        doneAt: item.doneAt?.toISOString() ?? null,
      })),
      page: pageInfo(window, rows.length, total),
    };
  }

  private progressOf(bulk: BulkActionRow) {
    return {
      action: bulk.action,
      filter: bulk.filter,
      until: bulk.until?.toISOString() ?? null,
      requestedBy: bulk.requestedBy,
      progress: { done: bulk.done, total: bulk.total, applied: bulk.applied, refused: bulk.refused },
    };
  }
}
