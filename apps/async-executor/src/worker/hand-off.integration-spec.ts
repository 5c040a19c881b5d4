import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';
import { SERVICE_START_TIMEOUT_MS, waitFor } from '@flowline/testing';
import { startChain, type Chain } from '../../test/chain';

/**
 * The dispatcher hands the operations it creates to the free workers of its own process in its
 * insert (ready-signal.ts's HandOff): they are created Locked with that process's lease and start
 * without a claim, so their first change event is Locked. What needs the claim still goes
 * through it, Ready first: a definition that runs one at a time per record, a throttled one, and
 * everything a dispatcher with no workers of its own creates.
 */
describe('the dispatcher hands new operations to its own workers', () => {
  let chain: Chain;
  const workflow = (uniqueName: string, extra = '') => ({
    source: `schemaVersion: 1
name: ${uniqueName}
uniqueName: ${uniqueName}
category: workflow
primaryEntity: contact
${extra}triggers:
  - on: create
steps:
  - id: done
    type: stop
`,
    format: 'yaml' as const,
  });

  beforeAll(async () => {
    chain = await startChain('handoff', [workflow('taken-at-once'), workflow('one-per-record', 'dependencyToken: record\n')], {
      WORKER_POLL_MS: '100',
    });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain?.stop();
  });

  const contact = async (lastname: string) => String((await chain.call('POST', '/api/v1/records/contact', { lastname }))['id']);
  const completed = (regardingId: string, name: string) =>
    waitFor(
      async () => {
        const { rows } = await chain.sql.query(
          `SELECT * FROM "executor"."async_operation" WHERE regarding_id = $1 AND name = $2 AND state = $3`,
          [regardingId, name, State.Completed],
        );
        return rows[0] as Record<string, unknown> | undefined;
      },
      { timeoutMs: 60_000, what: `${name} to complete on ${regardingId}` },
    );
  /** The positions an operation's change events announced, oldest first, once all are published. */
  const announced = (operationId: unknown) =>
    waitFor(
      async () => {
        const { rows } = await chain.sql.query(
          `SELECT envelope->'payload'->'state' AS state, envelope->'payload'->'status' AS status, published_at
             FROM "executor"."outbox" WHERE message_key = $1 ORDER BY id`,
          [String(operationId)],
        );
        const all = rows as Array<{ state: number; status: number; published_at: Date | null }>;
        return all.length > 0 && all.every((row) => row.published_at) ? all.map(({ state, status }) => `${state}/${status}`) : undefined;
      },
      { what: `the change events of ${String(operationId)} to be published` },
    );

  it('creates an operation Locked by its own host and runs it without a claim; one run per record still waits Ready', async () => {
    // The first event also waits for the dispatcher's partitions; the next ones find free workers.
    await completed(await contact('Warm-up'), 'taken-at-once');
    const id = await contact('At once');
    const taken = await completed(id, 'taken-at-once');
    expect(taken['status']).toBe(Status.Succeeded);
    // Claimed in the insert: started when created (one statement's now()), first announced Locked.
    expect((taken['started_on'] as Date).getTime()).toBe((taken['created_on'] as Date).getTime());
    expect(await announced(taken['id'])).toEqual([`${State.Locked}/${Status.InProgress}`, `${State.Completed}/${Status.Succeeded}`]);
    // A dependency token orders the record's runs: only the claim may start it.
    const serial = await completed(id, 'one-per-record');
    expect((await announced(serial['id']))[0]).toBe(`${State.Ready}/${Status.WaitingForResources}`);
  }, 120_000);

  it('leaves a throttled definition’s operation Ready for the claim, which starts it once the hold is over', async () => {
    const [{ id: definitionId }] = (
      await chain.sql.query(`SELECT definition_id AS id FROM "executor"."async_operation" WHERE name = 'taken-at-once' LIMIT 1`)
    ).rows as Array<{ id: string }>;
    await chain.sql.query(
      `INSERT INTO "executor"."definition_throttle" ("definition_id", "consecutive_failures", "throttled_until", "updated_on")
       VALUES ($1, 5, now() + interval '3 seconds', now())
       ON CONFLICT ("definition_id") DO UPDATE SET "throttled_until" = now() + interval '3 seconds'`,
      [definitionId],
    );
    const id = await contact('Held');
    const held = await completed(id, 'taken-at-once');
    expect((await announced(held['id'])).slice(0, 2)).toEqual([
      `${State.Ready}/${Status.WaitingForResources}`,
      `${State.Locked}/${Status.InProgress}`,
    ]);
    expect((held['started_on'] as Date).getTime()).toBeGreaterThan((held['created_on'] as Date).getTime());
  }, 120_000);

  it('creates Ready operations when the dispatching process runs no workers, and another executor’s claim runs them', async () => {
    const dispatcherOnly = await chain.startExecutor({ WORKER_CONCURRENCY: '0', LOG_LEVEL: 'info' });
    try {
      const dispatchedThere = () => dispatcherOnly.process.output.some((line) => line.includes('"msg":"dispatched"'));
      // The two dispatchers share the partitions: create until one event lands on the one with no workers.
      for (let i = 0; i < 40 && !dispatchedThere(); i++) {
        await completed(await contact(`Spread ${i}`), 'taken-at-once');
      }
      expect(dispatchedThere()).toBe(true);
      const line = JSON.parse(dispatcherOnly.process.output.find((text) => text.includes('"msg":"dispatched"'))!) as Record<
        string,
        unknown
      >;
      expect(line).toMatchObject({ events: 1, started: 0 });
      // What that dispatcher created was Ready first, and a claim of the chain's executor ran it.
      const { rows } = await chain.sql.query(`SELECT * FROM "executor"."async_operation" WHERE event_id = $1`, [line['eventId']]);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows as Array<Record<string, unknown>>) {
        const done = await completed(String(row['regarding_id']), String(row['name']));
        expect((await announced(done['id']))[0]).toBe(`${State.Ready}/${Status.WaitingForResources}`);
      }
    } finally {
      await dispatcherOnly.stop();
    }
  }, 180_000);
});
