import { AsyncOperationStatus as Status } from '@flowline/contracts';
import type { RunningService } from '@flowline/service-testing';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { ActivityServer } from '../../test/activity-server';
import { startChain, type Chain } from '../../test/chain';
import { manySteps } from '../../test/workflows';

/**
 * Scaling as Kubernetes does it: a steady stream of workflows while executors go from 1 to 3
 * (new replicas join the dispatcher's consumer group and claim work) and back to 1 (SIGTERM:
 * they finish their steps in flight, release their runs and leave the group). Every operation
 * completes exactly once and no step is applied twice.
 */
describe('executors scale out and in under a steady stream of workflows', () => {
  const server = new ActivityServer();
  let chain: Chain;
  const replicas: RunningService[] = [];

  beforeAll(async () => {
    await server.start();
    chain = await startChain('scaling', [{ source: manySteps(server.url), format: 'yaml' }], {
      WORKER_POLL_MS: '100',
      WORKER_CONCURRENCY: '2',
    });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    for (const replica of replicas) await replica.stop().catch(() => undefined);
    await chain?.stop();
    await server.stop();
  });

  const hostsRunning = async () =>
    new Set(
      (
        (await chain.sql.query(`SELECT DISTINCT host FROM "executor"."async_operation" WHERE state = 2`)).rows as Array<{ host: string }>
      ).map((row) => row.host.split(':')[1]),
    );

  it('completes every operation exactly once while executors go 1 → 3 → 1', async () => {
    server.delayMs = 20;
    const ids = new Map<string, string>();
    let producing = true;
    let sent = 0;
    const producer = (async () => {
      while (producing) {
        const name = `scale-${sent++}`;
        ids.set(name, String((await chain.call('POST', '/api/v1/records/contact', { lastname: name }))['id']));
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    })();
    const seen = new Set<string>();
    const watch = setInterval(() => {
      void hostsRunning().then((pids) => pids.forEach((pid) => seen.add(pid)));
    }, 50);
    try {
      await waitFor(() => sent >= 10, { timeoutMs: 20_000, what: 'the stream to start' });
      // Scale out: two more executors join while the stream runs.
      replicas.push(await chain.startExecutor({ WORKER_CONCURRENCY: '2' }));
      replicas.push(await chain.startExecutor({ WORKER_CONCURRENCY: '2' }));
      const pids = [chain.executor, ...replicas].map((service) => String(service.process.child.pid));
      await waitFor(() => pids.every((pid) => seen.has(pid)), {
        timeoutMs: 30_000,
        intervalMs: 50,
        what: 'all three executors to run operations',
      });

      // Scale in: the two replicas get SIGTERM while they run.
      const exits = await Promise.all(replicas.map((replica) => replica.process.stop('SIGTERM')));
      expect(exits.map((exit) => exit.code)).toEqual([0, 0]);
      const left = await chain.sql.query(`SELECT id FROM "executor"."async_operation" WHERE state = 2 AND host LIKE ANY($1)`, [
        replicas.map((replica) => `%:${replica.process.child.pid}:%`),
      ]);
      expect(left.rowCount).toBe(0);
      const afterScaleIn = sent;
      await waitFor(() => sent >= afterScaleIn + 10, { timeoutMs: 20_000, what: 'the stream to go on after scaling in' });
    } finally {
      producing = false;
      await producer;
      clearInterval(watch);
    }

    const names = [...ids.keys()];
    const mine = [...ids.values()];
    await waitFor(
      async () =>
        Number(
          (
            await chain.sql.query(
              `SELECT count(*) FROM "executor"."async_operation" WHERE name = 'many-steps' AND state = 3 AND regarding_id = ANY($1)`,
              [mine],
            )
          ).rows[0].count,
        ) === names.length,
      { timeoutMs: 90_000, intervalMs: 200, what: `all ${names.length} operations to complete` },
    ).catch(async (error: unknown) => {
      const states = await chain.sql.query(
        `SELECT state, status, count(*)::int AS n FROM "executor"."async_operation" WHERE regarding_id = ANY($1) GROUP BY state, status`,
        [mine],
      );
      const { Client } = await import('pg');
      const gatewaySql = new Client({ connectionString: chain.gateway.db.url });
      await gatewaySql.connect();
      const outbox = await gatewaySql.query(
        `SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS pending, count(*)::int AS total FROM "gateway"."outbox"`,
      );
      await gatewaySql.end();
      const withOps = new Set(
        (
          (await chain.sql.query(`SELECT regarding_id FROM "executor"."async_operation" WHERE regarding_id = ANY($1)`, [mine]))
            .rows as Array<{ regarding_id: string }>
        ).map((r) => r.regarding_id),
      );
      const lacking = names.filter((name) => !withOps.has(ids.get(name)!));
      throw new Error(
        `${String(error)}; operations by state and status: ${JSON.stringify(states.rows)}; gateway outbox ${JSON.stringify(outbox.rows[0])}; ${names.length} sent, without an operation: ${lacking.join(', ')}; output of the first executor: ${chain.executor.process.output.slice(-15).join('\n')}`,
      );
    });
    const operations = (
      await chain.sql.query(`SELECT id, regarding_id, status FROM "executor"."async_operation" WHERE regarding_id = ANY($1)`, [mine])
    ).rows as Array<{ id: string; regarding_id: string; status: number }>;
    expect(operations).toHaveLength(names.length);
    expect(operations.every((operation) => operation.status === Status.Succeeded)).toBe(true);
    const duplicates = (
      await chain.sql.query(
        `SELECT operation_id, step_id, count(*)::int AS n FROM "executor"."operation_step_log"
          WHERE status = 2 AND operation_id = ANY($1) GROUP BY operation_id, step_id HAVING count(*) > 1`,
        [operations.map((operation) => operation.id)],
      )
    ).rows;
    expect(duplicates).toEqual([]);
    const succeededSteps = Number(
      (
        await chain.sql.query(`SELECT count(*) FROM "executor"."operation_step_log" WHERE status = 2 AND operation_id = ANY($1)`, [
          operations.map((operation) => operation.id),
        ])
      ).rows[0].count,
    );
    expect(succeededSteps).toBe(names.length * 5);
    const tasks = (await chain.call('GET', `/api/v1/records/task?pageSize=500`))['records'] as Array<{ subject: string }>;
    for (const name of names) expect(tasks.filter((task) => task.subject === `Follow up ${name}`)).toHaveLength(1);
    server.delayMs = 0;
  }, 240_000);
});
