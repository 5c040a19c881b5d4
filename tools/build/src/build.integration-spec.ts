import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { createTestDatabase, freePortForTests, REPO_ROOT, testKafkaBrokers, testPrefix, waitFor } from '@flowline/testing';
import { buildService } from './build';

describe('production build', () => {
  const outDir = path.join(REPO_ROOT, 'tmp', `build-test-${process.pid}`);
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it('emits a service that runs on plain node, without TypeScript tooling, and becomes ready', async () => {
    const files = await buildService('process-registry', outDir);
    expect(files).toBeGreaterThan(10);
    const db = await createTestDatabase('build');
    const port = await freePortForTests();
    const child = spawn(process.execPath, [path.join(outDir, 'apps/process-registry/src/main.js')], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        DATABASE_URL: db.url,
        HTTP_PORT: String(port),
        GRPC_PORT: String(await freePortForTests()),
        AUTH_JWT_SECRET: 'build-test-secret-0123456789',
        KAFKA_BROKERS: testKafkaBrokers(),
        KAFKA_TOPIC_PREFIX: `${testPrefix('build')}.`,
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor(() => fetch(`http://127.0.0.1:${port}/health/ready`).then((response) => response.status === 200), {
        timeoutMs: 20_000,
        what: 'the built registry to be ready',
      });
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await db.drop();
    }
  });

  it('refuses an unknown service by name', async () => {
    await expect(buildService('billing', outDir)).rejects.toThrow(
      "unknown service 'billing': expected one of event-gateway, process-registry, async-executor, session-service",
    );
  });
});
