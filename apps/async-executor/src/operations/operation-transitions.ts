/**
 * The one place that owns every legal move of an async operation between states and status
 * reasons (the source platform's codes). Anything else is refused with the current state in
 * the message. Pure: the repository applies the result in the same statement that checks it.
 */
import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';

export interface OperationPosition {
  state: State;
  status: Status;
}

export type OperationAction =
  /** A worker takes a Ready operation. */
  | 'claim'
  /** The run waits (condition, timer): it leaves memory. */
  | 'suspend'
  /** A matching event or the timer brings a waiting run back. */
  | 'wake'
  | 'succeed'
  | 'fail'
  /** A transient failure: back to Ready, postponed by the backoff. */
  | 'retry'
  /** An operator: from Ready or Suspended at once; from Locked through Canceling. */
  | 'cancel'
  /** The worker saw Canceling and stopped. */
  | 'canceled'
  /** An operator: only from Locked, through Pausing. */
  | 'pause'
  /** The worker saw Pausing and stopped at a step boundary. */
  | 'paused'
  /** An operator: only from Suspended. */
  | 'resume'
  /** An operator: from Ready or Suspended, not before a chosen time. */
  | 'postpone'
  /** The executor shuts down: a run stops at a step boundary and goes back to Ready for another host. */
  | 'release'
  /** The lease of a dead host expired: back to Ready, resuming from the last persisted point. */
  | 'leaseExpired'
  /** An operator retries a failed operation. */
  | 'retryFailed';

const STATE_NAMES: Record<State, string> = {
  [State.Ready]: 'Ready',
  [State.Suspended]: 'Suspended',
  [State.Locked]: 'Locked',
  [State.Completed]: 'Completed',
};
const STATUS_NAMES: Record<Status, string> = {
  [Status.WaitingForResources]: 'WaitingForResources',
  [Status.Waiting]: 'Waiting',
  [Status.InProgress]: 'InProgress',
  [Status.Pausing]: 'Pausing',
  [Status.Canceling]: 'Canceling',
  [Status.Succeeded]: 'Succeeded',
  [Status.Failed]: 'Failed',
  [Status.Canceled]: 'Canceled',
};

export const describePosition = (position: OperationPosition): string =>
  `${STATE_NAMES[position.state]} (${STATUS_NAMES[position.status]})`;

const READY: OperationPosition = { state: State.Ready, status: Status.WaitingForResources };
const SUSPENDED: OperationPosition = { state: State.Suspended, status: Status.Waiting };
const IN_PROGRESS: OperationPosition = { state: State.Locked, status: Status.InProgress };

/** Legal moves: from (state, status) by action to the new position. */
const MOVES: Array<{ from: OperationPosition[]; action: OperationAction; to: OperationPosition }> = [
  { from: [READY], action: 'claim', to: IN_PROGRESS },
  { from: [IN_PROGRESS], action: 'suspend', to: SUSPENDED },
  { from: [SUSPENDED], action: 'wake', to: READY },
  {
    // Never from Canceling: an operator's cancel wins over a run that reached its end meanwhile.
    from: [IN_PROGRESS, { state: State.Locked, status: Status.Pausing }],
    action: 'succeed',
    to: { state: State.Completed, status: Status.Succeeded },
  },
  {
    from: [IN_PROGRESS, { state: State.Locked, status: Status.Pausing }, { state: State.Locked, status: Status.Canceling }],
    action: 'fail',
    to: { state: State.Completed, status: Status.Failed },
  },
  { from: [IN_PROGRESS], action: 'retry', to: READY },
  { from: [READY, SUSPENDED], action: 'cancel', to: { state: State.Completed, status: Status.Canceled } },
  {
    from: [IN_PROGRESS, { state: State.Locked, status: Status.Pausing }],
    action: 'cancel',
    to: { state: State.Locked, status: Status.Canceling },
  },
  {
    from: [{ state: State.Locked, status: Status.Canceling }],
    action: 'canceled',
    to: { state: State.Completed, status: Status.Canceled },
  },
  { from: [IN_PROGRESS], action: 'pause', to: { state: State.Locked, status: Status.Pausing } },
  { from: [{ state: State.Locked, status: Status.Pausing }], action: 'paused', to: SUSPENDED },
  { from: [SUSPENDED], action: 'resume', to: READY },
  { from: [READY], action: 'postpone', to: READY },
  { from: [SUSPENDED], action: 'postpone', to: SUSPENDED },
  { from: [IN_PROGRESS], action: 'release', to: READY },
  { from: [IN_PROGRESS], action: 'leaseExpired', to: READY },
  // A dead host cannot finish pausing; the operation ends paused.
  { from: [{ state: State.Locked, status: Status.Pausing }], action: 'leaseExpired', to: SUSPENDED },
  // A dead host cannot finish canceling; the operation ends canceled.
  {
    from: [{ state: State.Locked, status: Status.Canceling }],
    action: 'leaseExpired',
    to: { state: State.Completed, status: Status.Canceled },
  },
  { from: [{ state: State.Completed, status: Status.Failed }], action: 'retryFailed', to: READY },
];

export class IllegalTransition extends Error {
  constructor(
    readonly current: OperationPosition,
    readonly action: OperationAction,
  ) {
    super(`cannot ${action} an operation that is ${describePosition(current)}${hint(current, action)}`);
    this.name = 'IllegalTransition';
  }
}

function hint(current: OperationPosition, action: OperationAction): string {
  const allowed = MOVES.filter((move) => move.from.some((from) => from.state === current.state && from.status === current.status)).map(
    (move) => move.action,
  );
  if (allowed.length === 0) return ': it is finished';
  const operatorActions = allowed.filter((a) => ['cancel', 'pause', 'resume', 'postpone', 'retryFailed'].includes(a));
  return operatorActions.length > 0 && !operatorActions.includes(action) ? `; it can be: ${[...new Set(operatorActions)].join(', ')}` : '';
}

export function transition(current: OperationPosition, action: OperationAction): OperationPosition {
  const move = MOVES.find(
    (candidate) =>
      candidate.action === action && candidate.from.some((from) => from.state === current.state && from.status === current.status),
  );
  if (!move) throw new IllegalTransition(current, action);
  return move.to;
}

/** Every (from, action) pair that is legal, for SQL guards and documentation. */
export function legalMoves(): ReadonlyArray<{ from: OperationPosition; action: OperationAction; to: OperationPosition }> {
  return MOVES.flatMap((move) => move.from.map((from) => ({ from, action: move.action, to: move.to })));
}
