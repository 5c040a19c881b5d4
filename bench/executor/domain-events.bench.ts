/**
 * Domain events in: contact creations produced to `flowline.domain-events.v1` with kafkajs in
 * batches, applied by the gateway's domain-event consumer as records through the pipeline, each
 * triggering the no-op workflow that one executor runs; beside graphile-worker's no-op jobs
 * (added 16 at a time, the same worker concurrency) on the same PostgreSQL in the same run.
 *   npm run bench:domain-events -- [--events 5000] [--concurrency 16] [--batch 500]
 * Measured: events applied per second (first send to the last event's idempotency answer in the
 * gateway's table) and workflows completed per second (first send to the last completion).
 */
import { streamingPeer } from './graphile-peer';
import { flag, Operations, printTable, sleep, Stack, startInfra } from './stack';

const EVENTS = Number(flag('events', '5000'));
const CONCURRENCY = Number(flag('concurrency', '16'));
const BATCH = Number(flag('batch', '500'));

async function main(): Promise<void> {
  const infra = await startInfra();
  const stack = new Stack(infra);
  const ops = await Operations.connect(infra.databaseUrl);
  try {
    await stack.startCore();
    await stack.startExecutor({ concurrency: CONCURRENCY });
    await sleep(1500); // the consumer groups settle
    const since = new Date(Date.now() - 1000);
    const began = Date.now();
    await stack.produceDomainEvents(EVENTS, BATCH);
    const producedIn = (Date.now() - began) / 1000;
    let appliedAt = 0;
    const deadline = Date.now() + 60 * 60_000;
    for (;;) {
      const [{ applied }] = (
        await ops.sql.query<{ applied: string }>(
          `SELECT count(*) AS applied FROM "gateway"."idempotency_key" WHERE key LIKE 'domain-event:%'`,
        )
      ).rows as [{ applied: string }];
      if (!appliedAt && Number(applied) >= EVENTS) appliedAt = Date.now();
      const counts = await ops.countByState(since);
      process.stderr.write(`\rdomain events applied ${applied}/${EVENTS}, workflows completed ${counts[3] ?? 0}     `);
      if (appliedAt && (counts[3] ?? 0) >= EVENTS) break;
      if (Date.now() > deadline) throw new Error('domain events were not applied and run in time');
      await sleep(250);
    }
    process.stderr.write('\n');
    const appliedRate = EVENTS / ((appliedAt - began) / 1000);
    const doneRate = EVENTS / ((Number(await ops.lastCompletion(since)) - began) / 1000);
    await stack.stop();
    const peer = await streamingPeer(infra.databaseUrl, EVENTS, CONCURRENCY, 0);
    console.log(
      `\n${EVENTS} domain events (batches of ${BATCH}, produced in ${producedIn.toFixed(1)} s) each triggering a workflow (Flowline), ` +
        `${EVENTS} no-op jobs (graphile-worker 0.16, added 16 at a time), worker concurrency ${CONCURRENCY}, one PostgreSQL\n`,
    );
    printTable(
      ['measure', 'flowline', 'graphile', 'ratio'],
      [
        [
          'domain events applied (jobs added) per second',
          appliedRate.toFixed(0),
          peer.inRate.toFixed(0),
          (appliedRate / peer.inRate).toFixed(2),
        ],
        ['workflows (jobs) completed per second', doneRate.toFixed(0), peer.doneRate.toFixed(0), (doneRate / peer.doneRate).toFixed(2)],
      ],
    );
  } finally {
    await ops.close();
    await stack.stop();
    await infra.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
