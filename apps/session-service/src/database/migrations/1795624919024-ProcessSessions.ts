import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ProcessSessions1795624919024 implements MigrationInterface {
  name = 'ProcessSessions1795624919024';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "session"."process_session" ("id" uuid NOT NULL, "dialog_id" uuid NOT NULL, "dialog_unique_name" text NOT NULL, "dialog_name" text NOT NULL, "dialog_version" integer NOT NULL, "regarding_entity" text NOT NULL, "regarding_id" text NOT NULL, "inputs" jsonb NOT NULL, "request_id" text, "correlation_id" text NOT NULL, "state" smallint NOT NULL, "status" smallint NOT NULL, "current_page_id" text, "current_page" jsonb, "pages_shown" jsonb NOT NULL, "answers" jsonb NOT NULL, "interpreter_state" jsonb NOT NULL, "started_by" text NOT NULL, "started_on" TIMESTAMP WITH TIME ZONE NOT NULL, "completed_by" text, "completed_on" TIMESTAMP WITH TIME ZONE, "canceled_by" text, "canceled_on" TIMESTAMP WITH TIME ZONE, "outcome_message" text, "error_code" text, "next_dialog" text, "modified_on" TIMESTAMP WITH TIME ZONE NOT NULL, "row_version" integer NOT NULL, CONSTRAINT "PK_process_session" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_process_session_dialog" ON "session"."process_session" ("dialog_id", "started_on") ');
    await queryRunner.query('CREATE INDEX "IDX_process_session_started_by" ON "session"."process_session" ("started_by", "started_on") ');
    await queryRunner.query(
      'CREATE INDEX "IDX_process_session_regarding" ON "session"."process_session" ("regarding_entity", "regarding_id", "started_on") ',
    );
    await queryRunner.query(
      'CREATE TABLE "session"."session_action" ("id" BIGSERIAL NOT NULL, "session_id" uuid NOT NULL, "sequence" integer NOT NULL, "kind" text NOT NULL, "step_id" text, "entity" text, "record_id" text, "detail" jsonb NOT NULL, "performed_by" text NOT NULL, "performed_on" TIMESTAMP WITH TIME ZONE NOT NULL, "page_token" integer NOT NULL, CONSTRAINT "PK_session_action" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "UQ_session_action_sequence" ON "session"."session_action" ("session_id", "sequence") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "session"."UQ_session_action_sequence"');
    await queryRunner.query('DROP TABLE "session"."session_action"');
    await queryRunner.query('DROP INDEX "session"."IDX_process_session_regarding"');
    await queryRunner.query('DROP INDEX "session"."IDX_process_session_started_by"');
    await queryRunner.query('DROP INDEX "session"."IDX_process_session_dialog"');
    await queryRunner.query('DROP TABLE "session"."process_session"');
  }
}
