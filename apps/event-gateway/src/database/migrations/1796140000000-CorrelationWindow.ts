import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CorrelationWindow1796140000000 implements MigrationInterface {
  name = 'CorrelationWindow1796140000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "gateway"."correlation_window" ("correlation_id" text NOT NULL, "window_started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "base_depth" integer NOT NULL, "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_correlation_window" PRIMARY KEY ("correlation_id"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_correlation_window_last_seen" ON "gateway"."correlation_window" ("last_seen_at") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "gateway"."IDX_correlation_window_last_seen"');
    await queryRunner.query('DROP TABLE "gateway"."correlation_window"');
  }
}
