/**
 * The only code that knows the dead_letter and dead_letter_audit tables: storing a letter once
 * (by its own topic, partition and offset), the filtered keyset listing, reading one with its
 * audit, and the changes operators make, each written with its audit entry in one transaction.
 */
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { DeadLetterAuditRow, type DeadLetterAuditAction } from './dead-letter-audit.entity';
import { DeadLetterRow, type DeadLetterStatus } from './dead-letter.entity';

export type NewDeadLetter = Omit<
  DeadLetterRow,
  | 'id'
  | 'seq'
  | 'receivedAt'
  | 'status'
  | 'editedValue'
  | 'editedHeaders'
  | 'replayCount'
  | 'replayedAt'
  | 'replayedPartition'
  | 'replayedOffset'
  | 'rowVersion'
>;

export interface DeadLetterFilter {
  topic?: string;
  reasonCode?: string;
  key?: string;
  consumerGroup?: string;
  status?: DeadLetterStatus;
  failedAfter?: Date;
  failedBefore?: Date;
  /** Case-insensitive, anywhere in the value (original or edited), the reason or the key. */
  text?: string;
}

@Injectable()
export class DeadLettersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores a letter unless it is stored already (a redelivery); answers its id when it was new. */
  async store(letter: NewDeadLetter, actor: string): Promise<string | undefined> {
    return this.dataSource.transaction(async (manager) => {
      // Uses UQ_dead_letter_source: the same dead-letter message is stored once.
      const result = await manager
        .createQueryBuilder()
        .insert()
        .into(DeadLetterRow)
        .values({ ...letter, id: randomUUID() } as never)
        .orIgnore()
        .returning(['id'])
        .execute();
      const id = (result.raw as Array<{ id: string }>)[0]?.id;
      if (id)
        await this.audit(manager, id, 'stored', actor, {
          deadLetter: { topic: letter.deadLetterTopic, partition: letter.deadLetterPartition, offset: letter.deadLetterOffset },
        });
      return id;
    });
  }

  /** Newest first; `beforeSeq` continues a listing after the last row of the previous page. */
  async list(filter: DeadLetterFilter, limit: number, beforeSeq: string | undefined): Promise<{ rows: DeadLetterRow[]; total: number }> {
    const query = this.dataSource.getRepository(DeadLetterRow).createQueryBuilder('d');
    if (filter.topic) query.andWhere('d.originalTopic = :topic', { topic: filter.topic });
    if (filter.reasonCode) query.andWhere('d.reasonCode = :reasonCode', { reasonCode: filter.reasonCode });
    if (filter.key) query.andWhere('d.key = :key', { key: filter.key });
    if (filter.consumerGroup) query.andWhere('d.consumerGroup = :consumerGroup', { consumerGroup: filter.consumerGroup });
    if (filter.status) query.andWhere('d.status = :status', { status: filter.status });
    if (filter.failedAfter) query.andWhere('d.failedAt >= :failedAfter', { failedAfter: filter.failedAfter });
    if (filter.failedBefore) query.andWhere('d.failedAt < :failedBefore', { failedBefore: filter.failedBefore });
    if (filter.text) {
      // No index: a scan of the letters matching the other filters (dead letters are few).
      const pattern = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.andWhere('(d.value ILIKE :text OR d.editedValue ILIKE :text OR d.reason ILIKE :text OR d.key ILIKE :text)', { text: pattern });
    }
    const total = await query.getCount();
    if (beforeSeq) query.andWhere('d.seq < :beforeSeq', { beforeSeq });
    const rows = await query.orderBy('d.seq', 'DESC').take(limit).getMany();
    return { rows, total };
  }

  find(id: string): Promise<DeadLetterRow | null> {
    return this.dataSource.getRepository(DeadLetterRow).findOneBy({ id });
  }

  auditOf(id: string): Promise<DeadLetterAuditRow[]> {
    return this.dataSource.getRepository(DeadLetterAuditRow).find({ where: { deadLetterId: id }, order: { id: 'ASC' } });
  }

  /** Runs `work` with the letter locked (FOR UPDATE), so concurrent actions on it go one after another. */
  async withLocked<T>(id: string, work: (manager: EntityManager, row: DeadLetterRow | null) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      const row = await manager.getRepository(DeadLetterRow).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      return work(manager, row);
    });
  }

  async update(manager: EntityManager, id: string, changes: Partial<DeadLetterRow>): Promise<void> {
    await manager.getRepository(DeadLetterRow).update({ id }, { ...changes, rowVersion: () => '"row_version" + 1' } as never);
  }

  async audit(
    manager: EntityManager,
    deadLetterId: string,
    action: DeadLetterAuditAction,
    actor: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await manager.getRepository(DeadLetterAuditRow).insert({ deadLetterId, action, actor, details: details as never });
  }

  /** Letters by status (the dead-letter gauge). */
  async countByStatus(): Promise<Array<{ status: DeadLetterStatus; count: number }>> {
    return (await this.dataSource.query(
      `SELECT "status", count(*)::int AS "count" FROM "executor"."dead_letter" GROUP BY "status"`,
    )) as Array<{ status: DeadLetterStatus; count: number }>;
  }
}
