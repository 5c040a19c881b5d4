import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AsyncOperationState as State, AsyncOperationStatus as Status } from '@flowline/contracts';
import { createServiceDataSource, initializeAndMigrate } from '@flowline/persistence';
import { createTestDatabase, type TestDatabase } from '@flowline/testing';
import { ExecutorEntities } from '../database/entities';
import { ExecutorMigrations } from '../database/migrations';
import { OperationEvents } from './operation-events';
import { OperationRepository } from './operation-repository';
import { OperationStore } from './operation-store';

/**
 * The sweeper finds due timers without a lock, then wakes them one by one. Meanwhile a record
 * event, an operator or another replica's sweeper may have moved one: the wake then does nothing
 * and says so, instead of throwing (which ended the sweep and backed the claim loop off).
 */
describe('the sweeper wakes a due timer only while it is one', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: OperationRepository;

  beforeAll(async () => {
    db = await createTestDatabase('sweeper');
    dataSource = createServiceDataSource({
      url: db.url,
      schema: 'executor',
      entities: ExecutorEntities,
      migrations: ExecutorMigrations,
      applicationName: 'sweeper-test',
    });
    await initializeAndMigrate(dataSource);
    const events = new OperationEvents();
    repository = new OperationRepository(dataSource, events, new OperationStore(events));
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const suspendedDue = async (): Promise<string> => {
    const id = randomUUID();
    await dataSource.query(
      `INSERT INTO "executor"."async_operation"
         ("id", "operation_type", "name", "process_key", "state", "status", "event_id", "correlation_id", "depth",
          "primary_entity", "regarding_id", "owner", "input", "postpone_until", "trace_context", "row_version")
       VALUES ($1::uuid, 10, 'Timer', 'p-' || $1::text, $2, $3, gen_random_uuid(), 'corr', 1, 'account', 'rec-1', 'olga', '{}'::jsonb,
               now() - interval '1 second', '{}'::jsonb, 1)`,
      [id, State.Suspended, Status.Waiting],
    );
    return id;
  };
  const position = async (id: string) =>
    (
      (await dataSource.query(`SELECT "state", "status" FROM "executor"."async_operation" WHERE "id" = $1`, [id])) as Array<{
        state: number;
        status: number;
      }>
    )[0];
  const changes = async (id: string) =>
    Number(
      (
        (await dataSource.query(`SELECT count(*) AS "n" FROM "executor"."outbox" WHERE "message_key" = $1`, [id])) as Array<{ n: string }>
      )[0]!.n,
    );

  it('wakes a due timer once: Ready, one change message', async () => {
    const id = await suspendedDue();
    expect(await repository.dueTimers()).toContain(id);
    await expect(repository.wakeDue(id)).resolves.toBe(true);
    expect(await position(id)).toEqual({ state: State.Ready, status: Status.WaitingForResources });
    expect(await changes(id)).toBe(1);
  });

  it('does nothing, without an error, when something woke it between the sweep and the wake', async () => {
    const id = await suspendedDue();
    expect(await repository.dueTimers()).toContain(id);
    // A record event (or another sweeper) wakes it first.
    await expect(repository.wakeDue(id)).resolves.toBe(true);
    await expect(repository.wakeDue(id)).resolves.toBe(false);
    expect(await changes(id)).toBe(1);
  });

  it('wakes it once when two replicas sweep the same timer at the same moment', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => suspendedDue()));
    const results = await Promise.all(ids.flatMap((id) => [repository.wakeDue(id), repository.wakeDue(id)]));
    expect(results.filter(Boolean)).toHaveLength(20);
    for (const id of ids) {
      expect(await position(id)).toEqual({ state: State.Ready, status: Status.WaitingForResources });
      expect(await changes(id)).toBe(1);
    }
  });
});
