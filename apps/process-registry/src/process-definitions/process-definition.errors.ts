/** Error codes of process definition calls. */
export enum DefinitionErrorCode {
  Invalid = 'DEFINITION_INVALID',
  NotFound = 'DEFINITION_NOT_FOUND',
  VersionNotFound = 'DEFINITION_VERSION_NOT_FOUND',
  Exists = 'DEFINITION_EXISTS',
  NotDraft = 'DEFINITION_NOT_DRAFT',
  NotActivated = 'DEFINITION_NOT_ACTIVATED',
  VersionConflict = 'DEFINITION_VERSION_CONFLICT',
  RefRequired = 'DEFINITION_REF_REQUIRED',
  ChildNotActive = 'DEFINITION_CHILD_NOT_ACTIVE',
  WebhookPathTaken = 'WEBHOOK_PATH_TAKEN',
}
