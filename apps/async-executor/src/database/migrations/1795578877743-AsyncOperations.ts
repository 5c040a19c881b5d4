import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AsyncOperations1795578877743 implements MigrationInterface {
  name = 'AsyncOperations1795578877743';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "executor"."async_operation" ("id" uuid NOT NULL, "sequence" BIGSERIAL NOT NULL, "operation_type" smallint NOT NULL, "name" text NOT NULL, "process_key" text NOT NULL, "definition_id" uuid, "definition_version" integer, "step_registration_id" uuid, "state" smallint NOT NULL, "status" smallint NOT NULL, "event_id" uuid NOT NULL, "correlation_id" text NOT NULL, "depth" integer NOT NULL, "primary_entity" text NOT NULL, "regarding_id" text NOT NULL, "owner" text NOT NULL, "input" jsonb NOT NULL, "instance_state" jsonb, "dependency_token" text, "postpone_until" TIMESTAMP WITH TIME ZONE NOT NULL, "retry_count" integer NOT NULL DEFAULT \'0\', "error_code" text, "friendly_message" text, "current_stage" text, "host" text, "lease_expires_at" TIMESTAMP WITH TIME ZONE, "trace_context" jsonb NOT NULL, "created_on" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "started_on" TIMESTAMP WITH TIME ZONE, "completed_on" TIMESTAMP WITH TIME ZONE, "execution_time_ms" integer NOT NULL DEFAULT \'0\', "row_version" integer NOT NULL, CONSTRAINT "PK_async_operation" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_async_operation_regarding" ON "executor"."async_operation" ("primary_entity", "regarding_id") ',
    );
    await queryRunner.query('CREATE INDEX "IDX_async_operation_ready" ON "executor"."async_operation" ("sequence") WHERE "state" = 0');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_async_operation_event_process" ON "executor"."async_operation" ("event_id", "process_key") ',
    );
    await queryRunner.query(
      'CREATE TABLE "executor"."operation_step_log" ("id" BIGSERIAL NOT NULL, "operation_id" uuid NOT NULL, "step_id" text NOT NULL, "path" text NOT NULL, "step_type" text NOT NULL, "status" smallint NOT NULL, "message" text, "logged_on" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_operation_step_log" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_step_log_operation" ON "executor"."operation_step_log" ("operation_id", "id") ');
    await queryRunner.query(
      'CREATE TABLE "executor"."wait_subscription" ("operation_id" uuid NOT NULL, "entity" text NOT NULL, "record_id" text NOT NULL, CONSTRAINT "PK_wait_subscription" PRIMARY KEY ("operation_id", "entity", "record_id"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_wait_subscription_record" ON "executor"."wait_subscription" ("entity", "record_id") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "executor"."IDX_wait_subscription_record"');
    await queryRunner.query('DROP TABLE "executor"."wait_subscription"');
    await queryRunner.query('DROP INDEX "executor"."IDX_step_log_operation"');
    await queryRunner.query('DROP TABLE "executor"."operation_step_log"');
    await queryRunner.query('DROP INDEX "executor"."UQ_async_operation_event_process"');
    await queryRunner.query('DROP INDEX "executor"."IDX_async_operation_ready"');
    await queryRunner.query('DROP INDEX "executor"."IDX_async_operation_regarding"');
    await queryRunner.query('DROP TABLE "executor"."async_operation"');
  }
}
