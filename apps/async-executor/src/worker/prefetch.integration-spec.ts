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
const SETTINGS = { WORKER_CONCURRENCY: '1', WORKER_PREFETCH: '3', LEASE_MS: '1500', WORKER_POLL_MS: '100', SHUTDOWN_GRACE_MS: '20000' };

describe('the local queue of claimed-ahead operations', () => {
  const server = new ActivityServer();
  let chain: Chain;
  let executor: RunningService;
  const extra: RunningService[] = [];

  beforeAll(async () => {
    await server.start();
    chain = await startChain('prefetch', [{ source: definition(server.url), format: 'yaml' }], SETTINGS);
    executor = chain.executor;
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await server.stop();
    for (const service of extra) await service.stop().catch(() => undefined);
    await chain?.stop();
  });

  const create = async (name: string) => {
    const body = await chain.call('POST', '/api/v1/records/account', { name });
    return String(body['id']);
  };
  const rows = async (ids: string[]) =>
    (
      await chain.sql.query(
        `SELECT regarding_id, state, status, host, lease_expires_at > now() AS leased FROM "executor"."async_operation"
          WHERE name = 'held-call' AND regarding_id = ANY($1) ORDER BY sequence`,
        [ids],
      )
    ).rows as Array<{ regarding_id: string; state: number; status: number; host: string | null; leased: boolean | null }>;

  it('claims ahead of its free slots, keeps the queued leases past their length, and runs each once in order', async () => {
    const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
    for (const name of names) server.answer(name, 'hold');
    const ids: string[] = [];
    for (const name of names) ids.push(await create(name));
    const called = () => server.requests.filter((r) => r.path.startsWith('/held/')).map((r) => r.key);
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
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const later = await rows(ids);
    expect(later.slice(0, 4).map((row) => [row.state, row.host, row.leased])).toEqual(
      queued.slice(0, 4).map((row) => [State.Locked, row.host, true]),
    );
    expect(called()).toHaveLength(1);

    for (const name of names) server.release(name);
    await waitFor(async () => (await rows(ids)).every((row) => row.state === State.Completed), {
      timeoutMs: 30_000,
      what: 'all five to complete',
    });
    expect((await rows(ids)).every((row) => row.status === Status.Succeeded)).toBe(true);
    // One slot: one after another in the operations' order (records' events reach the executor in
    // any order across partitions, so it is the order they were dispatched in), each called once.
    expect(called()).toEqual(queued.map((row) => nameOf.get(row.regarding_id)));
  }, 90_000);

  it('puts the operations it queued back to Ready at once on SIGTERM, and another executor runs them once', async () => {
    // A lease far longer than the wait for them below: only the executor's own release, not an
    // expired lease, can put them back to Ready in time (a loaded machine may take a few seconds).
    const first = await executor.process.stop('SIGTERM');
    expect(first.code).toBe(0);
    executor = await chain.startExecutor({ ...SETTINGS, LEASE_MS: '60000' });
    extra.push(executor);
    const names = ['q1', 'q2', 'q3', 'q4'];
    for (const name of names) server.answer(name, 'hold');
    const ids: string[] = [];
    for (const name of names) ids.push(await create(name));
    // One of them runs (whichever was dispatched first), held; the three others wait in the queue.
    await waitFor(async () => (await rows(ids)).filter((row) => row.state === State.Locked).length === 4, {
      timeoutMs: 20_000,
      what: 'one running and three queued',
    });
    const calledOf = () => names.filter((name) => server.requestsFor(name).length > 0);
    await waitFor(() => calledOf().length === 1, { timeoutMs: 20_000, what: 'the first to be running' });
    const running = ids[names.indexOf(calledOf()[0]!)]!;

    const stopped = executor.process.stop('SIGTERM');
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
    for (const name of names) server.release(name);
    const exit = await stopped;
    expect({ code: exit.code, log: exit.code === 0 ? '' : executor.process.output.slice(-30).join('\n') }).toEqual({ code: 0, log: '' });
    expect(calledOf()).toHaveLength(1);

    const next = await chain.startExecutor(SETTINGS);
    extra.push(next);
    await waitFor(async () => (await rows(ids)).every((row) => row.state === State.Completed), {
      timeoutMs: 30_000,
      what: 'all four to complete on the next executor',
    });
    expect((await rows(ids)).every((row) => row.status === Status.Succeeded)).toBe(true);
    expect(names.map((name) => server.requestsFor(name).length)).toEqual([1, 1, 1, 1]);
    // Each was dispatched Ready, claimed here, put back, and claimed once more: its change events say so.
    const changes = await chain.sql.query(
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
