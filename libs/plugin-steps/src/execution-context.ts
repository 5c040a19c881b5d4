/**
 * What a plug-in step sees, modelled on the source platform's execution context: message,
 * stage, mode, depth, correlation id, initiating user, input and output parameters, shared
 * variables passed between the steps of one operation, and the images registered for it.
 */
export type RecordImage = Record<string, unknown>;

export interface ExecutionContext {
  messageName: string;
  primaryEntityName: string;
  primaryEntityId: string;
  stage: number;
  mode: number;
  depth: number;
  correlationId: string;
  initiatingUserId: string;
  /** `Target` holds the attributes being written; other message parameters beside it. */
  inputParameters: Record<string, unknown> & { Target?: RecordImage };
  outputParameters: Record<string, unknown>;
  sharedVariables: Record<string, unknown>;
  preEntityImages: Record<string, RecordImage>;
  postEntityImages: Record<string, RecordImage>;
  operationCreatedOn: string;
}

/** The outcome a step hands back to the pipeline. */
export interface StepOutcome {
  /** Stage 10 and 20 only: attributes to set on the target (merged over it). */
  targetChanges?: RecordImage;
  outputParameters?: Record<string, unknown>;
  sharedVariables?: Record<string, unknown>;
}

/** A step refused the operation: everything rolls back and the caller gets this message. */
export class StepRefusal extends Error {
  constructor(
    readonly stepName: string,
    message: string,
    /** The step could not be reached or failed on its side (timeout, 5xx, 429): worth retrying later. */
    readonly transient = false,
  ) {
    super(message);
    this.name = 'StepRefusal';
  }
}
