/**
 * Every statement on the schedule table: following the active definition versions (upsert, and
 * removing the schedules of versions no longer active), claiming due schedules for a firing
 * (`FOR UPDATE SKIP LOCKED` over IDX_schedule_due, so replicas fire different schedules side by
 * side and never one twice), saving a firing's outcome, and the operators' reads and actions.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { hydrate } from '../operations/hydrate';
import { ScheduleRow } from './schedule.entity';

/** A schedule as the registry's active version defines it (what sync writes). */
export interface SyncedSchedule {
  id: string;
  definitionId: string;
  triggerIndex: number;
  uniqueName: string;
  definitionVersion: number;
  primaryEntity: string;
  spec: object;
  specHash: string;
  owner: string;
  /** Used only for a new schedule, or one whose timing changed. */
  nextDueAt: Date | null;
  nextFireAt: Date | null;
}

export interface FiringSave {
  nextDueAt: Date | null;
  nextFireAt: Date | null;
  bufferedDueAt: Date | null;
  /** Set when the firing started runs (or skipped a due time): the last firing operators see. */
  last?: { dueAt: Date; firedAt: Date; outcome: string; operationIds?: string[] };
}

@Injectable()
export class ScheduleRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Writes the schedules of the active versions as snapshot `version` sees them; a row written by a
   * newer snapshot is left alone. A schedule whose timing is unchanged keeps its next due time,
   * its last firing and whether it is paused; one whose timing changed starts from `nextDueAt`.
   */
  async upsert(schedules: SyncedSchedule[], version: string): Promise<void> {
    for (const s of schedules) {
      await this.dataSource.query(
        `INSERT INTO "executor"."schedule" AS t ("id", "definition_id", "trigger_index", "unique_name", "definition_version", "primary_entity",
                "spec", "spec_hash", "owner", "next_due_at", "next_fire_at", "last_operation_ids", "synced_version")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '[]', $12)
         ON CONFLICT ("id") DO UPDATE SET
           "unique_name" = EXCLUDED."unique_name", "definition_version" = EXCLUDED."definition_version",
           "primary_entity" = EXCLUDED."primary_entity", "spec" = EXCLUDED."spec", "owner" = EXCLUDED."owner",
           "next_due_at" = CASE WHEN t."spec_hash" = EXCLUDED."spec_hash" THEN t."next_due_at" ELSE EXCLUDED."next_due_at" END,
           "next_fire_at" = CASE WHEN t."spec_hash" = EXCLUDED."spec_hash" THEN t."next_fire_at" ELSE EXCLUDED."next_fire_at" END,
           "buffered_due_at" = CASE WHEN t."spec_hash" = EXCLUDED."spec_hash" THEN t."buffered_due_at" ELSE NULL END,
           "spec_hash" = EXCLUDED."spec_hash", "synced_version" = EXCLUDED."synced_version", "updated_on" = now()
         WHERE t."synced_version" <= EXCLUDED."synced_version"`,
        [
          s.id,
          s.definitionId,
          s.triggerIndex,
          s.uniqueName,
          s.definitionVersion,
          s.primaryEntity,
          JSON.stringify(s.spec),
          s.specHash,
          s.owner,
          s.nextDueAt,
          s.nextFireAt,
          version,
        ],
      );
    }
  }

  /** Removes the schedules snapshot `version` no longer has (their definitions were deactivated); answers their ids. */
  async removeOlderThan(version: string, keep: readonly string[]): Promise<string[]> {
    const rows = (await this.dataSource.query(
      `WITH removed AS (DELETE FROM "executor"."schedule" WHERE "synced_version" < $1 AND NOT ("id" = ANY($2::text[])) RETURNING "id")
       SELECT "id" FROM removed`,
      [version, keep],
    )) as Array<{ id: string }>;
    return rows.map((row) => row.id);
  }

  /**
   * Claims up to `limit` schedules due at `now` (or holding a buffered firing), locked until the
   * caller's transaction ends; rows another replica is firing are skipped (uses IDX_schedule_due).
   */
  async claimDue(manager: EntityManager, now: Date, limit: number, handled: readonly string[] = []): Promise<ScheduleRow[]> {
    // `handled`: schedules this round looked at already (one holding a buffered firing stays eligible until its run ends).
    const raws = (await manager.query(
      `SELECT * FROM "executor"."schedule"
        WHERE "paused" = false AND ("next_fire_at" <= $1 OR "buffered_due_at" IS NOT NULL) AND NOT ("id" = ANY($3::text[]))
        ORDER BY "next_fire_at" NULLS LAST LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit, handled],
    )) as Array<Record<string, unknown>>;
    return hydrate(this.dataSource, ScheduleRow, raws);
  }

  /** One schedule locked for an operator's action (trigger now), or undefined. */
  async lockOne(manager: EntityManager, id: string): Promise<ScheduleRow | undefined> {
    const raws = (await manager.query(`SELECT * FROM "executor"."schedule" WHERE "id" = $1 FOR UPDATE`, [id])) as Array<
      Record<string, unknown>
    >;
    return hydrate(this.dataSource, ScheduleRow, raws)[0];
  }

  /** A firing's outcome, in its transaction. */
  async saveFiring(manager: EntityManager, id: string, save: FiringSave): Promise<void> {
    await manager.query(
      `UPDATE "executor"."schedule" SET "next_due_at" = $2, "next_fire_at" = $3, "buffered_due_at" = $4,
              "last_due_at" = coalesce($5, "last_due_at"), "last_fired_at" = coalesce($6, "last_fired_at"),
              "last_outcome" = coalesce($7, "last_outcome"), "last_operation_ids" = coalesce($8::jsonb, "last_operation_ids"),
              "updated_on" = now()
        WHERE "id" = $1`,
      [
        id,
        save.nextDueAt,
        save.nextFireAt,
        save.bufferedDueAt,
        save.last?.dueAt ?? null,
        save.last?.firedAt ?? null,
        save.last?.outcome ?? null,
        save.last?.operationIds ? JSON.stringify(save.last.operationIds) : null,
      ],
    );
  }

  /** A firing that failed: tried again at `until`, its due time kept (in the firing's transaction). */
  async deferFiring(manager: EntityManager, id: string, until: Date): Promise<void> {
    await manager.query(
      `UPDATE "executor"."schedule" SET "next_fire_at" = $2, "last_outcome" = 'failed', "updated_on" = now() WHERE "id" = $1`,
      [id, until],
    );
  }

  async list(): Promise<ScheduleRow[]> {
    return this.dataSource.getRepository(ScheduleRow).find({ order: { uniqueName: 'ASC', triggerIndex: 'ASC' } });
  }

  async get(id: string): Promise<ScheduleRow | null> {
    return this.dataSource.getRepository(ScheduleRow).findOneBy({ id });
  }

  /** Pauses or resumes; a resumed schedule starts again from `next` (what was due while paused is not caught up). */
  async setPaused(id: string, paused: boolean, by: string, next?: { nextDueAt: Date | null; nextFireAt: Date | null }): Promise<void> {
    await this.dataSource.query(
      `UPDATE "executor"."schedule" SET "paused" = $2, "paused_by" = $3, "buffered_due_at" = CASE WHEN $2 THEN "buffered_due_at" ELSE NULL END,
              "next_due_at" = CASE WHEN $4::boolean THEN $5 ELSE "next_due_at" END,
              "next_fire_at" = CASE WHEN $4::boolean THEN $6 ELSE "next_fire_at" END, "updated_on" = now()
        WHERE "id" = $1`,
      [id, paused, paused ? by : null, next !== undefined, next?.nextDueAt ?? null, next?.nextFireAt ?? null],
    );
  }

  /** Schedules by whether they are paused, for the metrics. */
  async countByPaused(): Promise<Array<{ paused: boolean; count: number }>> {
    return (await this.dataSource.query(
      `SELECT "paused", count(*)::int AS "count" FROM "executor"."schedule" GROUP BY "paused"`,
    )) as Array<{ paused: boolean; count: number }>;
  }
}
