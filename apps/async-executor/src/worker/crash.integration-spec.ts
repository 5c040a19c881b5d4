import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';
import type { RunningService } from '@flowline/service-testing';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { ActivityServer } from '../../test/activity-server';
import { manySteps } from '../../test/workflows';
import { startChain, type Chain } from '../../test/chain';

/**
 * Durability with two executors: one is killed with SIGKILL in the middle of runs (its leases
 * expire and the other resumes its operations from their last persisted point), then one is
 * stopped with SIGTERM (it finishes the steps in flight and releases its leases at once).
 * Every operation completes exactly once and no step is applied twice. Also: operations with
 * a dependency token run one at a time per record, in order, while other records run freely.
 */
const RUNS = 24;

const definitions = (url: string) => [
  manySteps(url),
  `schemaVersion: 1
name: Serial notes
uniqueName: serial-notes
category: workflow
primaryEntity: contact
dependencyToken: record
triggers:
  - on: update
    attributes: [description]
steps:
  - id: note
    type: customActivity
    handler: http
    inputs:
      url: '${url}/serial/{{record.description}}'
`,
];

describe('executors crash and shut down without losing or repeating work', () => {
  const server = new ActivityServer();
  let chain: Chain;
  const extra: RunningService[] = [];

  beforeAll(async () => {
    await server.start();
    chain = await startChain(
      'crash',
      definitions(server.url).map((source) => ({ source, format: 'yaml' as const })),
      // Short leases so a dead host's operations come back within seconds.
      { WORKER_POLL_MS: '100', LEASE_MS: '2000', WORKER_CONCURRENCY: '4', SHUTDOWN_GRACE_MS: '10000' },
    );
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    for (const service of extra) await service.stop().catch(() => undefined);
    await chain?.stop();
    await server.stop();
  });

  const created = async (entity: string, record: Record<string, unknown>) =>
    String((await chain.call('POST', `/api/v1/records/${entity}`, record))['id']);
  const lockedHosts = async () =>
    (await chain.sql.query(`SELECT host, count(*)::int AS n FROM "executor"."async_operation" WHERE state = 2 GROUP BY host`))
      .rows as Array<{
      host: string;
      n: number;
    }>;

  it('runs operations with the same dependency token one at a time in order, and other records freely', async () => {
    const x = await created('contact', { lastname: 'Serial X' });
    const y = await created('contact', { lastname: 'Serial Y' });
    server.answer('x1', 'hold');
    server.answer('y1', 'hold');
    for (const note of ['x1', 'x2', 'x3']) await chain.call('PATCH', `/api/v1/records/contact/${x}`, { description: note });
    await chain.call('PATCH', `/api/v1/records/contact/${y}`, { description: 'y1' });
    // x1 and y1 run side by side; x2 and x3 wait behind x1.
    await waitFor(() => server.requestsFor('x1').length === 1 && server.requestsFor('y1').length === 1, {
      timeoutMs: 20_000,
      what: 'x1 and y1 to be running together',
    });
    await waitFor(
      async () =>
        Number(
          (
            await chain.sql.query(`SELECT count(*) FROM "executor"."async_operation" WHERE name = 'serial-notes' AND regarding_id = $1`, [
              x,
            ])
          ).rows[0].count,
        ) === 3,
      { timeoutMs: 20_000, what: 'the three operations of X to be dispatched' },
    );
    const queued = (
      await chain.sql.query(
        `SELECT state, dependency_token FROM "executor"."async_operation" WHERE name = 'serial-notes' AND regarding_id = $1 ORDER BY sequence`,
        [x],
      )
    ).rows as Array<{ state: number; dependency_token: string }>;
    expect(queued.map((q) => q.state)).toEqual([State.Locked, State.Ready, State.Ready]);
    expect(queued[0]!.dependency_token).toBe(`contact:${x}`);
    expect(server.requestsFor('x2')).toHaveLength(0);

    // x2 may start only once x1 has finished: its call comes after x1 is released, never before.
    const releasedAt = Date.now();
    server.release('x1');
    server.release('y1');
    await waitFor(() => server.requestsFor('x3').length === 1, { timeoutMs: 20_000, what: 'x3 to run' });
    const order = server.requests.filter((r) => /^x\d$/.test(r.key)).map((r) => r.key);
    expect(order).toEqual(['x1', 'x2', 'x3']);
    expect(server.requestsFor('x2')[0]!.at).toBeGreaterThanOrEqual(releasedAt);
    expect(server.requestsFor('x3')[0]!.at).toBeGreaterThanOrEqual(server.requestsFor('x2')[0]!.at);
  });

  it('completes every operation exactly once after SIGKILL of one executor and SIGTERM of another', async () => {
    server.delayMs = 150;
    // Three executors, all joined before the load (a member that joins after one died waits for the
    // dead one's Kafka session to time out before the group settles).
    const second = await chain.startExecutor();
    extra.push(second);
    const third = await chain.startExecutor();
    extra.push(third);
    const names = Array.from({ length: RUNS }, (_, i) => `crash-${i}`);
    const ids = new Map<string, string>();
    for (const name of names) ids.set(name, await created('contact', { lastname: name }));

    // Both executors are running operations: kill the first in the middle of them.
    const hosts = await waitFor(
      async () => {
        const locked = await lockedHosts();
        return locked.length >= 2 ? locked : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 10, what: 'both executors to hold operations' },
    );
    const killed = await chain.executor.process.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const orphaned = (await lockedHosts()).filter((locked) => hosts.some((h) => h.host === locked.host));
    expect(orphaned.reduce((sum, locked) => sum + locked.n, 0)).toBeGreaterThan(0);

    // Then the second is stopped gracefully while operations run.
    const beforeTerm = await waitFor(
      async () => {
        const locked = await lockedHosts();
        return locked.length > 0 ? locked : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 10, what: 'operations in flight before SIGTERM' },
    );
    expect(beforeTerm.length).toBeGreaterThan(0);
    const terminated = await second.process.stop('SIGTERM');
    // Its log says why, should it not stop cleanly.
    expect({ code: terminated.code, log: terminated.code === 0 ? '' : second.process.output.slice(-40).join('\n') }).toEqual({
      code: 0,
      log: '',
    });
    expect(second.process.output.join('\n')).not.toMatch(/grace period over/);
    // The graceful stop released its leases at once instead of leaving them to expire.
    const held = await chain.sql.query(`SELECT id FROM "executor"."async_operation" WHERE state = 2 AND host LIKE $1`, [
      `%:${second.process.child.pid}:%`,
    ]);
    expect(held.rowCount).toBe(0);

    const mineOnly = [...ids.values()];
    await waitFor(
      async () =>
        Number(
          (
            await chain.sql.query(
              `SELECT count(*) FROM "executor"."async_operation" WHERE name = 'many-steps' AND state = 3 AND regarding_id = ANY($1)`,
              [mineOnly],
            )
          ).rows[0].count,
        ) === RUNS,
      { timeoutMs: 90_000, intervalMs: 200, what: `all ${RUNS} operations to complete` },
    ).catch(async (error: unknown) => {
      // Say where the work stands, so a failure can be read from the CI log alone.
      const where = await chain.sql.query(
        `SELECT state, status, host, retry_count, error_code, friendly_message, postpone_until, current_stage, count(*)::int AS n
           FROM "executor"."async_operation" WHERE name = 'many-steps' AND regarding_id = ANY($1)
          GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`,
        [mineOnly],
      );
      throw new Error(
        [
          String(error),
          `operations of this test: ${JSON.stringify(where.rows)}`,
          `dispatched: ${where.rows.reduce((sum: number, row: { n: number }) => sum + row.n, 0)} of ${RUNS}`,
          `the third executor's last lines:\n${third.process.output.slice(-40).join('\n')}`,
        ].join('\n'),
      );
    });

    // Exactly one operation per record, each Succeeded.
    const operations = (
      await chain.sql.query(
        `SELECT id, regarding_id, status FROM "executor"."async_operation" WHERE name = 'many-steps' AND regarding_id = ANY($1)`,
        [mineOnly],
      )
    ).rows as Array<{ id: string; regarding_id: string; status: number }>;
    expect(operations).toHaveLength(RUNS);
    expect(new Set(operations.map((o) => o.regarding_id)).size).toBe(RUNS);
    expect(operations.every((o) => o.status === Status.Succeeded)).toBe(true);

    // No step applied twice: one succeeded log entry per step, one task per record, one key per call.
    const steps = (
      await chain.sql.query(
        `SELECT operation_id, step_id, count(*)::int AS n FROM "executor"."operation_step_log" WHERE status = 2 GROUP BY operation_id, step_id`,
      )
    ).rows as Array<{ operation_id: string; step_id: string; n: number }>;
    const mine = steps.filter((s) => operations.some((o) => o.id === s.operation_id));
    expect(mine).toHaveLength(RUNS * 5);
    expect(mine.every((s) => s.n === 1)).toBe(true);
    for (const name of names) {
      const tasks = (await chain.call('GET', `/api/v1/records/task?subject=${encodeURIComponent(`Follow up ${name}`)}`))[
        'records'
      ] as unknown[];
      expect(tasks).toHaveLength(1);
      const contact = (await chain.call('GET', `/api/v1/records/contact/${ids.get(name)}`))['record'] as Record<string, unknown>;
      expect(contact['jobtitle']).toBe('done');
      for (const call of ['first', 'second']) {
        const requests = server.requests.filter((r) => r.path === `/${call}/${name}`);
        expect(requests.length).toBeGreaterThanOrEqual(1);
        // A call repeated after a crash carries the same idempotency key, so the service called can tell.
        expect(new Set(requests.map((r) => r.idempotencyKey)).size).toBe(1);
      }
    }
    server.delayMs = 0;
  }, 180_000);
});
