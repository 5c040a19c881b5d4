/**
 * What refers to an entity or its attributes, so that metadata in use is never deleted from
 * under a definition, a step registration or another entity's lookup.
 */
import type { EntityManager } from 'typeorm';

export interface EntityUsage {
  definitions: string[];
  steps: string[];
  lookups: string[];
}

export async function findEntityUsage(manager: EntityManager, entity: string): Promise<EntityUsage> {
  // Draft and activated definitions whose primary entity it is, and active versions that reference it.
  const definitions: Array<{ unique_name: string }> = await manager.query(
    `SELECT DISTINCT d."unique_name" FROM "registry"."process_definition" d
       LEFT JOIN "registry"."process_definition_version" v ON v."definition_id" = d."id" AND v."deactivated_on" IS NULL
      WHERE d."primary_entity" = $1 OR $1 = ANY(v."referenced_entities")
      ORDER BY 1`,
    [entity],
  );
  const steps: Array<{ name: string }> = await manager.query(
    `SELECT "name" FROM "registry"."plugin_step" WHERE "primary_entity" = $1 ORDER BY "registration_sequence"`,
    [entity],
  );
  const lookups: Array<{ name: string }> = await manager.query(
    `SELECT e."logical_name" || '.' || (a->>'logicalName') AS "name"
       FROM "registry"."entity_definition" e, jsonb_array_elements(e."attributes") a
      WHERE e."logical_name" <> $1 AND a->'targets' ? $1
      ORDER BY 1`,
    [entity],
  );
  return {
    definitions: definitions.map((row) => row.unique_name),
    steps: steps.map((row) => row.name),
    lookups: lookups.map((row) => row.name),
  };
}

/** Step registrations that filter on or take images of these attributes of the entity. */
export async function findAttributeUsage(manager: EntityManager, entity: string, attributes: string[]): Promise<string[]> {
  if (attributes.length === 0) return [];
  const rows: Array<{ usage: string }> = await manager.query(
    `SELECT s."name" || ' uses ' || attr AS "usage"
       FROM "registry"."plugin_step" s,
            LATERAL (SELECT unnest(s."filtering_attributes") AS attr
                     UNION SELECT jsonb_array_elements_text(i->'attributes') FROM jsonb_array_elements(s."images") i) used
      WHERE s."primary_entity" = $1 AND attr = ANY($2)
      ORDER BY 1`,
    [entity, attributes],
  );
  return rows.map((row) => row.usage);
}
