import { ReadySignal, registerLocalWorkers } from './ready-signal';

describe('ReadySignal: who hears of operations made Ready', () => {
  let sent = 0;
  let unregister: (() => void) | undefined;
  const signal = () =>
    new ReadySignal(
      async () => {
        sent += 1;
      },
      () => undefined,
      100,
    );
  const workers = (free: number) => {
    const local = { wakes: 0, free };
    unregister = registerLocalWorkers({ freeSlots: () => local.free, wake: () => void (local.wakes += 1) });
    return local;
  };

  beforeEach(() => {
    // Date.now as well as the timers: the signal's clock and its trailing NOTIFY move together.
    jest.useFakeTimers({ now: 1_000_000 });
    sent = 0;
  });
  afterEach(() => {
    unregister?.();
    unregister = undefined;
    jest.useRealTimers();
  });

  it('wakes this process’s workers and sends no NOTIFY when they have a slot for each', () => {
    const local = workers(4);
    const ready = signal();
    ready.committed(3);
    ready.committed(4);
    jest.advanceTimersByTime(1_000);
    expect(local.wakes).toBe(2);
    expect(sent).toBe(0);
  });

  it('sends nothing and wakes nobody when nothing became Ready', () => {
    const local = workers(0);
    signal().committed(0);
    expect([local.wakes, sent]).toEqual([0, 0]);
  });

  it('tells the other replicas at once when this process runs no workers', () => {
    signal().committed(1);
    expect(sent).toBe(1);
  });

  it('wakes the busy workers here and tells the others too', () => {
    const local = workers(1);
    signal().committed(2);
    expect([local.wakes, sent]).toEqual([1, 1]);
  });

  it('sends at most one NOTIFY per interval, and the last one of an interval at its end', () => {
    const ready = signal();
    ready.committed(1); // sent at once
    jest.advanceTimersByTime(10);
    ready.committed(1);
    jest.advanceTimersByTime(10);
    ready.committed(1);
    expect(sent).toBe(1);
    // The two in the interval are told by one NOTIFY when it ends, not lost.
    jest.advanceTimersByTime(79);
    expect(sent).toBe(1);
    jest.advanceTimersByTime(1);
    expect(sent).toBe(2);
    jest.advanceTimersByTime(500);
    ready.committed(1);
    expect(sent).toBe(3);
  });

  it('sends no trailing NOTIFY after stop', () => {
    const ready = signal();
    ready.committed(1);
    jest.advanceTimersByTime(10);
    ready.committed(1);
    ready.stop();
    jest.advanceTimersByTime(1_000);
    expect(sent).toBe(1);
  });

  it('forgets workers once they unregister (shutdown): the others are told instead', () => {
    const local = workers(8);
    unregister!();
    signal().committed(1);
    expect([local.wakes, sent]).toEqual([0, 1]);
  });
});
