import type { MigrationInterface, QueryRunner } from 'typeorm';

export class WebhookDeliveries1796300000000 implements MigrationInterface {
  name = 'WebhookDeliveries1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "gateway"."webhook_delivery" ("definition_id" uuid NOT NULL, "delivery_key" text NOT NULL, "operation_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_webhook_delivery" PRIMARY KEY ("definition_id", "delivery_key"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_webhook_delivery_created" ON "gateway"."webhook_delivery" ("created_at") ');
    await queryRunner.query(
      'CREATE TABLE "gateway"."webhook_signature" ("signature_key" text NOT NULL, "seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_webhook_signature" PRIMARY KEY ("signature_key"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_webhook_signature_seen" ON "gateway"."webhook_signature" ("seen_at") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "gateway"."IDX_webhook_signature_seen"');
    await queryRunner.query('DROP TABLE "gateway"."webhook_signature"');
    await queryRunner.query('DROP INDEX "gateway"."IDX_webhook_delivery_created"');
    await queryRunner.query('DROP TABLE "gateway"."webhook_delivery"');
  }
}
