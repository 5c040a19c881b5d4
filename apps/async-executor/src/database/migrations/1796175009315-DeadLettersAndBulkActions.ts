import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dead letters kept for operators (the letters, and an audit of what was done with them), and
 * bulk actions on system jobs (what each does, its progress, and one row per target with the
 * outcome). Idempotent storing rests on UQ_dead_letter_source; resuming a bulk action on
 * IDX_bulk_action_item_pending; the bulk runner finds Ready bulk actions (type 13) through
 * IDX_async_operation_bulk_ready.
 */

export class DeadLettersAndBulkActions1796175009315 implements MigrationInterface {
  name = 'DeadLettersAndBulkActions1796175009315';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "executor"."dead_letter_audit" ("id" BIGSERIAL NOT NULL, "dead_letter_id" uuid NOT NULL, "action" text NOT NULL, "actor" text NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "details" jsonb NOT NULL, CONSTRAINT "PK_dead_letter_audit" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_dead_letter_audit_letter" ON "executor"."dead_letter_audit" ("dead_letter_id", "id") ');
    await queryRunner.query(
      'CREATE TABLE "executor"."dead_letter" ("id" uuid NOT NULL, "seq" BIGSERIAL NOT NULL, "dead_letter_topic" text NOT NULL, "dead_letter_partition" integer NOT NULL, "dead_letter_offset" bigint NOT NULL, "original_topic" text NOT NULL, "original_partition" integer NOT NULL, "original_offset" bigint NOT NULL, "message_key" text, "headers" jsonb NOT NULL, "value" text, "value_encoding" text NOT NULL, "reason" text NOT NULL, "reason_code" text NOT NULL, "consumer_group" text NOT NULL, "attempts" integer NOT NULL, "failed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "status" text NOT NULL DEFAULT \'pending\', "edited_value" text, "edited_headers" jsonb, "replay_count" integer NOT NULL DEFAULT \'0\', "replayed_at" TIMESTAMP WITH TIME ZONE, "replayed_partition" integer, "replayed_offset" bigint, "row_version" integer NOT NULL DEFAULT \'1\', CONSTRAINT "PK_dead_letter" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_dead_letter_failed_at" ON "executor"."dead_letter" ("failed_at") ');
    await queryRunner.query('CREATE INDEX "IDX_dead_letter_reason" ON "executor"."dead_letter" ("reason_code", "seq") ');
    await queryRunner.query('CREATE INDEX "IDX_dead_letter_topic" ON "executor"."dead_letter" ("original_topic", "seq") ');
    await queryRunner.query('CREATE INDEX "IDX_dead_letter_status" ON "executor"."dead_letter" ("status", "seq") ');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_dead_letter_source" ON "executor"."dead_letter" ("dead_letter_topic", "dead_letter_partition", "dead_letter_offset") ',
    );
    await queryRunner.query(
      'CREATE TABLE "executor"."bulk_action" ("operation_id" uuid NOT NULL, "action" text NOT NULL, "filter" jsonb NOT NULL, "until" TIMESTAMP WITH TIME ZONE, "requested_by" text NOT NULL, "total" integer NOT NULL, "done" integer NOT NULL DEFAULT \'0\', "applied" integer NOT NULL DEFAULT \'0\', "refused" integer NOT NULL DEFAULT \'0\', "created_on" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_bulk_action" PRIMARY KEY ("operation_id"))',
    );
    await queryRunner.query(
      'CREATE TABLE "executor"."bulk_action_item" ("bulk_id" uuid NOT NULL, "position" integer NOT NULL, "operation_id" uuid NOT NULL, "outcome" text, "message" text, "done_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_bulk_action_item" PRIMARY KEY ("bulk_id", "position"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_bulk_action_item_pending" ON "executor"."bulk_action_item" ("bulk_id", "position") WHERE "outcome" IS NULL',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_async_operation_bulk_ready" ON "executor"."async_operation" ("sequence") WHERE "state" = 0 AND "operation_type" = 13',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "executor"."IDX_async_operation_bulk_ready"');
    await queryRunner.query('DROP INDEX "executor"."IDX_bulk_action_item_pending"');
    await queryRunner.query('DROP TABLE "executor"."bulk_action_item"');
    await queryRunner.query('DROP TABLE "executor"."bulk_action"');
    await queryRunner.query('DROP INDEX "executor"."UQ_dead_letter_source"');
    await queryRunner.query('DROP INDEX "executor"."IDX_dead_letter_status"');
    await queryRunner.query('DROP INDEX "executor"."IDX_dead_letter_topic"');
    await queryRunner.query('DROP INDEX "executor"."IDX_dead_letter_reason"');
    await queryRunner.query('DROP INDEX "executor"."IDX_dead_letter_failed_at"');
    await queryRunner.query('DROP TABLE "executor"."dead_letter"');
    await queryRunner.query('DROP INDEX "executor"."IDX_dead_letter_audit_letter"');
    await queryRunner.query('DROP TABLE "executor"."dead_letter_audit"');
  }
}
