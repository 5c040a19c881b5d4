/**
 * Cost as work grows: dispatch (Kafka to Ready) and claim-and-run (Ready to Completed)
 * throughput on an empty operation table, then again with a million completed and a hundred
 * thousand suspended operations in it (each with a wait subscription); then the executor's
 * resident memory while a backlog of Ready operations waits.
 *   npm run bench:executor-growth -- [--operations 2000] [--completed 1000000] [--suspended 100000]
 *                                    [--backlog 100000] [--concurrency 16] [--rss-seconds 30]
 * The filler rows are set-based inserts (INSERT ... SELECT generate_series) copying a real
 * dispatched operation with every column of the current migrations; the backlog copies a real
 * Ready one, so the executor claims and runs them like any other. Their operation, event and
 * record ids are time-ordered as Flowline makes them (UUIDv7 of the row's creation time, with
 * PostgreSQL 18's uuidv7; random ones on an older server, which the table then says).
 */
import { dispatchThenDrain, type AloneFigures } from './alone.bench';
import { flag, Operations, printTable, sleep, Stack, startInfra } from './stack';

const OPERATIONS = Number(flag('operations', '2000'));
const COMPLETED = Number(flag('completed', '1000000'));
const SUSPENDED = Number(flag('suspended', '100000'));
const BACKLOG = Number(flag('backlog', '100000'));
const CONCURRENCY = Number(flag('concurrency', '16'));
const RSS_SECONDS = Number(flag('rss-seconds', '30'));

/** Every column of executor.async_operation (migrations AsyncOperations and OperationControl) but the serial sequence. */
const COLUMNS = [
  'id',
  'operation_type',
  'name',
  'process_key',
  'definition_id',
  'definition_version',
  'step_registration_id',
  'state',
  'status',
  'event_id',
  'correlation_id',
  'depth',
  'primary_entity',
  'regarding_id',
  'owner',
  'input',
  'instance_state',
  'dependency_token',
  'postpone_until',
  'retry_count',
  'error_code',
  'friendly_message',
  'current_stage',
  'host',
  'lease_expires_at',
  'trace_context',
  'created_on',
  'started_on',
  'completed_on',
  'execution_time_ms',
  'row_version',
] as const;

type Column = (typeof COLUMNS)[number];

/** `count` copies of the template row (in bench_template, by kind), with the given columns overridden. */
async function copies(ops: Operations, kind: string, count: number, overrides: Partial<Record<Column, string>>): Promise<void> {
  const select = COLUMNS.map((column) => overrides[column] ?? `t."${column}"`).join(', ');
  await ops.sql.query(
    `INSERT INTO "executor"."async_operation" (${COLUMNS.map((c) => `"${c}"`).join(', ')})
     SELECT ${select} FROM "public"."bench_template" t, generate_series(1, $1) AS i WHERE t.kind = $2`,
    [count, kind],
  );
}

async function main(): Promise<void> {
  const infra = await startInfra();
  const stack = new Stack(infra);
  const ops = await Operations.connect(infra.databaseUrl);
  try {
    await stack.startCore();
    const empty = await dispatchThenDrain(stack, ops, OPERATIONS, CONCURRENCY);
    // Templates: a completed operation as the workers left it.
    await ops.sql.query(
      `CREATE TABLE "public"."bench_template" AS SELECT 'completed'::text AS kind, o.* FROM "executor"."async_operation" o WHERE state = 3 LIMIT 1`,
    );

    let began = Date.now();
    const shift = `i * interval '1 ms' - interval '2 days'`;
    const past = `now() + ${shift}`;
    // An id made at `created_on` (the operation's, its event's and its Create's record's).
    const timeOrdered = (await ops.sql.query(`SELECT current_setting('server_version_num')::int >= 180000 AS "v7"`)).rows[0].v7 as boolean;
    const idAt = (at: string): string => (timeOrdered ? `uuidv7(${at})` : 'gen_random_uuid()');
    await copies(ops, 'completed', COMPLETED, {
      id: idAt(shift),
      name: `'bench-filler'`,
      event_id: idAt(shift),
      regarding_id: `${idAt(shift)}::text`,
      created_on: past,
      started_on: past,
      completed_on: past,
    });
    await copies(ops, 'completed', SUSPENDED, {
      id: idAt(shift),
      name: `'bench-filler'`,
      state: '1',
      status: '10',
      event_id: idAt(shift),
      regarding_id: `${idAt(shift)}::text`,
      dependency_token: 'NULL',
      // Waiting on a record, with no timeout (a past postpone_until would read as a timer that fired).
      postpone_until: `'infinity'::timestamptz`,
      instance_state: 'NULL',
      host: 'NULL',
      lease_expires_at: 'NULL',
      completed_on: 'NULL',
      created_on: past,
      started_on: past,
    });
    // Each suspended one waits on a record of its own (none of them is ever changed).
    await ops.sql.query(
      `INSERT INTO "executor"."wait_subscription" ("operation_id", "entity", "record_id")
       SELECT id, 'contact', ${idAt('created_on - now()')}::text FROM "executor"."async_operation" WHERE state = 1 AND name = 'bench-filler'`,
    );
    // A table grown over days has been vacuumed (hint bits set, visibility map filled) and
    // checkpointed; one just bulk-loaded has not, and autovacuum would do it during the measurement.
    // One statement each: VACUUM cannot run inside the implicit transaction of a multi-statement query.
    await ops.sql.query(`VACUUM (ANALYZE) "executor"."async_operation"`);
    await ops.sql.query(`VACUUM (ANALYZE) "executor"."wait_subscription"`);
    await ops.sql.query('CHECKPOINT').catch(() => undefined); // needs a superuser (or pg_checkpoint) with DATABASE_URL
    const filledIn = (Date.now() - began) / 1000;
    const grown = await dispatchThenDrain(stack, ops, OPERATIONS, CONCURRENCY);

    // The backlog: Ready copies of a real dispatched operation, each of its own event and record.
    const dispatcher = await stack.startExecutor({ concurrency: 0 });
    const since = new Date(Date.now() - 1000);
    await stack.producePipelineEvents(1);
    await ops.waitFor('template', (counts) => (counts[0] ?? 0) >= 1, { since, pendingOnly: true });
    await dispatcher.stop();
    await ops.sql.query(
      `INSERT INTO "public"."bench_template" SELECT 'ready', o.* FROM "executor"."async_operation" o WHERE state = 0 AND name = 'bench-noop' LIMIT 1`,
    );
    await copies(ops, 'ready', BACKLOG - 1, {
      id: idAt(`interval '0'`),
      event_id: idAt(`interval '0'`),
      regarding_id: `${idAt(`interval '0'`)}::text`,
    });
    await ops.sql.query(`ANALYZE "executor"."async_operation"`);
    began = Date.now();
    const executor = await stack.startExecutor({ concurrency: CONCURRENCY });
    const idleRss = executor.rssMb();
    let peakRss = idleRss;
    while (Date.now() - began < RSS_SECONDS * 1000) {
      peakRss = Math.max(peakRss, executor.rssMb());
      await sleep(250);
    }
    const left = (await ops.countByState(since, true))[0] ?? 0;
    await executor.stop();

    console.log(
      `\n${OPERATIONS} single-step operations dispatched then drained (concurrency ${CONCURRENCY}), on an empty table and with ` +
        `${COMPLETED} completed + ${SUSPENDED} suspended operations in it (inserted in ${filledIn.toFixed(0)} s, ` +
        `${timeOrdered ? 'time-ordered' : 'random (PostgreSQL before 18)'} ids)\n`,
    );
    const row = (name: string, pick: (f: AloneFigures) => number): string[] => [
      name,
      pick(empty).toFixed(0),
      pick(grown).toFixed(0),
      (pick(grown) / pick(empty)).toFixed(2),
    ];
    printTable(
      ['measure', 'empty', 'grown', 'grown / empty'],
      [
        row('dispatched per second (Kafka to Ready)', (f) => f.dispatchRate),
        row('claimed, run and completed per second', (f) => f.drainRate),
      ],
    );
    console.log(
      `\nexecutor RSS with a backlog of ${BACKLOG} Ready operations: ${idleRss.toFixed(0)} MB when ready, ` +
        `${peakRss.toFixed(0)} MB at most over ${RSS_SECONDS} s of draining (${BACKLOG - left} done, ${left} still Ready)`,
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
