/**
 * The session tables: sessions with an optimistic check on row_version for every change, their
 * append-only action log, and the list queries.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { pageInfo, type PageWindow } from '@flowline/rpc';
import { ProcessSessionRow } from './process-session.entity';
import { SessionActionRow } from './session-action.entity';
import type { ActionDraft } from './session-runner';

export interface SessionFilter {
  dialogId?: string;
  dialogUniqueName?: string;
  entity?: string;
  recordId?: string;
  startedBy?: string;
  state?: number;
  status?: number;
}

/** Another request changed the session between our read and our write. */
export class SessionVersionConflict extends Error {
  constructor(readonly sessionId: string) {
    super(`session ${sessionId} changed while this request ran`);
  }
}

/** Columns a request may change; identity, dialog, record and start stay as they were. */
const MUTABLE: Array<keyof ProcessSessionRow> = [
  'state',
  'status',
  'currentPageId',
  'currentPage',
  'pagesShown',
  'answers',
  'interpreterState',
  'completedBy',
  'completedOn',
  'canceledBy',
  'canceledOn',
  'outcomeMessage',
  'errorCode',
  'nextDialog',
  'modifiedOn',
];

@Injectable()
export class SessionStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  find(id: string): Promise<ProcessSessionRow | null> {
    return this.dataSource.getRepository(ProcessSessionRow).findOneBy({ id });
  }

  async insert(manager: EntityManager, row: ProcessSessionRow): Promise<void> {
    // The jsonb columns' types are too deep for TypeORM's partial-entity type: the row is complete anyway.
    await manager.getRepository(ProcessSessionRow).insert(row as never);
  }

  /** Writes the changed session if it is still at `expectedVersion`; the new version is one more. */
  async update(manager: EntityManager, row: ProcessSessionRow, expectedVersion: number): Promise<void> {
    const values: Record<string, unknown> = Object.fromEntries(MUTABLE.map((column) => [column, row[column]]));
    const result = await manager
      .createQueryBuilder()
      .update(ProcessSessionRow)
      .set({ ...values, rowVersion: () => '"row_version" + 1' } as never)
      .where('"id" = :id AND "row_version" = :expectedVersion', { id: row.id, expectedVersion })
      .execute();
    if (result.affected !== 1) throw new SessionVersionConflict(row.id);
    row.rowVersion = expectedVersion + 1;
  }

  async appendActions(
    manager: EntityManager,
    sessionId: string,
    drafts: ActionDraft[],
    performed: { by: string; on: Date; pageToken: number },
  ): Promise<void> {
    if (drafts.length === 0) return;
    // The session row is locked by this transaction's write, so the numbering cannot interleave.
    const [{ last }] = (await manager.query(
      `SELECT coalesce(max("sequence"), 0)::int AS "last" FROM "session"."session_action" WHERE "session_id" = $1`,
      [sessionId],
    )) as [{ last: number }];
    await manager.getRepository(SessionActionRow).insert(
      drafts.map(
        (draft, index) =>
          ({
            sessionId,
            sequence: last + index + 1,
            kind: draft.kind,
            stepId: draft.stepId,
            entity: draft.entity,
            recordId: draft.recordId,
            detail: draft.detail,
            performedBy: performed.by,
            performedOn: performed.on,
            pageToken: performed.pageToken,
          }) satisfies Omit<SessionActionRow, 'id'> as never,
      ),
    );
  }

  actions(sessionId: string): Promise<SessionActionRow[]> {
    // Uses UQ_session_action_sequence.
    return this.dataSource.getRepository(SessionActionRow).find({ where: { sessionId }, order: { sequence: 'ASC' } });
  }

  /** The action of one kind that the request acting on `pageToken` logged, if any (a repeated request looks for its twin). */
  actionAt(sessionId: string, kind: SessionActionRow['kind'], pageToken: number): Promise<SessionActionRow | null> {
    return this.dataSource.getRepository(SessionActionRow).findOne({ where: { sessionId, kind, pageToken }, order: { sequence: 'ASC' } });
  }

  async list(filter: SessionFilter, window: PageWindow): Promise<{ rows: ProcessSessionRow[]; page: ReturnType<typeof pageInfo> }> {
    const query = this.dataSource.getRepository(ProcessSessionRow).createQueryBuilder('s');
    if (filter.dialogId) query.andWhere('s.dialogId = :dialogId', { dialogId: filter.dialogId });
    if (filter.dialogUniqueName) query.andWhere('s.dialogUniqueName = :uniqueName', { uniqueName: filter.dialogUniqueName });
    if (filter.entity) query.andWhere('s.entity = :entity', { entity: filter.entity });
    if (filter.recordId) query.andWhere('s.recordId = :recordId', { recordId: filter.recordId });
    if (filter.startedBy) query.andWhere('s.startedBy = :startedBy', { startedBy: filter.startedBy });
    if (filter.state !== undefined) query.andWhere('s.state = :state', { state: filter.state });
    if (filter.status !== undefined) query.andWhere('s.status = :status', { status: filter.status });
    const [rows, total] = await query
      .orderBy('s.startedOn', 'DESC')
      .addOrderBy('s.id', 'ASC')
      .skip(window.offset)
      .take(window.limit)
      .getManyAndCount();
    return { rows, page: pageInfo(window, rows.length, total) };
  }

  /** Sessions by state and status, for the metrics gauge. */
  async countByStatus(): Promise<Array<{ state: number; status: number; count: number }>> {
    return (await this.dataSource.query(
      `SELECT "state", "status", count(*)::int AS "count" FROM "session"."process_session" GROUP BY "state", "status"`,
    )) as Array<{ state: number; status: number; count: number }>;
  }
}
