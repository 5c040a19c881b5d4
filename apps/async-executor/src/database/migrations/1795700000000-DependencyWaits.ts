import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What operators see of retries (the last error, the next attempt), how long a dependency has
 * been unavailable to a run (waited out up to the patience, not counted as a failure), and the
 * parent a waiting child completes back to.
 */
export class DependencyWaits1795700000000 implements MigrationInterface {
  name = 'DependencyWaits1795700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "executor"."async_operation" ADD "last_error" text');
    await queryRunner.query('ALTER TABLE "executor"."async_operation" ADD "next_attempt_at" TIMESTAMP WITH TIME ZONE');
    await queryRunner.query('ALTER TABLE "executor"."async_operation" ADD "unavailable_since" TIMESTAMP WITH TIME ZONE');
    await queryRunner.query('ALTER TABLE "executor"."async_operation" ADD "unavailable_attempts" integer NOT NULL DEFAULT 0');
    await queryRunner.query('ALTER TABLE "executor"."async_operation" ADD "parent_operation_id" uuid');
    await queryRunner.query(
      'CREATE INDEX "IDX_async_operation_parent" ON "executor"."async_operation" ("parent_operation_id") WHERE "parent_operation_id" IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "executor"."IDX_async_operation_parent"');
    await queryRunner.query('ALTER TABLE "executor"."async_operation" DROP COLUMN "parent_operation_id"');
    await queryRunner.query('ALTER TABLE "executor"."async_operation" DROP COLUMN "unavailable_attempts"');
    await queryRunner.query('ALTER TABLE "executor"."async_operation" DROP COLUMN "unavailable_since"');
    await queryRunner.query('ALTER TABLE "executor"."async_operation" DROP COLUMN "next_attempt_at"');
    await queryRunner.query('ALTER TABLE "executor"."async_operation" DROP COLUMN "last_error"');
  }
}
