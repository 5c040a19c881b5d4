/**
 * First migration of every service: the `service_instance` table in the service's schema.
 * The schema comes from the DataSource, so each service lists this class in its migrations.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

function schemaOf(queryRunner: QueryRunner): string {
  const schema = (queryRunner.connection.options as { schema?: string }).schema;
  if (!schema) throw new Error('service migrations need the DataSource schema');
  return schema;
}

export class ServiceInstances1764028800000 implements MigrationInterface {
  name = 'ServiceInstances1764028800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = schemaOf(queryRunner);
    await queryRunner.query(
      `CREATE TABLE "${schema}"."service_instance" (
        "id" uuid NOT NULL,
        "service" text NOT NULL,
        "host" text NOT NULL,
        "pid" integer NOT NULL,
        "http_port" integer NOT NULL,
        "started_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "heartbeat_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "stopped_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_service_instance" PRIMARY KEY ("id")
      )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "${schemaOf(queryRunner)}"."service_instance"`);
  }
}
