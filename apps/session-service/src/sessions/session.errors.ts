/** Error codes of session calls: every refusal a caller can meet, with the HTTP/gRPC status of its kind. */
export enum SessionErrorCode {
  /** INVALID_ARGUMENT: a field is missing or malformed. */
  InvalidRequest = 'SESSION_REQUEST_INVALID',
  /** INVALID_ARGUMENT: answers refused, one field violation per prompt (`answers.<promptId>`). */
  AnswersInvalid = 'ANSWERS_INVALID',
  /** INVALID_ARGUMENT: the definition named is a workflow. */
  NotADialog = 'NOT_A_DIALOG',
  /** INVALID_ARGUMENT: the record is not of the dialog's primary entity. */
  EntityMismatch = 'ENTITY_MISMATCH',
  /** NOT_FOUND */
  DialogNotFound = 'DIALOG_NOT_FOUND',
  RecordNotFound = 'RECORD_NOT_FOUND',
  SessionNotFound = 'SESSION_NOT_FOUND',
  /** FAILED_PRECONDITION: the dialog has no active version. */
  DialogNotActivated = 'DIALOG_NOT_ACTIVATED',
  /** FAILED_PRECONDITION: the session is Completed, Canceled or Failed. */
  SessionEnded = 'SESSION_ENDED',
  /** FAILED_PRECONDITION: the page answered is not the one shown, or there is no page before. */
  PageNotShown = 'PAGE_NOT_SHOWN',
  NoPreviousPage = 'NO_PREVIOUS_PAGE',
  /** ABORTED: the session moved on since the page was shown (another tab, another request): reload it. */
  SessionChanged = 'SESSION_CHANGED',
  /** PERMISSION_DENIED: someone else's session, without the operator role. */
  NotYourSession = 'NOT_YOUR_SESSION',
  /** UNAVAILABLE: try again; nothing was saved. */
  RegistryUnavailable = 'REGISTRY_UNAVAILABLE',
  GatewayUnavailable = 'GATEWAY_UNAVAILABLE',
}
