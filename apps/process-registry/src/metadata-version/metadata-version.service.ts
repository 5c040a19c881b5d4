/**
 * Every change to what the registry owns goes through `recordChange`, inside the change's
 * own transaction: the metadata version rises by one and a registry-change message is
 * written to the outbox, so caches hear of exactly the committed changes.
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { REGISTRY_CHANGE_SCHEMA_VERSION, REGISTRY_CHANGE_TYPE, Topics, type RegistryChange } from '@flowline/contracts';
import { createEnvelope, writeToOutbox } from '@flowline/messaging';
import { SERVICE } from '../config';

export type ChangeDescription = Omit<RegistryChange, 'metadataVersion'>;

@Injectable()
export class MetadataVersionService {
  async recordChange(manager: EntityManager, change: ChangeDescription, correlationId: string): Promise<string> {
    const rows: Array<{ version: string }> = await manager.query(
      // A SELECT around the UPDATE, so the driver hands back the rows rather than an affected count.
      `WITH bumped AS (UPDATE "registry"."metadata_state" SET "version" = "version" + 1 WHERE "id" = 1 RETURNING "version")
       SELECT "version"::text AS "version" FROM bumped`,
    );
    const version = rows[0]?.version;
    if (!version) throw new Error('registry.metadata_state has no row: the seed migration did not run');
    const payload: RegistryChange = { ...change, metadataVersion: version };
    await writeToOutbox(manager, [
      {
        topic: Topics.registryChanges,
        key: change.id,
        envelope: createEnvelope({
          type: REGISTRY_CHANGE_TYPE,
          schemaVersion: REGISTRY_CHANGE_SCHEMA_VERSION,
          source: SERVICE.name,
          correlationId,
          depth: 0,
          payload,
        }),
      },
    ]);
    return version;
  }

  async current(manager: EntityManager): Promise<string> {
    const rows: Array<{ version: string }> = await manager.query(
      `SELECT "version"::text AS "version" FROM "registry"."metadata_state" WHERE "id" = 1`,
    );
    return rows[0]?.version ?? '0';
  }
}
