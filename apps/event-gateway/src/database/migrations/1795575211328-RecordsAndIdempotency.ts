import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RecordsAndIdempotency1795575211328 implements MigrationInterface {
  name = 'RecordsAndIdempotency1795575211328';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "gateway"."idempotency_key" ("key" text NOT NULL, "request_hash" text NOT NULL, "response" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_idempotency_key" PRIMARY KEY ("key"))',
    );
    await queryRunner.query(
      'CREATE TABLE "gateway"."record" ("entity" text NOT NULL, "id" uuid NOT NULL, "attributes" jsonb NOT NULL, "owner_id" text, "state_code" integer, "status_code" integer, "created_by" text NOT NULL, "created_on" TIMESTAMP WITH TIME ZONE NOT NULL, "modified_by" text NOT NULL, "modified_on" TIMESTAMP WITH TIME ZONE NOT NULL, "version" integer NOT NULL, CONSTRAINT "PK_record" PRIMARY KEY ("entity", "id"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_record_entity_modified" ON "gateway"."record" ("entity", "modified_on") ');
    // Written by hand (TypeORM does not generate GIN indexes): RetrieveMultiple's equality filters use @> on it.
    await queryRunner.query('CREATE INDEX "IDX_record_attributes" ON "gateway"."record" USING GIN ("attributes" jsonb_path_ops)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "gateway"."IDX_record_attributes"');
    await queryRunner.query('DROP INDEX "gateway"."IDX_record_entity_modified"');
    await queryRunner.query('DROP TABLE "gateway"."record"');
    await queryRunner.query('DROP TABLE "gateway"."idempotency_key"');
  }
}
