/**
 * Jest global setup for integration tests: one real PostgreSQL for the whole run. When
 * DATABASE_URL is set it is used (test files create their own databases in that server);
 * otherwise an embedded PostgreSQL starts on a free port with a throw-away data directory.
 * Relative imports only: Jest does not apply moduleNameMapper to global setup.
 */
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startEmbeddedPostgres, type RunningPostgres } from '../embedded-postgres';
import { freePort } from '../ports';
import { TestEnv } from '../test-environment';

declare global {
  var __FLOWLINE_TEST_POSTGRES__: RunningPostgres | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env[TestEnv.postgresAdminUrl]) return;
  const external = process.env['DATABASE_URL'];
  if (external) {
    process.env[TestEnv.postgresAdminUrl] = external;
    return;
  }
  const parent = await mkdtemp(path.join(tmpdir(), 'flowline-test-pg-'));
  // mkdtemp makes the folder private to us; the server may run as the `postgres` user.
  await chmod(parent, 0o755);
  const dataDir = path.join(parent, 'data');
  const postgres = await startEmbeddedPostgres({ dataDir, port: await freePort(), ephemeral: true });
  globalThis.__FLOWLINE_TEST_POSTGRES__ = postgres;
  process.env[TestEnv.postgresAdminUrl] = postgres.adminUrl;
}
