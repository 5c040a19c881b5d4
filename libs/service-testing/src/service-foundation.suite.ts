/**
 * The behaviour every Flowline service shares, checked against each real service: it starts
 * on a fresh database (migrations applied, never synchronized), answers liveness, readiness
 * and metrics, records its instance, reports an unreachable database on readiness, shuts
 * down cleanly on SIGTERM, refuses a bad configuration with one line, and its migrations go
 * up and down with no drift from its entities.
 */
import { Client } from 'pg';
import type { EntitySchema } from 'typeorm';
import { createServiceDataSource, initializeAndMigrate, pendingSchemaChanges, revertAllMigrations } from '@flowline/persistence';
import { createGrpcClient, HealthProto, listGrpcServices, ProtoFiles } from '@flowline/rpc';
import { serviceEntities, serviceMigrations } from '@flowline/service-kit';
import {
  createTestDatabase,
  freePortForTests,
  spawnService,
  testKafkaBrokers,
  testPrefix,
  waitFor,
  type TestDatabase,
  SERVICE_START_TIMEOUT_MS,
} from '@flowline/testing';

export interface ServiceFoundationSpec {
  serviceName: string;
  schema: string;
  /** Path of main.ts from the repository root. */
  mainPath: string;
  entities: Array<(new () => unknown) | EntitySchema>;
  migrations: Array<new () => unknown>;
  /** Fully qualified gRPC services it must serve (besides health). */
  grpcServices?: string[];
  /** Services this one needs to be ready (e.g. the registry), started once for the suite. */
  dependencies?: () => Promise<{ env: Record<string, string>; stop: () => Promise<void> }>;
}

import { TEST_SECRET } from './running-service';

async function grpcHealth(address: string, service = ''): Promise<number> {
  const health = createGrpcClient<HealthProto.HealthClient>(ProtoFiles.health, 'grpc.health.v1.Health', { address });
  try {
    return (await health.client.check({ service })).status;
  } finally {
    health.close();
  }
}

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export function describeServiceFoundation(spec: ServiceFoundationSpec): void {
  describe(`${spec.serviceName} foundation`, () => {
    // Each test starts the service once or twice: on a loaded machine that outlasts Jest's 30 s.
    jest.setTimeout(SERVICE_START_TIMEOUT_MS);
    let db: TestDatabase;
    let dependencies: { env: Record<string, string>; stop: () => Promise<void> } = { env: {}, stop: async () => undefined };
    const kafka = () => ({ KAFKA_BROKERS: testKafkaBrokers(), KAFKA_TOPIC_PREFIX: `${testPrefix(spec.schema)}.` });
    const spawn = (env: Record<string, string>) => spawnService(spec.mainPath, { ...kafka(), ...dependencies.env, ...env });
    beforeAll(async () => {
      db = await createTestDatabase(spec.schema);
      if (spec.dependencies) dependencies = await spec.dependencies();
    }, SERVICE_START_TIMEOUT_MS);
    afterAll(async () => {
      await dependencies.stop();
      await db.drop();
    });

    it('starts on a fresh database, migrates its own schema, serves HTTP and gRPC health and metrics, and stops cleanly on SIGTERM', async () => {
      const port = await freePortForTests();
      const grpcPort = await freePortForTests();
      const service = spawn({
        AUTH_JWT_SECRET: TEST_SECRET,
        DATABASE_URL: db.url,
        HTTP_PORT: String(port),
        GRPC_PORT: String(grpcPort),
        LOG_LEVEL: 'info',
      });
      const url = `http://127.0.0.1:${port}`;
      try {
        await service.waitForReady(url);
        expect(await grpcHealth(`127.0.0.1:${grpcPort}`)).toBe(HealthProto.HealthCheckResponse_ServingStatus.SERVING);
        expect(await grpcHealth(`127.0.0.1:${grpcPort}`, spec.serviceName)).toBe(HealthProto.HealthCheckResponse_ServingStatus.SERVING);
        await expect(grpcHealth(`127.0.0.1:${grpcPort}`, 'billing')).rejects.toMatchObject({ grpcCode: 5, code: 'UNKNOWN_HEALTH_SERVICE' });
        // Server reflection lists the health service and the service's own APIs.
        const services = await listGrpcServices(`127.0.0.1:${grpcPort}`);
        expect(services).toEqual(expect.arrayContaining(['grpc.health.v1.Health', ...(spec.grpcServices ?? [])]));
        const live = await fetch(`${url}/health/live`);
        expect(live.status).toBe(200);
        expect(await live.json()).toEqual({ status: 'ok', service: spec.serviceName });

        const ready = (await (await fetch(`${url}/health/ready`)).json()) as { checks: Record<string, { status: string }> };
        expect(ready.checks['database']?.status).toBe('ok');
        expect(ready.checks['kafka']?.status).toBe('ok');

        const metrics = await fetch(`${url}/metrics`);
        expect(metrics.headers.get('content-type')).toContain('text/plain');
        expect(await metrics.text()).toContain(`flowline_process_cpu_user_seconds_total{service="${spec.serviceName}"}`);

        const tables = await query<{ table_name: string }>(
          db.url,
          `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
          [spec.schema],
        );
        expect(tables.map((row) => row.table_name)).toEqual(expect.arrayContaining(['migrations', 'service_instance']));
        const instances = await query<{ service: string; http_port: number; stopped_at: Date | null }>(
          db.url,
          `SELECT service, http_port, stopped_at FROM "${spec.schema}".service_instance`,
        );
        expect(instances).toEqual([{ service: spec.serviceName, http_port: port, stopped_at: null }]);

        // Every log line is one JSON object naming the service.
        const logLines = service.output.filter((line) => line.startsWith('{'));
        expect(logLines.length).toBeGreaterThan(0);
        for (const line of logLines) expect(JSON.parse(line)).toMatchObject({ service: spec.serviceName });
      } finally {
        const exit = await service.stop('SIGTERM');
        expect(exit).toEqual({ code: 0, signal: null });
      }
      const [stopped] = await query<{ stopped_at: Date | null }>(db.url, `SELECT stopped_at FROM "${spec.schema}".service_instance`);
      expect(stopped?.stopped_at).toBeInstanceOf(Date);
      expect(service.output.join('\n')).toContain('received SIGTERM, shutting down');
    });

    it('a second start on the same database applies nothing twice and keeps the data', async () => {
      // This test's own first start, so that it does not rely on what another test left.
      const start = async () => {
        const port = await freePortForTests();
        const service = spawn({
          AUTH_JWT_SECRET: TEST_SECRET,
          DATABASE_URL: db.url,
          HTTP_PORT: String(port),
          GRPC_PORT: String(await freePortForTests()),
        });
        await service.waitForReady(`http://127.0.0.1:${port}`);
        return service;
      };
      const count = async () =>
        Number((await query<{ count: string }>(db.url, `SELECT count(*)::text AS count FROM "${spec.schema}".service_instance`))[0]?.count);
      const applied = async () => (await query<{ name: string }>(db.url, `SELECT name FROM "${spec.schema}".migrations`)).map((row) => row.name);
      const first = await start();
      const instancesBefore = await count();
      const migrationsBefore = await applied();
      await first.stop();
      const second = await start();
      try {
        // One more instance row (the data kept), and not one migration applied again.
        expect(await count()).toBe(instancesBefore + 1);
        const migrations = await applied();
        expect(migrations.sort()).toEqual(migrationsBefore.sort());
        expect(new Set(migrations).size).toBe(migrations.length);
      } finally {
        await second.stop();
      }
    });

    it('reports the database on readiness (HTTP 503, gRPC NOT_SERVING) when it becomes unreachable', async () => {
      const scratch = await createTestDatabase(`${spec.schema}_gone`);
      const port = await freePortForTests();
      const grpcPort = await freePortForTests();
      const service = spawn({
        AUTH_JWT_SECRET: TEST_SECRET,
        DATABASE_URL: scratch.url,
        HTTP_PORT: String(port),
        GRPC_PORT: String(grpcPort),
      });
      const url = `http://127.0.0.1:${port}`;
      try {
        await service.waitForReady(url);
        await scratch.drop(); // terminates the service's connections and removes the database
        const report = await waitFor(
          async () => {
            const response = await fetch(`${url}/health/ready`);
            return response.status === 503
              ? ((await response.json()) as { status: string; checks: Record<string, { status: string; error?: string }> })
              : undefined;
          },
          { what: 'readiness to report 503' },
        );
        expect(report.status).toBe('unavailable');
        expect(report.checks['database']?.status).toBe('failing');
        expect(report.checks['database']?.error).toBeTruthy();
        expect((await fetch(`${url}/health/live`)).status).toBe(200);
        expect(await grpcHealth(`127.0.0.1:${grpcPort}`)).toBe(HealthProto.HealthCheckResponse_ServingStatus.NOT_SERVING);
      } finally {
        await service.stop();
      }
    });

    it('refuses to start with a wrong setting, naming it on one line', async () => {
      const service = spawn({ AUTH_JWT_SECRET: TEST_SECRET, DATABASE_URL: db.url, HTTP_PORT: 'eighty' });
      const exit = await service.exited;
      expect(exit.code).toBe(78);
      expect(service.output).toEqual([
        `${spec.serviceName}: invalid configuration: HTTP_PORT expected a port number (1-65535), got 'eighty'`,
      ]);
    });

    it('refuses to start without DATABASE_URL, saying what is expected', async () => {
      const service = spawn({ AUTH_JWT_SECRET: TEST_SECRET });
      const exit = await service.exited;
      expect(exit.code).toBe(78);
      expect(service.output).toHaveLength(1);
      expect(service.output[0]).toContain('DATABASE_URL is required (expected a PostgreSQL URL');
    });

    it('exits with a fatal line when the database cannot be reached', async () => {
      const closedPort = await freePortForTests();
      const service = spawn({
        AUTH_JWT_SECRET: TEST_SECRET,
        DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${closedPort}/flowline`,
        HTTP_PORT: String(await freePortForTests()),
      });
      const exit = await service.exited;
      expect(exit.code).toBe(1);
      const fatal = service.output
        .map((line) => (line.startsWith('{') ? (JSON.parse(line) as { level: string; msg: string }) : undefined))
        .find((line) => line?.level === 'fatal');
      expect(fatal?.msg).toMatch(new RegExp(`^${spec.serviceName} could not start: .*ECONNREFUSED`));
    });

    it('migrations go up and down on its own schema and match the entities exactly', async () => {
      const scratch = await createTestDatabase(`${spec.schema}_mig`);
      const dataSource = createServiceDataSource({
        url: scratch.url,
        schema: spec.schema,
        entities: serviceEntities(spec.entities),
        migrations: serviceMigrations(spec.migrations),
        applicationName: 'migration-test',
      });
      try {
        const { applied } = await initializeAndMigrate(dataSource);
        // The shared ones (service_instance, rate_limit) and the service's own.
        expect(applied.length).toBe((serviceMigrations(spec.migrations) as unknown[]).length);
        expect(await pendingSchemaChanges(dataSource)).toEqual([]);
        expect(await revertAllMigrations(dataSource)).toBe(applied.length);
        const left = await query<{ table_name: string }>(
          scratch.url,
          `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name <> 'migrations'`,
          [spec.schema],
        );
        expect(left).toEqual([]);
        const again = await initializeAndMigrate(dataSource);
        expect(again.applied).toEqual(applied);
      } finally {
        await dataSource.destroy();
        await scratch.drop();
      }
    });
  });
}
