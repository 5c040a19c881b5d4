import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Step log entries keyed by the step's start number in its run: a step that ends replaces its earlier entry. */
export class StepLogSeq1795800000000 implements MigrationInterface {
  name = 'StepLogSeq1795800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "executor"."operation_step_log" ADD "seq" integer');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_step_log_seq" ON "executor"."operation_step_log" ("operation_id", "seq") WHERE "seq" IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "executor"."UQ_step_log_seq"');
    await queryRunner.query('ALTER TABLE "executor"."operation_step_log" DROP COLUMN "seq"');
  }
}
