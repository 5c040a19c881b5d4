import { ConsumerHealth } from './consumer-health';

describe('ConsumerHealth', () => {
  let now = 0;
  const health = () => new ConsumerHealth({ fetchPatienceMs: 10_000, joinPatienceMs: 30_000 }, () => now);
  beforeEach(() => {
    now = 1_000_000;
  });

  it('is consuming while fetches complete, and stalls when a member holding partitions completes none for its patience', () => {
    const member = health();
    member.joining();
    member.joined({ 'flowline.pipeline-events.v1': [2, 0] });
    expect(member.report()).toMatchObject({ state: 'consuming', partitions: 2, assignment: { 'flowline.pipeline-events.v1': [0, 2] } });
    now += 9_000;
    member.fetched();
    now += 9_000;
    expect(member.check()).toBeUndefined();
    now += 2_000;
    expect(member.check()).toBe('holds 2 partition(s) but completed no fetch for 11 s');
    expect(member.report()).toMatchObject({ state: 'stalled', problem: 'holds 2 partition(s) but completed no fetch for 11 s' });
    // A fetch that completes after all brings it back.
    member.fetched();
    expect(member.report()).toMatchObject({ state: 'consuming', problem: null });
  });

  it('does not call a long handler a stall, nor a member that holds no partition', () => {
    const busy = health();
    busy.joined({ topic: [0] });
    busy.handlerStarted();
    now += 60_000;
    expect(busy.check()).toBeUndefined();
    busy.handlerEnded();
    expect(busy.check()).toBeUndefined();

    const idle = health();
    idle.joined({});
    now += 60_000;
    expect(idle.check()).toBeUndefined();
  });

  it('stalls when joining takes longer than its patience, however often the group rebalances meanwhile', () => {
    const member = health();
    member.joining();
    now += 20_000;
    member.joining();
    expect(member.check()).toBeUndefined();
    now += 11_000;
    expect(member.check()).toBe('has been joining its group for 31 s without being given partitions');
    member.joined({ topic: [0] });
    expect(member.check()).toBeUndefined();
  });
});
