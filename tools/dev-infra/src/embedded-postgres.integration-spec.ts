import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { ensureDatabase, startEmbeddedPostgres } from './embedded-postgres';
import { freePort } from './ports';

async function sql(url: string, text: string): Promise<Array<Record<string, unknown>>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('embedded PostgreSQL', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'flowline-embedded-pg-'));
    await chmod(root, 0o755);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('initialises a cluster, keeps its data across a restart, and leaves no server behind', async () => {
    const dataDir = path.join(root, 'keep');
    const port = await freePort();
    const first = await startEmbeddedPostgres({ dataDir, port });
    await ensureDatabase(first.adminUrl, 'flowline');
    await ensureDatabase(first.adminUrl, 'flowline'); // idempotent
    await sql(first.urlFor('flowline'), `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')`);
    await first.stop();
    expect(isAlive(first.pid)).toBe(false);

    const second = await startEmbeddedPostgres({ dataDir, port });
    try {
      expect(await sql(second.urlFor('flowline'), 'SELECT v FROM kept')).toEqual([{ v: 'survives' }]);
    } finally {
      await second.stop();
    }
  });

  it('starts after a crash that left a stale postmaster.pid', async () => {
    const dataDir = path.join(root, 'crash');
    const port = await freePort();
    const server = await startEmbeddedPostgres({ dataDir, port });
    process.kill(server.pid, 'SIGKILL');
    await server.stop(); // resolves once the killed postmaster has exited
    // A dead pid in postmaster.pid, as a power cut would leave it.
    await writeFile(path.join(dataDir, 'postmaster.pid'), '999999\n');
    const again = await startEmbeddedPostgres({ dataDir, port });
    try {
      expect(await sql(again.adminUrl, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      await again.stop();
    }
  });

  it('refuses a second server on a data directory that is in use, naming the pid', async () => {
    const dataDir = path.join(root, 'busy');
    const server = await startEmbeddedPostgres({ dataDir, port: await freePort() });
    try {
      await expect(startEmbeddedPostgres({ dataDir, port: await freePort() })).rejects.toThrow(
        `a PostgreSQL server (pid ${server.pid}) already runs on ${dataDir}`,
      );
    } finally {
      await server.stop();
    }
  });

  it('deletes an ephemeral data directory on stop', async () => {
    const dataDir = path.join(root, 'ephemeral');
    const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), ephemeral: true });
    await server.stop();
    await expect(import('node:fs/promises').then((fs) => fs.stat(dataDir))).rejects.toThrow('ENOENT');
  });

  it('runs from a private data directory when it can, and explains it when the postgres user cannot reach it', async () => {
    const hidden = path.join(root, 'private');
    await mkdir(hidden, { mode: 0o700 });
    await chmod(hidden, 0o700);
    const start = startEmbeddedPostgres({ dataDir: path.join(hidden, 'data'), port: await freePort() });
    if (userInfo().uid === 0) {
      // As root the server runs as `postgres`, which cannot enter a folder private to root.
      await expect(start).rejects.toThrow(
        `PostgreSQL runs as the postgres user, which cannot enter ${hidden} (mode 700): run 'chmod o+x ${hidden}'`,
      );
    } else {
      // As an ordinary user the server runs as that user, who owns the folder.
      await (await start).stop();
    }
  });
});
