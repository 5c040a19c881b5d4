/**
 * End-to-end workflow throughput and latency, with graphile-worker on the same database as the
 * reference.
 *   npm run bench:executor -- [workflows] [worker concurrency] [--replicas 1,2,3]
 * Starts an embedded PostgreSQL (or uses DATABASE_URL), the development broker, a registry, a
 * gateway and an executor, with one activated workflow (a `noop` custom activity) on contact
 * creation. Contacts are created over gRPC, 16 at a time; each creation commits a pipeline event
 * that the dispatcher turns into an operation that a worker runs. Measured: events in per
 * second, workflows completed per second, and the latency from submitting the Execute (the
 * event commits inside it) to the workflow's start and to its completion; for graphile-worker,
 * from calling addJob. The reference runs the same number of
 * no-op jobs through graphile-worker (added 16 at a time, the same worker concurrency) on the
 * same PostgreSQL in the same run: the ratio is what Flowline's pipeline, Kafka hop and durable
 * interpreter cost over a bare job queue. With `--replicas 1,2,3` the Flowline run is repeated
 * with that many executor replicas (the same registry and gateway), a row per count.
 */
import { Client } from 'pg';
import { percentile } from '../support';
import { streamingPeer } from './graphile-peer';
import { cpuPer, flag, printTable, sleep, Stack, startInfra, WORKFLOW_NAME, type CpuTimes } from './stack';

const positional = process.argv.slice(2).filter((arg, i, all) => !arg.startsWith('--') && !all[i - 1]?.startsWith('--'));
const WORKFLOWS = Number(positional[0] ?? 1000);
const CONCURRENCY = Number(positional[1] ?? 8);
const REPLICAS = flag('replicas', '').split(',').filter(Boolean).map(Number);

interface Figures {
  inRate: number;
  doneRate: number;
  /** Flowline only: from the Execute to the operation's insert by the dispatcher (through the outbox and Kafka). */
  toDispatch: number[];
  toStart: number[];
  toDone: number[];
  /** One at a time on an idle system: the latency a single event sees, by stage (Flowline only for the first two). */
  idleAnswered: number[];
  idleDispatch: number[];
  idleStart: number[];
  idleDone: number[];
  /** CPU ms per workflow during the burst, by part (cpuTimes in stack.ts). */
  cpu: CpuTimes;
}

const ONE_AT_A_TIME = 50;

async function flowline(stack: Stack, databaseUrl: string, replicas: number): Promise<Figures> {
  const executors = [];
  for (let i = 0; i < replicas; i++) executors.push(await stack.startExecutor({ concurrency: CONCURRENCY, pollMs: 500 }));
  await sleep(1500 * replicas); // the dispatchers' consumer group settles
  const gateway = stack.gatewayClient();
  const runBegan = new Date(Date.now() - 1000);
  const committed = new Map<string, number>();
  const cpuBefore = stack.cpu();
  const began = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < WORKFLOWS) {
        const i = next++;
        const sentAt = Date.now();
        const answer = await gateway.client.execute({
          message: 'Create',
          entity: 'contact',
          id: '',
          targetJson: JSON.stringify({ lastname: `Bench ${i}` }),
          parametersJson: '',
          expectedVersion: 0,
          idempotencyKey: '',
          depth: 1,
          correlationId: 'bench',
          columns: [],
          operationsJson: '',
        });
        committed.set(answer.id, sentAt);
      }
    }),
  );
  const inRate = WORKFLOWS / ((Date.now() - began) / 1000);
  const sql = new Client({ connectionString: databaseUrl });
  await sql.connect();
  let rows: Array<{ regarding_id: string; created: string; started: string; done: string; state: number }> = [];
  for (let i = 0; i < 1200; i++) {
    rows = (
      await sql.query(
        `SELECT regarding_id, extract(epoch FROM created_on) * 1000 AS created, extract(epoch FROM started_on) * 1000 AS started, extract(epoch FROM completed_on) * 1000 AS done, state
           FROM "executor"."async_operation" WHERE name = $1 AND created_on >= $2`,
        [WORKFLOW_NAME, runBegan],
      )
    ).rows.filter((row) => committed.has(row.regarding_id));
    const done = rows.filter((row) => row.state === 3).length;
    process.stderr.write(`\rflowline workflows completed: ${done}/${WORKFLOWS}`);
    if (done >= WORKFLOWS) break;
    await sleep(100);
  }
  process.stderr.write('\n');
  const cpu = cpuPer(cpuBefore, stack.cpu(), WORKFLOWS);
  const finished = Math.max(...rows.map((row) => Number(row.done)));
  // One at a time, each waited for: the latency of a single event on an idle system.
  const idleAnswered: number[] = [];
  const idleDispatch: number[] = [];
  const idleStart: number[] = [];
  const idleDone: number[] = [];
  for (let i = 0; i < ONE_AT_A_TIME; i++) {
    const sentAt = Date.now();
    const answer = await gateway.client.execute({
      message: 'Create',
      entity: 'contact',
      id: '',
      targetJson: JSON.stringify({ lastname: `Alone ${i}` }),
      parametersJson: '',
      expectedVersion: 0,
      idempotencyKey: '',
      depth: 1,
      correlationId: 'bench',
      columns: [],
      operationsJson: '',
    });
    idleAnswered.push(Date.now() - sentAt);
    for (;;) {
      const [row] = (
        await sql.query(
          `SELECT extract(epoch FROM created_on) * 1000 AS created, extract(epoch FROM started_on) * 1000 AS started, extract(epoch FROM completed_on) * 1000 AS done
             FROM "executor"."async_operation" WHERE regarding_id = $1 AND state = 3`,
          [answer.id],
        )
      ).rows as Array<{ created: string; started: string; done: string }>;
      if (row) {
        idleDispatch.push(Number(row.created) - sentAt);
        idleStart.push(Number(row.started) - sentAt);
        idleDone.push(Number(row.done) - sentAt);
        break;
      }
      await sleep(2);
    }
  }
  gateway.close();
  await sql.end();
  for (const executor of executors) await executor.stop();
  return {
    inRate,
    doneRate: WORKFLOWS / ((finished - began) / 1000),
    toDispatch: rows.map((row) => Number(row.created) - committed.get(row.regarding_id)!).sort((a, b) => a - b),
    toStart: rows.map((row) => Number(row.started) - committed.get(row.regarding_id)!).sort((a, b) => a - b),
    toDone: rows.map((row) => Number(row.done) - committed.get(row.regarding_id)!).sort((a, b) => a - b),
    idleAnswered: idleAnswered.sort((a, b) => a - b),
    idleDispatch: idleDispatch.sort((a, b) => a - b),
    idleStart: idleStart.sort((a, b) => a - b),
    idleDone: idleDone.sort((a, b) => a - b),
    cpu,
  };
}

/**
 * Where the CPU of the burst went, per workflow (per job for the peer): each service, PostgreSQL,
 * and the bench's own process, which holds the gRPC clients and the development broker for
 * Flowline, and graphile-worker's worker and its client for the peer. On two cores, the total is
 * what bounds throughput once nothing waits.
 */
function cpuRows(ours: CpuTimes, peer: CpuTimes): string[][] {
  const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(2));
  const total = (times: CpuTimes) => Object.values(times).reduce((sum, value) => sum + value, 0);
  const parts: Array<[string, string]> = [
    ['event-gateway', 'gateway'],
    ['async-executor', 'executor'],
    ['process-registry', 'registry'],
    ['postgres', 'PostgreSQL'],
    ['bench', 'bench process (clients, broker; peer: its worker)'],
  ];
  return [
    ...parts.map(([part, label]) => [`CPU ms per workflow: ${label}`, ms(ours[part]), part in peer ? ms(peer[part]) : '-', '-']),
    ['CPU ms per workflow: total', ms(total(ours)), ms(total(peer)), (total(ours) / total(peer)).toFixed(1)],
  ];
}

async function main(): Promise<void> {
  const infra = await startInfra();
  const stack = new Stack(infra);
  try {
    await stack.startCore();
    const counts = REPLICAS.length > 0 ? REPLICAS : [1];
    const runs: Array<[number, Figures]> = [];
    for (const replicas of counts) runs.push([replicas, await flowline(stack, infra.databaseUrl, replicas)]);
    await stack.stop();
    const reference = await streamingPeer(infra.databaseUrl, WORKFLOWS, CONCURRENCY, ONE_AT_A_TIME);
    const [, ours] = runs[0]!;
    const rows: string[][] = [
      ['events (or jobs) in per second', ours.inRate.toFixed(0), reference.inRate.toFixed(0), (ours.inRate / reference.inRate).toFixed(2)],
      ['completed per second', ours.doneRate.toFixed(0), reference.doneRate.toFixed(0), (ours.doneRate / reference.doneRate).toFixed(2)],
      ...(
        [
          ['commit to dispatch p50 (ms)', ours.toDispatch, [], 50],
          ['commit to dispatch p99 (ms)', ours.toDispatch, [], 99],
          ['commit to start p50 (ms)', ours.toStart, reference.toStart, 50],
          ['commit to start p99 (ms)', ours.toStart, reference.toStart, 99],
          ['commit to completion p50 (ms)', ours.toDone, reference.toDone, 50],
          ['commit to completion p99 (ms)', ours.toDone, reference.toDone, 99],
          [`one at a time: Execute answered p50 (ms)`, ours.idleAnswered, [], 50],
          [`one at a time: to dispatch p50 (ms)`, ours.idleDispatch, [], 50],
          [`one at a time: to start p50 (ms)`, ours.idleStart, reference.idleStart, 50],
          [`one at a time: to start p99 (ms)`, ours.idleStart, reference.idleStart, 99],
          [`one at a time: to completion p50 (ms)`, ours.idleDone, reference.idleDone, 50],
          [`one at a time: to completion p99 (ms)`, ours.idleDone, reference.idleDone, 99],
        ] as const
      ).map(([name, a, b, p]): string[] => {
        const x = percentile(a, p);
        if (b.length === 0) return [name, x.toFixed(0), '-', '-'];
        const y = percentile(b, p);
        return [name, x.toFixed(0), y.toFixed(0), y > 0 ? (x / y).toFixed(1) : 'n/a'];
      }),
      ...cpuRows(ours.cpu, reference.cpu),
    ];
    console.log(
      `\n${WORKFLOWS} workflows (Flowline, ${counts[0]} executor) and ${WORKFLOWS} no-op jobs (graphile-worker 0.16), worker concurrency ${CONCURRENCY}, one PostgreSQL\n`,
    );
    printTable(['measure', 'flowline', 'graphile', 'ratio'], rows);
    if (REPLICAS.length > 0) {
      console.log(
        `\nBy executor replicas (each with worker concurrency ${CONCURRENCY}); graphile-worker: ${reference.doneRate.toFixed(0)} jobs/s\n`,
      );
      printTable(
        [
          'replicas',
          'in/s',
          'completed/s',
          'vs graphile',
          'dispatch p99 ms',
          'start p99 ms',
          'completion p50 ms',
          'completion p99 ms',
          'alone p50 ms',
        ],
        runs.map(([replicas, figures]) => [
          String(replicas),
          figures.inRate.toFixed(0),
          figures.doneRate.toFixed(0),
          (figures.doneRate / reference.doneRate).toFixed(2),
          percentile(figures.toDispatch, 99).toFixed(0),
          percentile(figures.toStart, 99).toFixed(0),
          percentile(figures.toDone, 50).toFixed(0),
          percentile(figures.toDone, 99).toFixed(0),
          percentile(figures.idleDone, 50).toFixed(0),
        ]),
      );
    }
  } finally {
    await stack.stop();
    await infra.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
