/** Entity metadata from its gRPC form (the registry's wire shape) to the contracts' plain form. */
import {
  ATTRIBUTE_KINDS,
  OWNERSHIP_KINDS,
  type AttributeKind,
  type AttributeMetadata,
  type EntityMetadata,
  type OwnershipKind,
} from '@flowline/contracts';
import type { RegistryProto } from '@flowline/rpc';

export function attributeFromProto(attribute: RegistryProto.Attribute): AttributeMetadata {
  const type = (ATTRIBUTE_KINDS[attribute.type - 1] ?? 'unspecified') as AttributeKind;
  const result: AttributeMetadata = { logicalName: attribute.logicalName, displayName: attribute.displayName, type };
  if (attribute.required) result.required = true;
  if (attribute.maxLength) result.maxLength = attribute.maxLength;
  if (attribute.precision) result.precision = attribute.precision;
  if (attribute.hasMinValue) result.minValue = attribute.minValue;
  if (attribute.hasMaxValue) result.maxValue = attribute.maxValue;
  if (attribute.options.length > 0) {
    result.options = attribute.options.map((option) => ({
      value: option.value,
      label: option.label,
      ...(type === 'status' ? { state: option.state } : {}),
    }));
  }
  if (attribute.targets.length > 0) result.targets = [...attribute.targets];
  if (!attribute.isCustom) result.isCustom = false;
  return result;
}

export function entityFromProto(entity: RegistryProto.Entity | undefined): EntityMetadata {
  return {
    logicalName: entity?.logicalName ?? '',
    displayName: entity?.displayName ?? '',
    primaryIdAttribute: entity?.primaryIdAttribute ?? '',
    primaryNameAttribute: entity?.primaryNameAttribute ?? '',
    ownership: (OWNERSHIP_KINDS[(entity?.ownership ?? 0) - 1] ?? 'unspecified') as OwnershipKind,
    attributes: (entity?.attributes ?? []).map(attributeFromProto),
  };
}
