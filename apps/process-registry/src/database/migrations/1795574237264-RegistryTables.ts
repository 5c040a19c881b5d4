import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RegistryTables1795574237264 implements MigrationInterface {
  name = 'RegistryTables1795574237264';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "registry"."entity_definition" ("logical_name" text NOT NULL, "display_name" text NOT NULL, "primary_id_attribute" text NOT NULL, "primary_name_attribute" text NOT NULL, "ownership" text NOT NULL, "attributes" jsonb NOT NULL, "is_custom" boolean NOT NULL DEFAULT true, "row_version" integer NOT NULL, "created_on" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "modified_on" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_entity_definition" PRIMARY KEY ("logical_name"))',
    );
    await queryRunner.query(
      'CREATE TABLE "registry"."metadata_state" ("id" integer NOT NULL, "version" bigint NOT NULL, CONSTRAINT "PK_metadata_state" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE TABLE "registry"."process_definition_version" ("definition_id" uuid NOT NULL, "version" integer NOT NULL, "unique_name" text NOT NULL, "category" smallint NOT NULL, "primary_entity" text NOT NULL, "mode" smallint NOT NULL, "content_hash" text NOT NULL, "compiled" jsonb NOT NULL, "triggers" jsonb NOT NULL, "referenced_entities" text array NOT NULL, "activated_by" text NOT NULL, "activated_on" TIMESTAMP WITH TIME ZONE NOT NULL, "deactivated_on" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_process_definition_version" PRIMARY KEY ("definition_id", "version"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_definition_version_active" ON "registry"."process_definition_version" ("definition_id") WHERE "deactivated_on" IS NULL',
    );
    await queryRunner.query(
      'CREATE TABLE "registry"."process_definition" ("id" uuid NOT NULL, "unique_name" text NOT NULL, "name" text NOT NULL, "description" text NOT NULL DEFAULT \'\', "category" smallint NOT NULL, "primary_entity" text NOT NULL, "state" smallint NOT NULL, "source" jsonb NOT NULL, "active_version" integer, "latest_version" integer NOT NULL DEFAULT \'0\', "owner" text NOT NULL, "created_by" text NOT NULL, "created_on" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "modified_by" text NOT NULL, "modified_on" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "row_version" integer NOT NULL, CONSTRAINT "PK_process_definition" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "UQ_process_definition_unique_name" ON "registry"."process_definition" ("unique_name") ');
    await queryRunner.query(
      'CREATE TABLE "registry"."plugin_step" ("id" uuid NOT NULL, "name" text NOT NULL, "message" text NOT NULL, "primary_entity" text NOT NULL, "stage" smallint NOT NULL, "mode" smallint NOT NULL, "rank" integer NOT NULL, "filtering_attributes" text array NOT NULL, "images" jsonb NOT NULL, "handler" jsonb NOT NULL, "enabled" boolean NOT NULL, "unsecure_configuration" text NOT NULL, "secure_configuration" text NOT NULL, "registration_sequence" BIGSERIAL NOT NULL, "registered_on" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "row_version" integer NOT NULL, CONSTRAINT "PK_plugin_step" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "IDX_plugin_step_message_entity" ON "registry"."plugin_step" ("message", "primary_entity") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "registry"."IDX_plugin_step_message_entity"');
    await queryRunner.query('DROP TABLE "registry"."plugin_step"');
    await queryRunner.query('DROP INDEX "registry"."UQ_process_definition_unique_name"');
    await queryRunner.query('DROP TABLE "registry"."process_definition"');
    await queryRunner.query('DROP INDEX "registry"."IDX_definition_version_active"');
    await queryRunner.query('DROP TABLE "registry"."process_definition_version"');
    await queryRunner.query('DROP TABLE "registry"."metadata_state"');
    await queryRunner.query('DROP TABLE "registry"."entity_definition"');
  }
}
