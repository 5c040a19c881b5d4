import { createTestDatabase, type TestDatabase } from '@flowline/testing';
import type { DataSource } from 'typeorm';
import { preparedStatement, runPrepared } from './prepared-statement';
import { createServiceDataSource } from './service-data-source';

describe('prepared statements', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase('prepared');
    // One connection: every statement below meets the statements prepared before it.
    dataSource = createServiceDataSource({
      url: db.url,
      schema: 'prepared',
      entities: [],
      migrations: [],
      applicationName: 'test',
      poolSize: 1,
    });
    await dataSource.initialize();
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "prepared"`);
    await dataSource.query(`CREATE TABLE "prepared"."item" ("id" int PRIMARY KEY, "label" text NOT NULL)`);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });
  afterEach(() => {
    delete process.env['DATABASE_PREPARED_STATEMENTS'];
  });

  const preparedNames = async (): Promise<string[]> =>
    ((await dataSource.query(`SELECT name FROM pg_prepared_statements`)) as Array<{ name: string }>).map((row) => row.name);

  it('names a statement by its text and prepares it once on the connection', async () => {
    const insert = preparedStatement(`INSERT INTO "prepared"."item" ("id", "label") VALUES ($1, $2) RETURNING "id", "label"`);
    expect(preparedStatement(insert.text)).toBe(insert);
    expect(preparedStatement(`${insert.text} `).name).not.toBe(insert.name);
    expect(insert.name).toMatch(/^flowline_[0-9a-f]{16}$/);

    expect(await runPrepared(dataSource, insert, [1, 'one'])).toEqual([{ id: 1, label: 'one' }]);
    expect(await runPrepared(dataSource, insert, [2, 'two'])).toEqual([{ id: 2, label: 'two' }]);
    expect((await preparedNames()).filter((name) => name === insert.name)).toHaveLength(1);
  });

  it('runs in the transaction of the manager it is given: a rollback takes its write back', async () => {
    const insert = preparedStatement(`INSERT INTO "prepared"."item" ("id", "label") VALUES ($1, $2)`);
    await expect(
      dataSource.transaction(async (manager) => {
        await runPrepared(manager, insert, [10, 'ten']);
        expect(await manager.query(`SELECT "label" FROM "prepared"."item" WHERE "id" = 10`)).toEqual([{ label: 'ten' }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await dataSource.query(`SELECT "label" FROM "prepared"."item" WHERE "id" = 10`)).toEqual([]);
    // A manager outside a transaction runs it on the pool, autocommitted.
    await runPrepared(dataSource.manager, insert, [11, 'eleven']);
    expect(await dataSource.query(`SELECT "label" FROM "prepared"."item" WHERE "id" = 11`)).toEqual([{ label: 'eleven' }]);
  });

  it('keeps working after a migration adds a column, when it names its result columns', async () => {
    const read = preparedStatement(`SELECT "id", "label" FROM "prepared"."item" WHERE "id" = $1`);
    expect(await runPrepared(dataSource, read, [1])).toEqual([{ id: 1, label: 'one' }]);
    await dataSource.query(`ALTER TABLE "prepared"."item" ADD COLUMN "weight" int`);
    expect(await runPrepared(dataSource, read, [1])).toEqual([{ id: 1, label: 'one' }]);
  });

  it('sends statements unnamed with DATABASE_PREPARED_STATEMENTS=false', async () => {
    process.env['DATABASE_PREPARED_STATEMENTS'] = 'false';
    const count = preparedStatement(`SELECT count(*)::int AS "n" FROM "prepared"."item" WHERE "id" > $1`);
    expect(await runPrepared(dataSource, count, [0])).toEqual([{ n: 3 }]);
    expect(await preparedNames()).not.toContain(count.name);
  });
});
