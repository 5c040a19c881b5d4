/** Error codes of entity metadata calls. */
export enum EntityMetadataErrorCode {
  Invalid = 'ENTITY_INVALID',
  NotFound = 'ENTITY_NOT_FOUND',
  Exists = 'ENTITY_EXISTS',
  VersionConflict = 'ENTITY_VERSION_CONFLICT',
  InUse = 'ENTITY_IN_USE',
  AttributeInUse = 'ATTRIBUTE_IN_USE',
  Standard = 'ENTITY_STANDARD',
}
