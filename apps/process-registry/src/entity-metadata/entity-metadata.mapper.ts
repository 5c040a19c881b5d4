/** Between the registry's stored metadata and the gRPC messages. */
import {
  ATTRIBUTE_KINDS,
  OWNERSHIP_KINDS,
  type AttributeKind,
  type AttributeMetadata,
  type EntityMetadata,
  type OwnershipKind,
} from '@flowline/contracts';
export { entityFromProto } from '@flowline/metadata-cache';
import { RegistryProto } from '@flowline/rpc';
import type { EntityDefinitionRow } from './entity-definition.entity';

const typeOf = (kind: AttributeKind): RegistryProto.AttributeType => (ATTRIBUTE_KINDS.indexOf(kind) + 1) as RegistryProto.AttributeType;
const ownershipTypeOf = (kind: OwnershipKind): RegistryProto.OwnershipType =>
  (OWNERSHIP_KINDS.indexOf(kind) + 1) as RegistryProto.OwnershipType;

export function attributeToProto(attribute: AttributeMetadata): RegistryProto.Attribute {
  return {
    logicalName: attribute.logicalName,
    displayName: attribute.displayName,
    type: typeOf(attribute.type),
    required: attribute.required ?? false,
    maxLength: attribute.maxLength ?? 0,
    precision: attribute.precision ?? 0,
    minValue: attribute.minValue ?? 0,
    maxValue: attribute.maxValue ?? 0,
    hasMinValue: attribute.minValue !== undefined,
    hasMaxValue: attribute.maxValue !== undefined,
    options: (attribute.options ?? []).map((option) => ({ value: option.value, label: option.label, state: option.state ?? 0 })),
    targets: attribute.targets ?? [],
    isCustom: attribute.isCustom ?? true,
  };
}

export function rowToMetadata(row: EntityDefinitionRow): EntityMetadata {
  return {
    logicalName: row.logicalName,
    displayName: row.displayName,
    primaryIdAttribute: row.primaryIdAttribute,
    primaryNameAttribute: row.primaryNameAttribute,
    ownership: row.ownership,
    attributes: row.attributes,
    isCustom: row.isCustom,
  };
}

export function rowToProto(row: EntityDefinitionRow): RegistryProto.Entity {
  return {
    logicalName: row.logicalName,
    displayName: row.displayName,
    primaryIdAttribute: row.primaryIdAttribute,
    primaryNameAttribute: row.primaryNameAttribute,
    ownership: ownershipTypeOf(row.ownership),
    attributes: row.attributes.map(attributeToProto),
    isCustom: row.isCustom,
    version: row.rowVersion,
    modifiedOn: row.modifiedOn.toISOString(),
  };
}
