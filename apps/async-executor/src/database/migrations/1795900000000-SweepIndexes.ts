import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sweeper's two questions answered from small partial indexes instead of a scan of the whole
 * table: which timers are due (suspended, waiting, postpone_until passed) and which leases expired
 * (in progress, lease_expires_at passed). Completed operations, however many, are in neither.
 */
export class SweepIndexes1795900000000 implements MigrationInterface {
  name = 'SweepIndexes1795900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX "IDX_async_operation_timer" ON "executor"."async_operation" ("postpone_until") WHERE "state" = 1 AND "status" = 10',
    );
    await queryRunner.query('CREATE INDEX "IDX_async_operation_lease" ON "executor"."async_operation" ("lease_expires_at") WHERE "state" = 2');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "executor"."IDX_async_operation_lease"');
    await queryRunner.query('DROP INDEX "executor"."IDX_async_operation_timer"');
  }
}
