/** Async operation (system job) states and status reasons, with the source platform's codes. */
export enum AsyncOperationState {
  Ready = 0,
  Suspended = 1,
  Locked = 2,
  Completed = 3,
}

export enum AsyncOperationStatus {
  WaitingForResources = 0,
  Waiting = 10,
  InProgress = 20,
  Pausing = 21,
  Canceling = 22,
  Succeeded = 30,
  Failed = 31,
  Canceled = 32,
}

/** Which status reasons belong to which state. */
export const StatusesByState: Readonly<Record<AsyncOperationState, readonly AsyncOperationStatus[]>> = {
  [AsyncOperationState.Ready]: [AsyncOperationStatus.WaitingForResources],
  [AsyncOperationState.Suspended]: [AsyncOperationStatus.Waiting],
  [AsyncOperationState.Locked]: [AsyncOperationStatus.InProgress, AsyncOperationStatus.Pausing, AsyncOperationStatus.Canceling],
  [AsyncOperationState.Completed]: [AsyncOperationStatus.Succeeded, AsyncOperationStatus.Failed, AsyncOperationStatus.Canceled],
};

export enum AsyncOperationType {
  SystemEvent = 1,
  Workflow = 10,
  BulkDelete = 13,
  ExecuteAsyncRequest = 54,
}

export enum WorkflowStepLogStatus {
  InProgress = 1,
  Succeeded = 2,
  Failed = 3,
  Canceled = 4,
  Waiting = 5,
}
