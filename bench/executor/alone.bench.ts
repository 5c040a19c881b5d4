/**
 * The executor alone: operations already Ready, claimed, run and completed by one executor,
 * against graphile-worker draining the same number of queued no-op jobs (0.16 defaults, and 0.17
 * with its local queue and batched completion) on the same PostgreSQL in the same run.
 *   npm run bench:executor-alone -- [--operations 20000] [--concurrency 16]
 * The operations come the real way without the gateway: pipeline events of contact creations
 * are produced to Kafka in batches and an executor with WORKER_CONCURRENCY=0 (dispatch only)
 * turns them into Ready operations; it is stopped, and one executor with workers drains them.
 */
import { drainPeer } from './graphile-peer';
import { flag, Operations, printTable, Stack, startInfra } from './stack';

const OPERATIONS = Number(flag('operations', '5000'));
const CONCURRENCY = Number(flag('concurrency', '16'));

export interface AloneFigures {
  /** Pipeline events produced until all were Ready operations, per second (dispatch only). */
  dispatchRate: number;
  /** First start to last completion, per second. */
  drainRate: number;
  /** Highest VmRSS of the draining executor (MB). */
  peakRssMb: number;
}

/** Dispatches `operations` into Ready ones with a dispatch-only executor, then drains them with one executor. */
export async function dispatchThenDrain(stack: Stack, ops: Operations, operations: number, concurrency: number): Promise<AloneFigures> {
  const since = new Date(Date.now() - 1000);
  const dispatcher = await stack.startExecutor({ concurrency: 0 });
  const producedAt = Date.now();
  await stack.producePipelineEvents(operations);
  const readyAt = await ops.waitFor('dispatched', (counts) => (counts[0] ?? 0) >= operations, { since, everyMs: 250, pendingOnly: true });
  const dispatchRate = operations / ((readyAt - producedAt) / 1000);
  await dispatcher.stop();

  const executor = await stack.startExecutor({ concurrency });
  let peakRssMb = executor.rssMb();
  // All are dispatched: drained when none is Ready or Locked any more.
  await ops.waitFor(
    'drained (completed = the others)',
    (counts) => {
      peakRssMb = Math.max(peakRssMb, executor.rssMb());
      return (counts[0] ?? 0) + (counts[2] ?? 0) === 0;
    },
    { since, everyMs: 250, pendingOnly: true },
  );
  const { rows } = await ops.sql.query<{ first: string; last: string }>(
    `SELECT extract(epoch FROM min(started_on)) * 1000 AS first, extract(epoch FROM max(completed_on)) * 1000 AS last
       FROM "executor"."async_operation" WHERE name = 'bench-noop' AND created_on >= $1`,
    [since],
  );
  await executor.stop();
  return { dispatchRate, drainRate: operations / ((Number(rows[0]!.last) - Number(rows[0]!.first)) / 1000), peakRssMb };
}

async function main(): Promise<void> {
  const infra = await startInfra();
  const stack = new Stack(infra);
  const ops = await Operations.connect(infra.databaseUrl);
  try {
    await stack.startCore();
    const ours = await dispatchThenDrain(stack, ops, OPERATIONS, CONCURRENCY);
    await stack.stop();
    const plain = await drainPeer(infra.databaseUrl, OPERATIONS, CONCURRENCY, 'default');
    const batched = await drainPeer(infra.databaseUrl, OPERATIONS, CONCURRENCY, 'batched');
    console.log(
      `\n${OPERATIONS} Ready single-step operations (Flowline) and ${OPERATIONS} queued no-op jobs (graphile-worker), concurrency ${CONCURRENCY}, one PostgreSQL\n`,
    );
    printTable(
      ['measure', 'per second', 'flowline / it'],
      [
        ['flowline: drained by one executor', ours.drainRate.toFixed(0), '1.00'],
        ['graphile-worker 0.16, defaults', plain.toFixed(0), (ours.drainRate / plain).toFixed(2)],
        ['graphile-worker 0.17, local queue 500 + batched completion', batched.toFixed(0), (ours.drainRate / batched).toFixed(2)],
        ['flowline: dispatched (Kafka to Ready, no workers)', ours.dispatchRate.toFixed(0), '-'],
      ],
    );
    console.log(`\nflowline executor peak RSS while draining: ${ours.peakRssMb.toFixed(0)} MB`);
  } finally {
    await ops.close();
    await stack.stop();
    await infra.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
