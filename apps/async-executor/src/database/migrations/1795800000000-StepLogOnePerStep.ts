import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One step log entry per step that started: the interpreter numbers each step it starts (seq), and
 * a step logged Waiting and later ended keeps its one row, updated to its final status and times.
 */
export class StepLogOnePerStep1795800000000 implements MigrationInterface {
  name = 'StepLogOnePerStep1795800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "executor"."operation_step_log" ADD "seq" integer');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_step_log_operation_seq" ON "executor"."operation_step_log" ("operation_id", "seq") WHERE "seq" IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "executor"."UQ_step_log_operation_seq"');
    await queryRunner.query('ALTER TABLE "executor"."operation_step_log" DROP COLUMN "seq"');
  }
}
