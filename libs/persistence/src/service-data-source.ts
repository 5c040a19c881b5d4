/**
 * One TypeORM DataSource per service, on the service's own PostgreSQL schema, with real
 * migrations and never `synchronize`. Migrations run at start-up under an advisory lock so
 * that several replicas starting together apply each migration once.
 */
import { DataSource, type EntitySchema, type MixedList, type QueryRunner } from 'typeorm';

export interface ServiceDataSourceOptions {
  /** postgres://user:pass@host:port/database */
  url: string;
  /** The service's own schema: registry, gateway, executor or session. */
  schema: string;
  entities: MixedList<string | (new () => unknown) | EntitySchema>;
  migrations: MixedList<string | (new () => unknown)>;
  /** Shown in pg_stat_activity, so an operator can tell which service holds a connection. */
  applicationName: string;
  poolSize?: number;
}

export const MIGRATIONS_TABLE = 'migrations';

export function createServiceDataSource(options: ServiceDataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: options.applicationName,
    extra: { max: options.poolSize ?? 10, connectionTimeoutMillis: 5_000 },
  });
}

/** A stable 32-bit key for the advisory lock guarding one schema's migrations. */
function migrationLockKey(schema: string): number {
  let hash = 0;
  for (const char of `flowline:migrations:${schema}`) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}

/** How often a process whose peer is migrating tries the lock again. */
const MIGRATION_LOCK_POLL_MS = 100;

/**
 * Takes the schema's migration lock, trying again until the process that holds it is done.
 * Never a blocking `pg_advisory_lock`: a statement waiting on a lock holds a snapshot, and a
 * migration building an index CONCURRENTLY waits for every older snapshot to end. A waiting
 * replica then waited for the migrating one's lock connection while the migrating one's index
 * build (on its other connection) waited for the waiting one: a deadlock PostgreSQL cannot see,
 * and two executors started together on a new database both hung before listening. Short tries
 * hold no snapshot between them.
 */
async function takeMigrationLock(runner: QueryRunner, key: number): Promise<void> {
  for (;;) {
    const [row] = (await runner.query('SELECT pg_try_advisory_lock($1) AS "locked"', [key])) as Array<{ locked: boolean }>;
    if (row?.locked) return;
    await new Promise((resolve) => setTimeout(resolve, MIGRATION_LOCK_POLL_MS));
  }
}

export interface MigrationReport {
  applied: string[];
}

/**
 * Initializes the DataSource, creates the schema if needed and applies pending migrations.
 * Safe to call from several processes at once.
 */
export async function initializeAndMigrate(dataSource: DataSource): Promise<MigrationReport> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  const schema = schemaOf(dataSource);
  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    await takeMigrationLock(lockRunner, migrationLockKey(schema));
    await lockRunner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return { applied: applied.map((migration) => migration.name) };
  } finally {
    await lockRunner.query('SELECT pg_advisory_unlock($1)', [migrationLockKey(schema)]).catch(() => undefined);
    await lockRunner.release();
  }
}

/** Reverts every applied migration, newest first (used by tests and by operators rolling back). */
export async function revertAllMigrations(dataSource: DataSource): Promise<number> {
  let reverted = 0;
  const table = `"${schemaOf(dataSource)}"."${MIGRATIONS_TABLE}"`;
  for (;;) {
    const rows: Array<{ count: string }> = await dataSource.query(`SELECT count(*)::text AS count FROM ${table}`);
    if (Number(rows[0]?.count ?? 0) === 0) return reverted;
    await dataSource.undoLastMigration({ transaction: 'each' });
    reverted += 1;
  }
}

/**
 * SQL statements TypeORM would run to make the schema match the entities. Empty means the
 * migrations and the entities agree; a test per service asserts exactly that.
 */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((query) => query.query);
}

/** Readiness probe of the database: a round trip on the pool. */
export async function pingDatabase(dataSource: DataSource): Promise<void> {
  if (!dataSource.isInitialized) throw new Error('database connection is not initialized');
  await dataSource.query('SELECT 1');
}

export function schemaOf(dataSource: DataSource): string {
  const options = dataSource.options as { schema?: string };
  if (!options.schema) throw new Error('the DataSource has no schema: every Flowline service owns one');
  return options.schema;
}
