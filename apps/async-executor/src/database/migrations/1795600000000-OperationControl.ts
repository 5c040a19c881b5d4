import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Failure throttle per definition, dependency-token and retention indexes, step start times. */
export class OperationControl1795600000000 implements MigrationInterface {
  name = 'OperationControl1795600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "executor"."definition_throttle" ("definition_id" uuid NOT NULL, "consecutive_failures" integer NOT NULL, "throttled_until" TIMESTAMP WITH TIME ZONE, "updated_on" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_definition_throttle" PRIMARY KEY ("definition_id"))',
    );
    await queryRunner.query('ALTER TABLE "executor"."operation_step_log" ADD "started_on" TIMESTAMP WITH TIME ZONE');
    await queryRunner.query(
      'CREATE INDEX "IDX_async_operation_dependency" ON "executor"."async_operation" ("dependency_token", "sequence") WHERE "dependency_token" IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_async_operation_completed" ON "executor"."async_operation" ("completed_on") WHERE "state" = 3',
    );
    await queryRunner.query('CREATE INDEX "IDX_async_operation_correlation" ON "executor"."async_operation" ("correlation_id") ');
    await queryRunner.query(
      'CREATE INDEX "IDX_async_operation_locked" ON "executor"."async_operation" ("definition_id") WHERE "state" = 2',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "executor"."IDX_async_operation_locked"');
    await queryRunner.query('DROP INDEX "executor"."IDX_async_operation_correlation"');
    await queryRunner.query('DROP INDEX "executor"."IDX_async_operation_completed"');
    await queryRunner.query('DROP INDEX "executor"."IDX_async_operation_dependency"');
    await queryRunner.query('ALTER TABLE "executor"."operation_step_log" DROP COLUMN "started_on"');
    await queryRunner.query('DROP TABLE "executor"."definition_throttle"');
  }
}
