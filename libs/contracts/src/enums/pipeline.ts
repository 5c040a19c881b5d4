/** Event pipeline stages and step modes, with the source platform's codes. */
export enum PipelineStage {
  PreValidation = 10,
  PreOperation = 20,
  MainOperation = 30,
  PostOperation = 40,
}

export enum StepMode {
  Synchronous = 0,
  Asynchronous = 1,
}

/** Messages the platform itself knows; custom messages are registered in the registry. */
export enum SdkMessage {
  Create = 'Create',
  Update = 'Update',
  Delete = 'Delete',
  Retrieve = 'Retrieve',
  RetrieveMultiple = 'RetrieveMultiple',
  Assign = 'Assign',
  SetState = 'SetState',
}

/** Loop protection limits of the source platform. */
export const LoopProtection = {
  maxDepth: 8,
  depthWindowMs: 60 * 60 * 1000,
  maxRunsPerRecord: 16,
} as const;
