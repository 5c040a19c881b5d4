/** Process definition enums, with the source platform's codes. */
export enum ProcessCategory {
  Workflow = 0,
  Dialog = 1,
}

export enum ProcessDefinitionType {
  Definition = 1,
  Activation = 2,
}

export enum ProcessMode {
  Background = 0,
  RealTime = 1,
}

export enum ProcessScope {
  User = 1,
  BusinessUnit = 2,
  ParentChildBusinessUnits = 3,
  Organization = 4,
}

export enum ProcessDefinitionState {
  Draft = 0,
  Activated = 1,
}

export enum RunAs {
  Owner = 0,
  CallingUser = 1,
}

/** Process (dialog) session state and status reasons. */
export enum ProcessSessionState {
  Incomplete = 0,
  Complete = 1,
}

export enum ProcessSessionStatus {
  NotStarted = 1,
  InProgress = 2,
  Paused = 3,
  Completed = 4,
  Canceled = 5,
  Failed = 6,
}
