/**
 * A run in this process, as the claim loop hands it to the run driver, and what a run saves at
 * its end. The claim loop owns the handle (its slot, its lease renewal); the driver runs it.
 */
import type { Effect, InstanceState, StepLogEntry } from '@flowline/process-runtime';
import type { AsyncOperationRow } from '../operations/async-operation.entity';

export const FAR_FUTURE = new Date('9999-12-31T00:00:00Z');

/** What a run asks of the claim loop that started it. */
export interface RunLoop {
  /** The executor is shutting down: a run releases its operation at its next step boundary. */
  stopping(): boolean;
  /** The run has done its work and waits for its end's group commit: its slot is free for the next claim. */
  ending(operationId: string): void;
  /** Its end's group commit is over. */
  ended(operationId: string): void;
}

export interface RunHandle {
  operation: AsyncOperationRow;
  /** Counted by the claim, for loop protection (undefined: count it when needed). */
  recentRuns: number | undefined;
  /** Set when the lease could not be renewed: another host may have the operation now. */
  lost: boolean;
  done: Promise<void>;
  readonly loop: RunLoop;
}

/** What a step boundary learns from the row the run holds. */
export type Boundary = 'continue' | 'lost' | 'pausing' | 'canceling' | 'release';

export type EndEffect = Extract<Effect, { type: 'complete' | 'fail' }>;

/** What a step boundary saves: the interpreter's state, its step log entries, and the run's time so far. */
export interface FinalSave {
  state: InstanceState;
  log: StepLogEntry[];
  stepStarted: Date;
  elapsedMs: number;
}

/** The step a run is at, for operators (the top frame's list and index). */
export function stageOf(state: InstanceState): string | null {
  if (state.status === 'completed' || state.status === 'failed' || state.status === 'canceled') return null;
  const frame = state.frames.at(-1);
  return state.pending?.stepPath ?? (frame ? `${frame.list}[${frame.index}]` : null);
}
