import { Client } from 'pg';
import { OpenApiConformance, startServiceForTest, testToken, type RunningService } from '@flowline/service-testing';
import { SERVICE_START_TIMEOUT_MS, waitFor } from '@flowline/testing';

/**
 * The console's health view: the executor samples its queue, throughput and the dispatcher's
 * consumer lag into an in-memory history (every second here), answered for a window; and a
 * browser page of a listed origin (CORS_ORIGINS) may read the REST API and readiness, while other
 * origins, and services without the setting, get no CORS headers.
 */
const CONSOLE = 'http://console.test:8083';

interface History {
  intervalSeconds: number;
  since: string;
  replica: string;
  samples: Array<Record<string, number | string | null>>;
}

describe('health history and CORS for the operator console', () => {
  let registry: RunningService;
  let executor: RunningService;
  let db: Client;
  let api: OpenApiConformance;

  beforeAll(async () => {
    registry = await startServiceForTest('apps/process-registry/src/main.ts');
    executor = await startServiceForTest('apps/async-executor/src/main.ts', {
      REGISTRY_ADDRESS: registry.grpcAddress,
      WORKER_CONCURRENCY: '0',
      HEALTH_SAMPLE_MS: '1000',
      CORS_ORIGINS: `${CONSOLE}, https://other-console.test`,
    });
    db = new Client({ connectionString: executor.db.url });
    await db.connect();
    api = await OpenApiConformance.of(executor.httpUrl);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await db?.end();
    await executor?.stop();
    await registry?.stop();
  });

  const history = async (query = '', token: string | null = testToken(['operator'])) => {
    const url = `/api/v1/health/history${query}`;
    const response = await fetch(`${executor.httpUrl}${url}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const body = (await response.json()) as History & { error: { code: string; violations: Array<{ field: string }> } };
    api.check('GET', url, response.status, response.headers.get('content-type'), body);
    return { status: response.status, body };
  };

  it('samples the queue by state, the oldest Ready age, completions and failures per minute, and the dispatcher lag', async () => {
    // Two Ready (one due 90 s ago, one postponed), one Suspended, one Locked, three completed a moment ago (one Failed).
    await db.query(`
      INSERT INTO "executor"."async_operation"
        ("id", "operation_type", "name", "process_key", "state", "status", "event_id", "correlation_id", "depth", "primary_entity",
         "regarding_id", "owner", "input", "postpone_until", "trace_context", "created_on", "completed_on", "lease_expires_at", "row_version")
      SELECT gen_random_uuid(), 10, 'Health sample', 'h' || i, v.state, v.status, gen_random_uuid(), 'c', 1, 'account', 'r', 'olga', '{}',
             v.postpone, '{}', now() - interval '90 seconds', CASE WHEN v.state = 3 THEN now() END,
             CASE WHEN v.state = 2 THEN now() + interval '1 day' END, 1
        FROM (VALUES (1, 0, 0, now() - interval '90 seconds'), (2, 0, 0, now() + interval '1 day'), (3, 1, 10, now() + interval '1 day'),
                     (4, 2, 20, now() + interval '1 day'), (5, 3, 30, now()), (6, 3, 30, now()), (7, 3, 31, now()))
             AS v(i, state, status, postpone)`);
    const sample = await waitFor(
      async () => {
        const { status, body } = await history('?window=5m');
        expect(status).toBe(200);
        const last = body.samples.at(-1);
        return last && last['ready'] === 2 && typeof last['consumerLag'] === 'number' ? { body, last } : undefined;
      },
      { timeoutMs: 30_000, what: 'a sample with the seeded operations and the consumer lag' },
    );
    expect(sample.body.intervalSeconds).toBe(1);
    expect(Date.parse(sample.body.since)).toBeGreaterThan(Date.now() - 6 * 60_000);
    expect(sample.last).toMatchObject({ ready: 2, readyDue: 1, suspended: 1, locked: 1, completedPerMinute: 3, failedPerMinute: 1 });
    expect(sample.last['oldestReadyAgeSeconds']).toBeGreaterThanOrEqual(89);
    // Samples come oldest first, about a second apart.
    const times = sample.body.samples.map((s) => Date.parse(String(s['at'])));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times.length).toBeGreaterThanOrEqual(2);
    // The whole hour is the default.
    expect((await history()).body.samples.length).toBeGreaterThanOrEqual(times.length);
  });

  it('refuses a window outside 1m to 1h naming window, and a caller without the operator role', async () => {
    for (const window of ['2h', '10s', 'soon', '0m']) {
      const { status, body } = await history(`?window=${window}`);
      expect({ window, status, fields: body.error.violations.map((v) => v.field) }).toEqual({ window, status: 400, fields: ['window'] });
    }
    expect((await history('', null)).status).toBe(401);
    expect((await history('', testToken(['user']))).status).toBe(403);
  });

  it('answers CORS for a listed origin (preflight, answers and refusals, readiness) and not for another one', async () => {
    const preflight = await fetch(`${executor.httpUrl}/api/v1/operations`, {
      method: 'OPTIONS',
      headers: { origin: CONSOLE, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

    const listed = await fetch(`${executor.httpUrl}/api/v1/operations`, {
      headers: { origin: CONSOLE, authorization: `Bearer ${testToken(['operator'])}` },
    });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    // A refusal is readable too, so the console can show it.
    const refused = await fetch(`${executor.httpUrl}/api/v1/operations`, { headers: { origin: CONSOLE } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    const ready = await fetch(`${executor.httpUrl}/health/ready`, { headers: { origin: 'https://other-console.test' } });
    expect(ready.headers.get('access-control-allow-origin')).toBe('https://other-console.test');

    for (const origin of ['https://evil.test', 'http://console.test:9999']) {
      const other = await fetch(`${executor.httpUrl}/api/v1/operations`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    }
    // A service without CORS_ORIGINS sends no CORS headers at all.
    const plain = await fetch(`${registry.httpUrl}/health/ready`, { headers: { origin: CONSOLE } });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });
});
