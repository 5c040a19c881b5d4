/** Between the registry's stored metadata and the gRPC messages. */
import {
  ATTRIBUTE_KINDS,
  OWNERSHIP_KINDS,
  type AttributeKind,
  type AttributeMetadata,
  type EntityMetadata,
  type OwnershipKind,
} from '@flowline/contracts';
import { RegistryProto } from '@flowline/rpc';
import type { EntityDefinitionRow } from './entity-definition.entity';

// The proto enums follow the order of the contracts' lists, starting at 1 (0 = unspecified).
const kindOf = (type: RegistryProto.AttributeType): AttributeKind => ATTRIBUTE_KINDS[type - 1] ?? ('unspecified' as AttributeKind);
const typeOf = (kind: AttributeKind): RegistryProto.AttributeType => (ATTRIBUTE_KINDS.indexOf(kind) + 1) as RegistryProto.AttributeType;
const ownershipOf = (type: RegistryProto.OwnershipType): OwnershipKind => OWNERSHIP_KINDS[type - 1] ?? ('unspecified' as OwnershipKind);
const ownershipTypeOf = (kind: OwnershipKind): RegistryProto.OwnershipType =>
  (OWNERSHIP_KINDS.indexOf(kind) + 1) as RegistryProto.OwnershipType;

export function attributeFromProto(attribute: RegistryProto.Attribute): AttributeMetadata {
  const result: AttributeMetadata = {
    logicalName: attribute.logicalName,
    displayName: attribute.displayName,
    type: kindOf(attribute.type),
  };
  if (attribute.required) result.required = true;
  if (attribute.maxLength) result.maxLength = attribute.maxLength;
  if (attribute.precision) result.precision = attribute.precision;
  if (attribute.hasMinValue) result.minValue = attribute.minValue;
  if (attribute.hasMaxValue) result.maxValue = attribute.maxValue;
  if (attribute.options.length > 0) {
    result.options = attribute.options.map((option) => ({
      value: option.value,
      label: option.label,
      ...(result.type === 'status' ? { state: option.state } : {}),
    }));
  }
  if (attribute.targets.length > 0) result.targets = [...attribute.targets];
  return result;
}

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

export function entityFromProto(entity: RegistryProto.Entity | undefined): EntityMetadata {
  return {
    logicalName: entity?.logicalName ?? '',
    displayName: entity?.displayName ?? '',
    primaryIdAttribute: entity?.primaryIdAttribute ?? '',
    primaryNameAttribute: entity?.primaryNameAttribute ?? '',
    ownership: ownershipOf(entity?.ownership ?? 0),
    attributes: (entity?.attributes ?? []).map(attributeFromProto),
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
