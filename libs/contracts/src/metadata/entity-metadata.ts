/**
 * Entity metadata as every service sees it: entities and their typed attributes. The
 * registry owns it; the gateway validates records against it; process definitions are
 * checked against it. Plain data, no I/O.
 */
export const ATTRIBUTE_KINDS = [
  'string',
  'memo',
  'integer',
  'decimal',
  'money',
  'boolean',
  'datetime',
  'optionset',
  'state',
  'status',
  'lookup',
  'owner',
  'uniqueidentifier',
] as const;
export type AttributeKind = (typeof ATTRIBUTE_KINDS)[number];

export const OWNERSHIP_KINDS = ['user', 'organization', 'none'] as const;
export type OwnershipKind = (typeof OWNERSHIP_KINDS)[number];

export interface OptionMetadata {
  value: number;
  label: string;
  /** For status options: the state value this status belongs to. */
  state?: number;
}

export interface AttributeMetadata {
  logicalName: string;
  displayName: string;
  type: AttributeKind;
  required?: boolean;
  /** string and memo: the longest value accepted. */
  maxLength?: number;
  /** decimal and money: digits after the point. */
  precision?: number;
  minValue?: number;
  maxValue?: number;
  /** optionset, state and status. */
  options?: OptionMetadata[];
  /** lookup and owner: the entities it may point to. */
  targets?: string[];
  isCustom?: boolean;
}

export interface EntityMetadata {
  logicalName: string;
  displayName: string;
  primaryIdAttribute: string;
  primaryNameAttribute: string;
  ownership: OwnershipKind;
  attributes: AttributeMetadata[];
  isCustom?: boolean;
}

/** Longest string and memo values when an attribute does not say. */
export const DEFAULT_MAX_LENGTH: Readonly<Record<'string' | 'memo', number>> = { string: 100, memo: 2000 };
