/**
 * The peer the executor benches measure beside Flowline, on the same PostgreSQL in the same run:
 * graphile-worker running no-op jobs. Two ways:
 * - streaming: jobs added with addJob 16 at a time while the worker runs (the end-to-end peer),
 *   with the latency from addJob to start and to completion;
 * - drain: jobs already queued (one INSERT ... SELECT generate_series through add_job), then one
 *   worker started and timed until the queue is empty (the executor-alone peer), with
 *   graphile-worker 0.16 defaults, or 0.17 "batched": its local queue (one fetch locks a batch)
 *   and batched completion (one statement completes the jobs finished in the same tick). 0.16
 *   has neither option, so the batched peer is 0.17, in a schema of its own.
 */
import { Logger as Logger16, makeWorkerUtils, run as run16 } from 'graphile-worker';
import { Logger as Logger17, run as run17, makeWorkerUtils as makeWorkerUtils17 } from 'graphile-worker-batched';
import { Client, Pool } from 'pg';
import { cpuPer, cpuTimes, sleep, type CpuTimes } from './stack';

export interface StreamFigures {
  inRate: number;
  doneRate: number;
  toStart: number[];
  toDone: number[];
  idleStart: number[];
  idleDone: number[];
  /** CPU ms per job during the burst: PostgreSQL's processes and the bench's (the peer's worker and the client adding jobs). */
  cpu: CpuTimes;
}

/** `jobs` no-op jobs added 16 at a time while a worker of `concurrency` runs them; then `alone` one at a time. */
export async function streamingPeer(databaseUrl: string, jobs: number, concurrency: number, alone: number): Promise<StreamFigures> {
  const quiet = new Logger16(() => () => undefined);
  // One pool of our own, ended at the end: none is left open when the database stops.
  const pgPool = new Pool({ connectionString: databaseUrl, max: concurrency + 2 });
  pgPool.on('error', () => undefined);
  const utils = await makeWorkerUtils({ pgPool, logger: quiet });
  await utils.migrate();
  const added = new Map<string, number>();
  const started = new Map<string, number>();
  const toDone: number[] = [];
  const runner = await run16({
    pgPool,
    concurrency,
    noHandleSignals: true,
    pollInterval: 500,
    logger: quiet,
    taskList: {
      noop: async (payload) => {
        started.set((payload as { key: string }).key, Date.now());
      },
    },
  });
  runner.events.on('job:success', ({ job }) => {
    const key = (job.payload as { key: string }).key;
    toDone.push(Date.now() - added.get(key)!);
  });
  await sleep(500);
  const cpuBefore = cpuTimes([]);
  const began = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < jobs) {
        const key = `job-${began}-${next++}`;
        added.set(key, Date.now());
        await utils.addJob('noop', { key });
      }
    }),
  );
  const inRate = jobs / ((Date.now() - began) / 1000);
  for (let i = 0; i < 12_000 && toDone.length < jobs; i++) {
    process.stderr.write(`\rgraphile-worker jobs completed: ${toDone.length}/${jobs}`);
    await sleep(50);
  }
  process.stderr.write('\n');
  const doneRate = jobs / ((Date.now() - began) / 1000);
  const cpu = cpuPer(cpuBefore, cpuTimes([]), jobs);
  const idleStart: number[] = [];
  const idleDone: number[] = [];
  for (let i = 0; i < alone; i++) {
    const key = `alone-${began}-${i}`;
    const done = new Promise<void>((resolve) => {
      const listener = ({ job }: { job: { payload: unknown } }) => {
        if ((job.payload as { key: string }).key !== key) return;
        runner.events.off('job:success', listener);
        resolve();
      };
      runner.events.on('job:success', listener);
    });
    const sentAt = Date.now();
    added.set(key, sentAt);
    await utils.addJob('noop', { key });
    await done;
    idleDone.push(Date.now() - sentAt);
    idleStart.push(started.get(key)! - sentAt);
  }
  await runner.stop();
  await utils.release();
  await pgPool.end();
  return {
    inRate,
    doneRate,
    toStart: [...started.entries()].map(([key, at]) => Math.max(0, at - added.get(key)!)).sort((a, b) => a - b),
    toDone: toDone.sort((a, b) => a - b),
    idleStart: idleStart.sort((a, b) => a - b),
    idleDone: idleDone.sort((a, b) => a - b),
    cpu,
  };
}

export type DrainVariant = 'default' | 'batched';

/** Queues `jobs` no-op jobs, then times one worker of `concurrency` draining them: jobs per second. */
export async function drainPeer(databaseUrl: string, jobs: number, concurrency: number, variant: DrainVariant): Promise<number> {
  const schema = variant === 'default' ? 'graphile_worker' : 'graphile_worker_batched';
  let completed = 0;
  let resolveDone!: () => void;
  const allDone = new Promise<void>((resolve) => (resolveDone = resolve));
  const onSuccess = () => {
    if (++completed === jobs) resolveDone();
  };
  const taskList = { noop: async () => undefined };
  const sql = new Client({ connectionString: databaseUrl });
  await sql.connect();
  const queue = async () => {
    await sql.query(`SELECT "${schema}".add_job('noop', json_build_object('i', i)) FROM generate_series(1, $1) AS i`, [jobs]);
  };
  try {
    if (variant === 'default') {
      const quiet = new Logger16(() => () => undefined);
      const utils = await makeWorkerUtils({ connectionString: databaseUrl, logger: quiet, schema });
      await utils.migrate();
      await utils.release();
      await queue();
      const began = Date.now();
      const runner = await run16({ connectionString: databaseUrl, schema, concurrency, noHandleSignals: true, logger: quiet, taskList });
      runner.events.on('job:success', onSuccess);
      await allDone;
      const rate = jobs / ((Date.now() - began) / 1000);
      await runner.stop();
      return rate;
    }
    const quiet = new Logger17(() => () => undefined);
    const preset = {
      worker: {
        connectionString: databaseUrl,
        schema,
        concurrency,
        logger: quiet,
        // Its performance guide's batching settings: a local queue of 500 locked jobs, and
        // completions of the same tick in one statement.
        localQueue: { size: 500 },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
      },
    };
    const utils = await makeWorkerUtils17({ preset });
    await utils.migrate();
    await utils.release();
    await queue();
    const began = Date.now();
    const runner = await run17({ preset, noHandleSignals: true, taskList });
    runner.events.on('job:success', onSuccess);
    await allDone;
    const rate = jobs / ((Date.now() - began) / 1000);
    await runner.stop();
    return rate;
  } finally {
    await sql.end();
  }
}
