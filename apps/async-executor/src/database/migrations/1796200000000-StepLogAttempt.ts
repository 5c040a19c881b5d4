import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The step log keeps every attempt of a run: each row carries the attempt that wrote it (the
 * operation's retry count plus one, so 1 is the first attempt), and one step start number `seq`
 * is unique within an attempt rather than within the operation. A retried run that writes the same
 * numbers again adds rows instead of overwriting the earlier attempt's. Rows written before this
 * migration get attempt 0: which attempt wrote them was not recorded.
 */
export class StepLogAttempt1796200000000 implements MigrationInterface {
  name = 'StepLogAttempt1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "executor"."operation_step_log" ADD "attempt" integer NOT NULL DEFAULT 0');
    await queryRunner.query('DROP INDEX "executor"."UQ_step_log_seq"');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_step_log_attempt_seq" ON "executor"."operation_step_log" ("operation_id", "attempt", "seq") WHERE "seq" IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "executor"."UQ_step_log_attempt_seq"');
    // Only the latest attempt's entry of each step start can stay under the old key.
    await queryRunner.query(
      `DELETE FROM "executor"."operation_step_log" l USING "executor"."operation_step_log" later
        WHERE l."seq" IS NOT NULL AND later."operation_id" = l."operation_id" AND later."seq" = l."seq" AND later."attempt" > l."attempt"`,
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_step_log_seq" ON "executor"."operation_step_log" ("operation_id", "seq") WHERE "seq" IS NOT NULL',
    );
    await queryRunner.query('ALTER TABLE "executor"."operation_step_log" DROP COLUMN "attempt"');
  }
}
