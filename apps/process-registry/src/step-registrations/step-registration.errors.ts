/** Error codes of step registration calls. */
export enum StepErrorCode {
  Invalid = 'STEP_INVALID',
  NotFound = 'STEP_NOT_FOUND',
  VersionConflict = 'STEP_VERSION_CONFLICT',
}
