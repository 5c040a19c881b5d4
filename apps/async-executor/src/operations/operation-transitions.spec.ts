import { AsyncOperationState as State, AsyncOperationStatus as Status, StatusesByState } from '@flowline/contracts';
import { IllegalTransition, legalMoves, transition, type OperationAction } from './operation-transitions';

const at = (state: State, status: Status) => ({ state, status });
const ACTIONS: OperationAction[] = [
  'claim',
  'suspend',
  'wake',
  'succeed',
  'fail',
  'retry',
  'cancel',
  'canceled',
  'pause',
  'paused',
  'resume',
  'postpone',
  'leaseExpired',
  'release',
  'retryFailed',
];

describe('async operation transitions', () => {
  it('follows the life cycle of the source platform', () => {
    const ready = at(State.Ready, Status.WaitingForResources);
    const locked = transition(ready, 'claim');
    expect(locked).toEqual(at(State.Locked, Status.InProgress));
    const suspended = transition(locked, 'suspend');
    expect(suspended).toEqual(at(State.Suspended, Status.Waiting));
    expect(transition(suspended, 'wake')).toEqual(ready);
    expect(transition(locked, 'succeed')).toEqual(at(State.Completed, Status.Succeeded));
  });

  it('implements the operator actions exactly where the state allows them', () => {
    expect(transition(at(State.Ready, Status.WaitingForResources), 'cancel')).toEqual(at(State.Completed, Status.Canceled));
    expect(transition(at(State.Suspended, Status.Waiting), 'cancel')).toEqual(at(State.Completed, Status.Canceled));
    expect(transition(at(State.Locked, Status.InProgress), 'cancel')).toEqual(at(State.Locked, Status.Canceling));
    expect(transition(at(State.Locked, Status.Canceling), 'canceled')).toEqual(at(State.Completed, Status.Canceled));
    expect(transition(at(State.Locked, Status.InProgress), 'pause')).toEqual(at(State.Locked, Status.Pausing));
    expect(transition(at(State.Locked, Status.Pausing), 'paused')).toEqual(at(State.Suspended, Status.Waiting));
    expect(transition(at(State.Suspended, Status.Waiting), 'resume')).toEqual(at(State.Ready, Status.WaitingForResources));
    expect(transition(at(State.Ready, Status.WaitingForResources), 'postpone')).toEqual(at(State.Ready, Status.WaitingForResources));
    expect(transition(at(State.Suspended, Status.Waiting), 'postpone')).toEqual(at(State.Suspended, Status.Waiting));
    expect(transition(at(State.Completed, Status.Failed), 'retryFailed')).toEqual(at(State.Ready, Status.WaitingForResources));
  });

  it('refuses illegal moves with the current state, and what is possible from it', () => {
    expect(() => transition(at(State.Ready, Status.WaitingForResources), 'pause')).toThrow(
      'cannot pause an operation that is Ready (WaitingForResources); it can be: cancel, postpone',
    );
    expect(() => transition(at(State.Suspended, Status.Waiting), 'claim')).toThrow(
      'cannot claim an operation that is Suspended (Waiting); it can be: cancel, resume, postpone',
    );
    expect(() => transition(at(State.Completed, Status.Succeeded), 'cancel')).toThrow(
      'cannot cancel an operation that is Completed (Succeeded): it is finished',
    );
    expect(() => transition(at(State.Locked, Status.InProgress), 'postpone')).toThrow(
      'cannot postpone an operation that is Locked (InProgress); it can be: cancel, pause',
    );
    expect(() => transition(at(State.Completed, Status.Canceled), 'retryFailed')).toThrow(IllegalTransition);
  });

  it('sends a run whose host died or shut down back to where another host resumes it', () => {
    expect(transition(at(State.Locked, Status.InProgress), 'leaseExpired')).toEqual(at(State.Ready, Status.WaitingForResources));
    expect(transition(at(State.Locked, Status.InProgress), 'release')).toEqual(at(State.Ready, Status.WaitingForResources));
    expect(transition(at(State.Locked, Status.Pausing), 'leaseExpired')).toEqual(at(State.Suspended, Status.Waiting));
    expect(transition(at(State.Locked, Status.Canceling), 'leaseExpired')).toEqual(at(State.Completed, Status.Canceled));
  });

  it('never leaves a state without one of its own status reasons, and never goes from Suspended straight to Locked', () => {
    for (const move of legalMoves()) {
      expect(StatusesByState[move.to.state]).toContain(move.to.status);
      expect(StatusesByState[move.from.state]).toContain(move.from.status);
      if (move.from.state === State.Suspended) expect(move.to.state).not.toBe(State.Locked);
    }
    // Every position and action is either legal or refused: nothing throws anything else.
    for (const [state, statuses] of Object.entries(StatusesByState)) {
      for (const status of statuses) {
        for (const action of ACTIONS) {
          try {
            transition(at(Number(state) as State, status), action);
          } catch (error) {
            expect(error).toBeInstanceOf(IllegalTransition);
          }
        }
      }
    }
  });
});
