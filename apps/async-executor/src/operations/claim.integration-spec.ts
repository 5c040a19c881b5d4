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
 * The claim is a prepared statement on a connection of its own: it must take operations in
 * order, hold the per-definition limit, survive a migration that adds a column under it, and
 * reconnect after PostgreSQL dropped its connection.
 */
describe('the claim', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: OperationRepository;
  const definitionId = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase('claim');
    dataSource = createServiceDataSource({
      url: db.url,
      schema: 'executor',
      entities: ExecutorEntities,
      migrations: ExecutorMigrations,
      applicationName: 'claim-test',
    });
    await initializeAndMigrate(dataSource);
    const events = new OperationEvents();
    repository = new OperationRepository(dataSource, events, new OperationStore(events));
  });
  afterAll(async () => {
    await repository?.onApplicationShutdown();
    await dataSource?.destroy();
    await db?.drop();
  });
  afterEach(async () => {
    await dataSource.query(`DELETE FROM "executor"."async_operation"`);
  });

  const ready = async (count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      await dataSource.query(
        `INSERT INTO "executor"."async_operation"
           ("id", "operation_type", "name", "process_key", "definition_id", "state", "status", "event_id", "correlation_id", "depth",
            "primary_entity", "regarding_id", "owner", "input", "postpone_until", "trace_context", "row_version")
         VALUES ($1::uuid, 10, 'Flow', 'p-' || $1::text, $2::uuid, $3, $4, gen_random_uuid(), 'corr', 1, 'account', $1::text, 'olga',
                 '{}'::jsonb, now() - interval '1 second', '{}'::jsonb, 1)`,
        [id, definitionId, State.Ready, Status.WaitingForResources],
      );
      ids.push(id);
    }
    return ids;
  };
  const claim = (limit: number, definitionConcurrency = 0) =>
    repository.claim({ host: 'host-a', limit, definitionConcurrency, leaseMs: 30_000, loopWindowMs: 3_600_000 });

  it('takes Ready operations in order, holds them for its host and writes their change events', async () => {
    const ids = await ready(5);
    const first = await claim(3);
    expect(first.map((one) => one.operation.id)).toEqual(ids.slice(0, 3));
    expect(first.every((one) => one.operation.state === State.Locked && one.operation.host === 'host-a')).toBe(true);
    // Loop protection's count of recent runs on the record, this one included.
    expect(first.map((one) => one.recentRuns)).toEqual([1, 1, 1]);
    const second = await claim(3);
    expect(second.map((one) => one.operation.id)).toEqual(ids.slice(3));
    const [{ n }] = (await dataSource.query(`SELECT count(*)::int AS "n" FROM "executor"."outbox" WHERE "message_key" = ANY($1::text[])`, [
      ids,
    ])) as [{ n: number }];
    expect(n).toBe(5);
    const [{ lease }] = (await dataSource.query(
      `SELECT min("lease_expires_at" - now()) > interval '20 seconds' AS "lease" FROM "executor"."async_operation"`,
    )) as [{ lease: boolean }];
    expect(lease).toBe(true);
  });

  it('takes no more than the per-definition limit', async () => {
    await ready(3);
    expect(await claim(3, 2)).toHaveLength(2);
    expect(await claim(3, 2)).toHaveLength(0);
  });

  it('still claims after a migration added a column to the table under its prepared statement', async () => {
    await ready(2);
    expect(await claim(1)).toHaveLength(1);
    await dataSource.query(`ALTER TABLE "executor"."async_operation" ADD COLUMN "added_later" int`);
    try {
      expect(await claim(1)).toHaveLength(1);
    } finally {
      await dataSource.query(`ALTER TABLE "executor"."async_operation" DROP COLUMN "added_later"`);
    }
  });

  it('opens another connection after PostgreSQL dropped its own', async () => {
    await ready(2);
    expect(await claim(1)).toHaveLength(1);
    await dataSource.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'claim-test' AND pid <> pg_backend_pid()`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await claim(1)).toHaveLength(1);
  });
});
