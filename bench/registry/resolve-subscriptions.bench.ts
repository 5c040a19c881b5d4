/**
 * ResolveSubscriptions through a service's MetadataCache against the registry's own gRPC call
 * (which reads its tables every time), on the same registry and database.
 *   node -r @swc-node/register bench/registry/resolve-subscriptions.bench.ts [calls]
 * Starts an embedded PostgreSQL (or uses DATABASE_URL), the development broker and a registry
 * process, registers 60 steps over 3 entities, then times both paths and prints a table.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { signToken } from '../../libs/auth/src';
import { MetadataCache } from '../../libs/metadata-cache/src';
import { createGrpcClient, ProtoFiles, type RegistryProto } from '../../libs/rpc/src';
import { ensureDatabase, freePort, startEmbeddedPostgres } from '../../tools/dev-infra/src';
import { startBroker } from '../../tools/kafka-broker/src';

const CALLS = Number(process.argv[2] ?? 2000);
const SECRET = 'bench-secret-0123456789abcdef';
const REPO_ROOT = path.resolve(__dirname, '../..');

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'flowline-bench-registry-'));
  chmodSync(dir, 0o755);
  const postgres = process.env['DATABASE_URL']
    ? undefined
    : await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), ephemeral: true });
  if (postgres) await ensureDatabase(postgres.adminUrl, 'bench');
  const databaseUrl = process.env['DATABASE_URL'] ?? postgres!.urlFor('bench');
  const broker = await startBroker({ logLevel: 'silent' });
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const registry = spawn(process.execPath, ['-r', '@swc-node/register', path.join(REPO_ROOT, 'apps/process-registry/src/main.ts')], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env['PATH'],
      DATABASE_URL: databaseUrl,
      AUTH_JWT_SECRET: SECRET,
      KAFKA_BROKERS: broker.brokers,
      KAFKA_TOPIC_PREFIX: `bench${Date.now()}.`,
      HTTP_PORT: String(httpPort),
      GRPC_PORT: String(grpcPort),
      LOG_LEVEL: 'warn',
    },
    stdio: 'inherit',
  });
  try {
    for (let i = 0; ; i++) {
      const ready = await fetch(`http://127.0.0.1:${httpPort}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (i > 300) throw new Error('the registry did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const token = signToken(SECRET, { subject: 'bench', roles: ['admin'] });
    const address = `127.0.0.1:${grpcPort}`;
    const steps = createGrpcClient<RegistryProto.StepRegistrationServiceClient>(
      ProtoFiles.registry,
      'flowline.registry.v1.StepRegistrationService',
      { address, token },
    );
    const subscriptions = createGrpcClient<RegistryProto.SubscriptionServiceClient>(
      ProtoFiles.registry,
      'flowline.registry.v1.SubscriptionService',
      { address, token },
    );
    const entities = ['account', 'contact', 'incident'];
    for (let i = 0; i < 60; i++) {
      await steps.client.registerStep({
        step: {
          id: '',
          name: `step ${i}`,
          message: i % 2 ? 'Update' : 'Create',
          primaryEntity: entities[i % 3]!,
          stage: [10, 20, 40][i % 3]!,
          mode: 0,
          rank: i % 5,
          filteringAttributes: [],
          images: [],
          handler: { builtIn: { name: 'flowline.field-defaulting' } },
          enabled: true,
          unsecureConfiguration: '{}',
          secureConfiguration: '',
          hasSecureConfiguration: false,
          registeredOn: '',
          registrationSequence: '',
          rowVersion: 0,
        },
      });
    }
    const cache = new MetadataCache({ registryAddress: address, token: () => token, refreshIntervalMs: 3_600_000 });
    await cache.start();

    const time = async (label: string, call: (i: number) => Promise<unknown> | unknown) => {
      for (let i = 0; i < 50; i++) await call(i); // warm up
      const started = performance.now();
      for (let i = 0; i < CALLS; i++) await call(i);
      const seconds = (performance.now() - started) / 1000;
      return { label, rate: CALLS / seconds, microseconds: (seconds * 1e6) / CALLS };
    };
    const uncached = await time('registry gRPC (reads its tables)', (i) =>
      subscriptions.client.resolveSubscriptions({ message: 'Update', entity: entities[i % 3]!, changedAttributes: ['name'] }),
    );
    const cached = await time('MetadataCache (in process)', (i) => cache.resolve('Update', entities[i % 3]!, ['name']));
    const rows = [uncached, cached];
    console.log(`\nResolveSubscriptions, ${CALLS} calls, 60 registered steps, same registry and database\n`);
    console.log(`${'path'.padEnd(34)}  ${'calls/s'.padStart(10)}  ${'µs/call'.padStart(9)}`);
    console.log(`${'-'.repeat(34)}  ${'-'.repeat(10)}  ${'-'.repeat(9)}`);
    for (const row of rows)
      console.log(`${row.label.padEnd(34)}  ${row.rate.toFixed(0).padStart(10)}  ${row.microseconds.toFixed(1).padStart(9)}`);
    console.log(`\ncache / uncached: ${(cached.rate / uncached.rate).toFixed(0)}x the calls per second`);
    cache.stop();
    steps.close();
    subscriptions.close();
  } finally {
    registry.kill('SIGTERM');
    await new Promise((resolve) => registry.once('exit', resolve));
    await broker.close();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
