import { Column, Entity, PrimaryColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@flowline/testing';
import {
  createServiceDataSource,
  initializeAndMigrate,
  pendingSchemaChanges,
  pingDatabase,
  revertAllMigrations,
} from './service-data-source';

@Entity({ name: 'widget' })
class Widget {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'integer' }) size!: number;
}

class CreateWidget1700000000000 implements MigrationInterface {
  name = 'CreateWidget1700000000000';
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "demo"."widget" ("id" text NOT NULL, "size" integer NOT NULL, CONSTRAINT "PK_widget" PRIMARY KEY ("id"))`,
    );
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "demo"."widget"`);
  }
}

/** Slow, then an index built CONCURRENTLY (outside a transaction), as the executor's console indexes are. */
class IndexWidgetConcurrently1700000000001 implements MigrationInterface {
  name = 'IndexWidgetConcurrently1700000000001';
  transaction = false as const;
  async up(queryRunner: QueryRunner): Promise<void> {
    // Long enough that the other process is surely waiting for the migration lock meanwhile.
    await queryRunner.query('SELECT pg_sleep(1)');
    await queryRunner.query(`CREATE INDEX CONCURRENTLY "IDX_widget_size" ON "concurrent"."widget" ("size")`);
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "concurrent"."IDX_widget_size"`);
  }
}

class CreateConcurrentWidget1700000000000 implements MigrationInterface {
  name = 'CreateConcurrentWidget1700000000000';
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "concurrent"."widget" ("id" text NOT NULL, "size" integer NOT NULL, CONSTRAINT "PK_cwidget" PRIMARY KEY ("id"))`,
    );
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "concurrent"."widget"`);
  }
}

describe('service data source', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('persistence');
  });
  afterAll(async () => {
    await db.drop();
  });

  const make = () =>
    createServiceDataSource({
      url: db.url,
      schema: 'demo',
      entities: [Widget],
      migrations: [CreateWidget1700000000000],
      applicationName: 'test',
    });

  it('creates its schema, applies migrations once even when two processes start together, and reverts them', async () => {
    const first = make();
    const second = make();
    const [a, b] = await Promise.all([initializeAndMigrate(first), initializeAndMigrate(second)]);
    expect([...a.applied, ...b.applied]).toEqual(['CreateWidget1700000000000']);
    await first.getRepository(Widget).save({ id: 'w1', size: 3 });
    expect(await second.getRepository(Widget).findOneByOrFail({ id: 'w1' })).toEqual({ id: 'w1', size: 3 });
    expect(await pendingSchemaChanges(first)).toEqual([]);
    await pingDatabase(first);

    expect(await revertAllMigrations(first)).toBe(1);
    const tables = await first.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'demo' AND table_name = 'widget'`,
    );
    expect(tables).toHaveLength(0);
    await Promise.all([first.destroy(), second.destroy()]);
  });

  it('applies an index built CONCURRENTLY once when two processes start together (the waiting one holds no snapshot)', async () => {
    const make = () =>
      createServiceDataSource({
        url: db.url,
        schema: 'concurrent',
        entities: [],
        migrations: [CreateConcurrentWidget1700000000000, IndexWidgetConcurrently1700000000001],
        applicationName: 'test',
      });
    const first = make();
    const second = make();
    // A blocking lock wait here deadlocked with the index build, unseen by PostgreSQL: both hung.
    const [a, b] = await Promise.all([initializeAndMigrate(first), initializeAndMigrate(second)]);
    expect([...a.applied, ...b.applied].sort()).toEqual(['CreateConcurrentWidget1700000000000', 'IndexWidgetConcurrently1700000000001']);
    const [index] = await first.query(
      `SELECT i.indisvalid AS "valid" FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'IDX_widget_size'`,
    );
    expect(index).toEqual({ valid: true });
    await Promise.all([first.destroy(), second.destroy()]);
  }, 30_000);

  it('reports drift when an entity has no migration', async () => {
    const ds = createServiceDataSource({ url: db.url, schema: 'drift', entities: [Widget], migrations: [], applicationName: 'test' });
    await initializeAndMigrate(ds);
    const pending = await pendingSchemaChanges(ds);
    expect(pending.join('\n')).toMatch(/CREATE TABLE "drift"\."widget"/);
    await ds.destroy();
  });

  it('fails the readiness probe when the connection is gone', async () => {
    const ds = make();
    await expect(pingDatabase(ds)).rejects.toThrow('not initialized');
  });
});
