import type { DataSource } from 'typeorm';
import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';
import { createServiceDataSource, initializeAndMigrate, timeOrderedId } from '@flowline/persistence';
import { createTestDatabase, type TestDatabase } from '@flowline/testing';
import { ExecutorEntities } from '../database/entities';
import { ExecutorMigrations } from '../database/migrations';
import { OperationEvents } from './operation-events';
import { OperationStore, subscribersOf } from './operation-store';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

/**
 * Waking the operations waiting on a batch of changed records (the dispatcher's batch, a batch of
 * ended children) looks each record up in IDX_wait_subscription_record, so it costs the same
 * however many operations wait: with 100,000 waiting, a join planned as a hash of the whole
 * subscription table took 150 to 250 ms a batch (bench/executor/README.md, "Time-ordered ids and
 * per-record wake lookups").
 */
describe('waking the operations waiting on changed records', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const store = new OperationStore(new OperationEvents());

  beforeAll(async () => {
    db = await createTestDatabase('wake-lookup');
    dataSource = createServiceDataSource({
      url: db.url,
      schema: 'executor',
      entities: ExecutorEntities,
      migrations: ExecutorMigrations,
      applicationName: 'wake-lookup-test',
    });
    await initializeAndMigrate(dataSource);
    // 100,000 operations waiting on a record each (the subscriptions are what the lookup reads).
    await dataSource.query(
      `INSERT INTO "executor"."wait_subscription" ("operation_id", "entity", "record_id")
       SELECT gen_random_uuid(), 'contact', gen_random_uuid()::text FROM generate_series(1, 100000)`,
    );
    await dataSource.query(`ANALYZE "executor"."wait_subscription"`);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const records = (count: number): string[] => Array.from({ length: count }, () => timeOrderedId());

  it('looks each of a thousand records up in the index instead of reading every subscription', async () => {
    const ids = records(1000);
    const [
      {
        'QUERY PLAN': [explained],
      },
    ] = (await dataSource.query(
      `EXPLAIN (FORMAT JSON)
       WITH touched AS (SELECT * FROM unnest($1::text[], $2::text[]) AS t("entity", "record_id"))
       ${subscribersOf('touched')}`,
      [ids.map(() => 'contact'), ids],
    )) as Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>;
    const plan = nodes(explained!.Plan);
    const onSubscriptions = plan.filter((node) => node['Relation Name'] === 'wait_subscription');
    expect(onSubscriptions.length).toBeGreaterThan(0);
    expect(onSubscriptions.map((node) => node['Node Type'])).not.toContain('Seq Scan');
    expect(onSubscriptions.map((node) => node['Index Name'])).toEqual(onSubscriptions.map(() => 'IDX_wait_subscription_record'));
  });

  it('wakes exactly the operations waiting on the changed records, among a thousand changed', async () => {
    const [waiting, untouched] = [timeOrderedId(), timeOrderedId()];
    const [recordOfWaiting, recordOfUntouched] = records(2);
    for (const [id, record] of [
      [waiting, recordOfWaiting],
      [untouched, recordOfUntouched],
    ] as const) {
      await dataSource.query(
        `INSERT INTO "executor"."async_operation"
           ("id", "operation_type", "name", "process_key", "state", "status", "event_id", "correlation_id", "depth",
            "primary_entity", "regarding_id", "owner", "input", "postpone_until", "trace_context", "row_version")
         VALUES ($1::uuid, 10, 'Flow', 'p-' || $1::text, $2, $3, gen_random_uuid(), 'corr', 1, 'contact', $4, 'olga',
                 '{}'::jsonb, 'infinity', '{}'::jsonb, 1)`,
        [id, State.Suspended, Status.Waiting, record],
      );
      await dataSource.query(
        `INSERT INTO "executor"."wait_subscription" ("operation_id", "entity", "record_id") VALUES ($1, 'contact', $2)`,
        [id, record],
      );
    }
    const changed = [...records(500), recordOfWaiting!, ...records(499)];
    const woken = await dataSource.transaction((manager) =>
      store.wakeWaitingOn(
        manager,
        changed.map(() => 'contact'),
        changed,
      ),
    );
    expect(woken).toEqual([waiting]);
    const rows = (await dataSource.query(
      `SELECT "id", "state", "status" FROM "executor"."async_operation" WHERE "id" = ANY($1::uuid[]) ORDER BY "id"`,
      [[waiting, untouched]],
    )) as Array<{ id: string; state: number; status: number }>;
    expect(rows).toEqual([
      { id: waiting, state: State.Ready, status: Status.WaitingForResources },
      { id: untouched, state: State.Suspended, status: Status.Waiting },
    ]);
    const left = (await dataSource.query(
      `SELECT "operation_id" FROM "executor"."wait_subscription" WHERE "operation_id" = ANY($1::uuid[])`,
      [[waiting, untouched]],
    )) as Array<{ operation_id: string }>;
    expect(left.map((row) => row.operation_id)).toEqual([untouched]);
  });
});
