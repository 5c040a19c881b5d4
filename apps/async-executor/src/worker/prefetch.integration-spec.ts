import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';
import type { RunningService } from '@flowline/service-testing';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { ActivityServer } from '../../test/activity-server';
import { startChain, type Chain } from '../../test/chain';

/**
 * The workers' local queue (WORKER_PREFETCH): a claim takes operations ahead of the free slots;
 * they wait Locked by this host with their leases renewed, start in order as slots free, each runs
 * once, and a graceful stop puts the ones that never started back to Ready at once for any host.
 */
const definition = (url: string) => `schemaVersion: 1
name: Held call
uniqueName: held-call
category: workflow
primaryEntity: account
triggers:
  - on: create
steps:
  - id: call
    type: customActivity
    handler: http
    inputs:
      url: '${url}/held/{{record.name}}'
`;

// One slot and three claimed ahead; a lease shorter than the waits below, so only renewal keeps them.
const SETTINGS = { WORKER_CONCURRENCY: '1', WORKER_PREFETCH: '3', LEASE_MS: '2500', WORKER_POLL_MS: '100', SHUTDOWN_GRACE_MS: '20000' };

/** A chain whose one definition is the held call, with its activity server; the executor may be replaced by a test. */
function heldCallChain(name: string, settings: Record<string, string>) {
  const fixture = {
    server: new ActivityServer(),
    chain: undefined as unknown as Chain,
    executor: undefined as unknown as RunningService,
    extra: [] as RunningService[],
  };
  beforeAll(async () => {
    await fixture.server.start();
    fixture.chain = await startChain(name, [{ source: definition(fixture.server.url), format: 'yaml' }], settings);
    fixture.executor = fixture.chain.executor;
  }, SERVICE_START_TIMEOUT_MS);
  afterEach(() => fixture.server.releaseAll());
  afterAll(async () => {
    await fixture.server.stop();
    for (const service of fixture.extra) await service.stop().catch(() => undefined);
    await fixture.chain?.stop();
  });
  return fixture;
}

describe('the local queue of claimed-ahead operations', () => {
  const f = heldCallChain('prefetch', SETTINGS);

  const create = async (name: string) => {
    const body = await f.chain.call('POST', '/api/v1/records/account', { name });
    return String(body['id']);
  };
  // In claim order: a claim is one statement (one started_on for all it takes) and takes its rows in
  // sequence order; the unclaimed last. Not the sequence order alone: dispatches on several
  // partitions commit in any order, so a claim may take a later sequence before an earlier one commits.
  const rows = async (ids: string[]) =>
    (
      await f.chain.sql.query(
        `SELECT regarding_id, state, status, host, lease_expires_at > now() AS leased FROM "executor"."async_operation"
          WHERE name = 'held-call' AND regarding_id = ANY($1) ORDER BY started_on NULLS LAST, sequence`,
        [ids],
      )
    ).rows as Array<{ regarding_id: string; state: number; status: number; host: string | null; leased: boolean | null }>;

  it('claims ahead of its free slots, keeps the queued leases past their length, and runs each once in order', async () => {
    const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
    for (const name of names) f.server.answer(name, 'hold');
    const ids: string[] = [];
    for (const name of names) ids.push(await create(name));
    const called = () => f.server.requests.filter((r) => r.path.startsWith('/held/')).map((r) => r.key);
    // The first (in the order dispatched) runs, held; the next three wait in the queue, Locked by
    // the same host; the fifth stays Ready for any host.
    const queued = await waitFor(
      async () => {
        const now = await rows(ids);
        return now.length === 5 && now.filter((row) => row.state === State.Locked).length === 4 && called().length === 1 ? now : undefined;
      },
      { timeoutMs: 20_000, what: 'one operation running and three queued' },
    );
    expect(queued.map((row) => row.state)).toEqual([State.Locked, State.Locked, State.Locked, State.Locked, State.Ready]);
    expect(new Set(queued.slice(0, 4).map((row) => row.host)).size).toBe(1);
    const nameOf = new Map(ids.map((id, i) => [id, names[i]!]));
    expect(called()).toEqual([nameOf.get(queued[0]!.regarding_id)]);
    // Longer than a lease: the sweeper would take back any lease that was not renewed.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const later = await rows(ids);
    expect(later.slice(0, 4).map((row) => [row.state, row.host, row.leased])).toEqual(
      queued.slice(0, 4).map((row) => [State.Locked, row.host, true]),
    );
    expect(called()).toHaveLength(1);

    for (const name of names) f.server.release(name);
    await waitFor(async () => (await rows(ids)).every((row) => row.state === State.Completed), {
      timeoutMs: 30_000,
      what: 'all five to complete',
    });
    expect((await rows(ids)).every((row) => row.status === Status.Succeeded)).toBe(true);
    // One slot: one after another in the order claimed (records' events reach the executor in any
    // order across partitions, and dispatches commit in any order), each called once.
    expect(called()).toEqual(queued.map((row) => nameOf.get(row.regarding_id)));
  }, 90_000);

  it('puts the operations it queued back to Ready at once on SIGTERM, and another executor runs them once', async () => {
    // A lease far longer than the wait for them below: only the executor's own release, not an
    // expired lease, can put them back to Ready in time (a loaded machine may take a few seconds).
    const first = await f.executor.process.stop('SIGTERM');
    expect(first.code).toBe(0);
    f.executor = await f.chain.startExecutor({ ...SETTINGS, LEASE_MS: '60000' });
    f.extra.push(f.executor);
    const names = ['q1', 'q2', 'q3', 'q4'];
    for (const name of names) f.server.answer(name, 'hold');
    const ids: string[] = [];
    for (const name of names) ids.push(await create(name));
    // One of them runs (whichever was dispatched first), held; the three others wait in the queue.
    await waitFor(async () => (await rows(ids)).filter((row) => row.state === State.Locked).length === 4, {
      timeoutMs: 20_000,
      what: 'one running and three queued',
    });
    const calledOf = () => names.filter((name) => f.server.requestsFor(name).length > 0);
    await waitFor(() => calledOf().length === 1, { timeoutMs: 20_000, what: 'the first to be running' });
    const running = ids[names.indexOf(calledOf()[0]!)]!;

    const stopped = f.executor.process.stop('SIGTERM');
    // The running one is still held, so the executor waits for it; the queued three are back at once, long before their lease would expire.
    const back = await waitFor(
      async () => {
        const now = await rows(ids);
        const others = now.filter((row) => row.regarding_id !== running);
        return others.every((row) => row.state === State.Ready && row.host === null) ? now : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: 'the three queued put back to Ready' },
    );
    expect(back.find((row) => row.regarding_id === running)!.state).toBe(State.Locked);
    expect(back.filter((row) => row.regarding_id !== running).map((row) => row.status)).toEqual([
      Status.WaitingForResources,
      Status.WaitingForResources,
      Status.WaitingForResources,
    ]);
    for (const name of names) f.server.release(name);
    const exit = await stopped;
    expect({ code: exit.code, log: exit.code === 0 ? '' : f.executor.process.output.slice(-30).join('\n') }).toEqual({ code: 0, log: '' });
    expect(calledOf()).toHaveLength(1);

    const next = await f.chain.startExecutor(SETTINGS);
    f.extra.push(next);
    await waitFor(async () => (await rows(ids)).every((row) => row.state === State.Completed), {
      timeoutMs: 30_000,
      what: 'all four to complete on the next executor',
    });
    expect((await rows(ids)).every((row) => row.status === Status.Succeeded)).toBe(true);
    expect(names.map((name) => f.server.requestsFor(name).length)).toEqual([1, 1, 1, 1]);
    // Each was dispatched Ready, claimed here, put back, and claimed once more: its change events say so.
    const changes = await f.chain.sql.query(
      `SELECT o.regarding_id, array_agg((x.envelope->'payload'->>'state')::int ORDER BY x.id) AS states
         FROM "executor"."async_operation" o JOIN "executor"."outbox" x ON x.message_key = o.id::text
        WHERE o.regarding_id = ANY($1) GROUP BY o.regarding_id`,
      [ids.filter((id) => id !== running)],
    );
    expect(changes.rows.map((row: { states: number[] }) => row.states)).toEqual(
      [1, 2, 3].map(() => [State.Ready, State.Locked, State.Ready, State.Locked, State.Completed]),
    );
  }, 90_000);
});

/**
 * WORKER_PREFETCH unset: the local queue follows the runs' pace (what this process finished in the
 * last quarter second). Long runs are not claimed ahead, so they stay Ready for any replica; a
 * backlog of short runs is claimed far ahead of the slots.
 */
describe('claiming ahead at the runs’ pace (WORKER_PREFETCH unset)', () => {
  const PACED = { WORKER_CONCURRENCY: '1', WORKER_POLL_MS: '100', SHUTDOWN_GRACE_MS: '20000' };
  const f = heldCallChain('paced', PACED);

  const localQueue = async (): Promise<number> =>
    Number(
      /flowline_executor_local_queue(?:\{[^}]*\})? (\d+)/.exec(await (await fetch(`${f.executor.httpUrl}/metrics`)).text())?.[1] ?? -1,
    );
  const states = async (name: string, ids: string[]) =>
    (
      await f.chain.sql.query(`SELECT state, status FROM "executor"."async_operation" WHERE name = $1 AND regarding_id = ANY($2)`, [
        name,
        ids,
      ])
    ).rows as Array<{ state: number; status: number }>;

  it('claims no long run ahead: while one runs, the others stay Ready for any replica', async () => {
    const names = ['s1', 's2', 's3', 's4'];
    for (const name of names) f.server.answer(name, 'hold');
    const ids: string[] = [];
    for (const name of names) ids.push(String((await f.chain.call('POST', '/api/v1/records/account', { name }))['id']));
    await waitFor(() => names.filter((name) => f.server.requestsFor(name).length > 0).length === 1, {
      timeoutMs: 20_000,
      what: 'the first to be running',
    });
    // Longer than a pace window and several claim rounds.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const now = await states('held-call', ids);
    expect(now.map((row) => row.state).sort()).toEqual([State.Ready, State.Ready, State.Ready, State.Locked].sort());
    expect(await localQueue()).toBe(0);
    for (const name of names) f.server.release(name);
    await waitFor(async () => (await states('held-call', ids)).every((row) => row.state === State.Completed), {
      timeoutMs: 30_000,
      what: 'all four to complete',
    });
    expect(names.map((name) => f.server.requestsFor(name).length)).toEqual([1, 1, 1, 1]);
  }, 90_000);

  it('claims a backlog of short runs far ahead of its one slot, and runs each once', async () => {
    // A backlog: the records are created while no executor runs, so their operations arrive at once.
    expect((await f.executor.process.stop('SIGTERM')).code).toBe(0);
    const names = Array.from({ length: 150 }, (_, i) => `b${i}`);
    const ids: string[] = [];
    for (const name of names) ids.push(String((await f.chain.call('POST', '/api/v1/records/account', { name }))['id']));
    // Short runs, but long enough to be seen: about 50 a second through one slot.
    f.server.delayMs = 20;
    f.executor = await f.chain.startExecutor(PACED);
    f.extra.push(f.executor);
    let deepest = 0;
    let mostLocked = 0;
    await waitFor(
      async () => {
        deepest = Math.max(deepest, await localQueue());
        const now = await states('held-call', ids);
        mostLocked = Math.max(mostLocked, now.filter((row) => row.state === State.Locked).length);
        return now.filter((row) => row.state === State.Completed).length === ids.length;
      },
      { timeoutMs: 60_000, intervalMs: 20, what: 'all 150 to complete' },
    );
    f.server.delayMs = 0;
    // One slot: a fixed WORKER_PREFETCH of the concurrency would have queued one at most (and held two).
    expect(deepest).toBeGreaterThan(2);
    expect(deepest).toBeLessThanOrEqual(128);
    expect(mostLocked).toBeGreaterThan(3);
    const done = await states('held-call', ids);
    expect(done).toHaveLength(150);
    expect(done.every((row) => row.status === Status.Succeeded)).toBe(true);
    // Each ran once.
    expect(names.filter((name) => f.server.requestsFor(name).length !== 1)).toEqual([]);
  }, 120_000);
});
