/** Between stored definitions and versions and the gRPC messages. */
import { RegistryProto } from '@flowline/rpc';
import type { DefinitionVersionRow } from './definition-version.entity';
import type { ProcessDefinitionRow } from './process-definition.entity';

export function versionToProto(row: DefinitionVersionRow): RegistryProto.DefinitionVersion {
  return {
    definitionId: row.definitionId,
    uniqueName: row.uniqueName,
    version: row.version,
    contentHash: row.contentHash,
    compiled: JSON.stringify(row.compiled),
    activatedBy: row.activatedBy,
    activatedOn: row.activatedOn.toISOString(),
    deactivatedOn: row.deactivatedOn?.toISOString() ?? '',
    category: row.category,
    primaryEntity: row.primaryEntity,
    mode: row.mode,
    triggers: row.triggers,
  };
}

export function definitionToProto(row: ProcessDefinitionRow): RegistryProto.ProcessDefinition {
  return {
    id: row.id,
    uniqueName: row.uniqueName,
    name: row.name,
    category: row.category,
    primaryEntity: row.primaryEntity,
    state: row.state as RegistryProto.DefinitionState,
    source: JSON.stringify(row.source),
    activeVersion: row.activeVersion ?? 0,
    latestVersion: row.latestVersion,
    owner: row.owner,
    createdBy: row.createdBy,
    createdOn: row.createdOn.toISOString(),
    modifiedBy: row.modifiedBy,
    modifiedOn: row.modifiedOn.toISOString(),
    rowVersion: row.rowVersion,
    description: row.description,
  };
}
