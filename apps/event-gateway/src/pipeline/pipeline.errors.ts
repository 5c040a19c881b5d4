/** Error codes of Execute. */
export enum PipelineErrorCode {
  UnknownEntity = 'UNKNOWN_ENTITY',
  UnknownMessage = 'UNKNOWN_MESSAGE',
  RecordNotFound = 'RECORD_NOT_FOUND',
  RecordExists = 'RECORD_EXISTS',
  VersionConflict = 'VERSION_CONFLICT',
  InvalidTarget = 'INVALID_TARGET',
  InvalidParameters = 'INVALID_PARAMETERS',
  InvalidOperations = 'INVALID_OPERATIONS',
  LookupNotFound = 'LOOKUP_NOT_FOUND',
  StepRefused = 'STEP_REFUSED',
  LoopDetected = 'LOOP_DETECTED',
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
  MetadataUnavailable = 'METADATA_UNAVAILABLE',
}
