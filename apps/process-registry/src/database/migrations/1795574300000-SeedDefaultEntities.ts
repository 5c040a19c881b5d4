/**
 * Seeds the standard entities (account, contact, lead, opportunity, incident, task, email,
 * systemuser, team, businessunit) and the metadata version. They are marked not custom;
 * reverting removes only them.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_ENTITIES } from '@flowline/contracts';

export class SeedDefaultEntities1795574300000 implements MigrationInterface {
  name = 'SeedDefaultEntities1795574300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const entity of DEFAULT_ENTITIES) {
      await queryRunner.query(
        `INSERT INTO "registry"."entity_definition"
           ("logical_name", "display_name", "primary_id_attribute", "primary_name_attribute", "ownership", "attributes", "is_custom", "row_version")
         VALUES ($1, $2, $3, $4, $5, $6, false, 1)
         ON CONFLICT ("logical_name") DO NOTHING`,
        [
          entity.logicalName,
          entity.displayName,
          entity.primaryIdAttribute,
          entity.primaryNameAttribute,
          entity.ownership,
          JSON.stringify(entity.attributes.map((attribute) => ({ ...attribute, isCustom: false }))),
        ],
      );
    }
    await queryRunner.query(`INSERT INTO "registry"."metadata_state" ("id", "version") VALUES (1, 1) ON CONFLICT ("id") DO NOTHING`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "registry"."metadata_state" WHERE "id" = 1`);
    await queryRunner.query(`DELETE FROM "registry"."entity_definition" WHERE "is_custom" = false`);
  }
}
