import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Schedules: one row per schedule trigger of an active definition version. Firing claims due rows
 * through IDX_schedule_due (`FOR UPDATE SKIP LOCKED`); the operations a firing starts are unique
 * by UQ_async_operation_event_process (their event id is derived from the schedule and due time).
 */
export class Schedules1796300000000 implements MigrationInterface {
  name = 'Schedules1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "executor"."schedule" ("id" text NOT NULL, "definition_id" uuid NOT NULL, "trigger_index" integer NOT NULL, "unique_name" text NOT NULL, "definition_version" integer NOT NULL, "primary_entity" text NOT NULL, "spec" jsonb NOT NULL, "spec_hash" text NOT NULL, "owner" text NOT NULL, "next_due_at" TIMESTAMP WITH TIME ZONE, "next_fire_at" TIMESTAMP WITH TIME ZONE, "buffered_due_at" TIMESTAMP WITH TIME ZONE, "last_due_at" TIMESTAMP WITH TIME ZONE, "last_fired_at" TIMESTAMP WITH TIME ZONE, "last_outcome" text, "last_operation_ids" jsonb NOT NULL, "paused" boolean NOT NULL DEFAULT false, "paused_by" text, "synced_version" bigint NOT NULL, "created_on" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_on" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_schedule" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_schedule_due" ON "executor"."schedule" ("next_fire_at") WHERE "paused" = false');
    await queryRunner.query('CREATE INDEX "IDX_schedule_definition" ON "executor"."schedule" ("definition_id") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "executor"."IDX_schedule_definition"');
    await queryRunner.query('DROP INDEX "executor"."IDX_schedule_due"');
    await queryRunner.query('DROP TABLE "executor"."schedule"');
  }
}
