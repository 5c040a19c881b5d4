/** The `outbox` table of a service, in the service's own schema (taken from the DataSource). */
import type { MigrationInterface, QueryRunner } from 'typeorm';

function schemaOf(queryRunner: QueryRunner): string {
  const schema = (queryRunner.connection.options as { schema?: string }).schema;
  if (!schema) throw new Error('the outbox migration needs the DataSource schema');
  return schema;
}

export class OutboxTable1764028900000 implements MigrationInterface {
  name = 'OutboxTable1764028900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = schemaOf(queryRunner);
    await queryRunner.query(
      `CREATE TABLE "${schema}"."outbox" ("id" BIGSERIAL NOT NULL, "event_id" uuid NOT NULL, "topic" text NOT NULL, "message_key" text NOT NULL, "envelope" jsonb NOT NULL, "headers" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "published_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_outbox" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_outbox_event_id" ON "${schema}"."outbox" ("event_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_outbox_unpublished" ON "${schema}"."outbox" ("id") WHERE "published_at" IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = schemaOf(queryRunner);
    await queryRunner.query(`DROP TABLE "${schema}"."outbox"`);
  }
}
