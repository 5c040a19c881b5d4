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

/** Built-in plug-in step handlers the gateway runs in-process (registered by name). */
export const BUILT_IN_STEP_HANDLERS = {
  /** Fills attributes the target lacks from its configuration: `{ "defaults": { "attr": value } }`. */
  fieldDefaulting: 'flowline.field-defaulting',
  /** Refuses the operation when a CEL rule over the target fails: `{ "rules": [{ "when": "...", "message": "..." }] }`. */
  validationRule: 'flowline.validation-rule',
} as const;

/** The longest a webhook step may run: the source platform's plug-in execution limit. */
export const MAX_STEP_TIMEOUT_MS = 120_000;
export const DEFAULT_STEP_TIMEOUT_MS = 10_000;
