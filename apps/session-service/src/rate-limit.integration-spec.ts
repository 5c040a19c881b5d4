/**
 * The per-caller rate limit (libs/service-kit) on the real session service: dialog answers
 * are REST requests like the others, limited per token subject; with RATE_LIMIT_STORE=postgres
 * two replicas on one database share one count (the `rate_limit` table of its migrations).
 */
import { randomUUID } from 'node:crypto';
import { startServiceForTest, testToken, type RunningService } from '@flowline/service-testing';
import { Client } from 'pg';
import { createTestDatabase, SERVICE_START_TIMEOUT_MS, testPrefix, type TestDatabase } from '@flowline/testing';

const LIMIT = 4;

const answerTo = (service: RunningService, subject: string) =>
  fetch(`${service.httpUrl}/api/v1/sessions/${randomUUID()}/answers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${testToken(['user'], subject)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ answers: {} }),
  });

describe('the session service limits each caller to RATE_LIMIT_PER_MINUTE REST requests', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startServiceForTest('apps/session-service/src/main.ts', { RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await service?.stop();
  });

  const answer = (subject: string) => answerTo(service, subject);

  it('answers posted over the limit get 429 RATE_LIMITED with Retry-After, before the session is even looked up', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) statuses.push((await answer('quick-typist')).status);
    // Under the limit the service answers as usual (here: no such session, or a refused body).
    expect(statuses.every((status) => status !== 429 && status < 500)).toBe(true);
    const refused = await answer('quick-typist');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toEqual({
      error: {
        code: 'RATE_LIMITED',
        message: expect.stringContaining(`too many requests from caller 'quick-typist': at most ${LIMIT} a minute`),
        violations: [],
      },
    });
    expect((await answer('someone-else')).status).not.toBe(429);
  });
});

describe('RATE_LIMIT_STORE=postgres: two replicas of the session service on one database count together', () => {
  let db: TestDatabase;
  let first: RunningService;
  let second: RunningService;
  beforeAll(async () => {
    db = await createTestDatabase('ratelimit');
    const env = { RATE_LIMIT_PER_MINUTE: String(LIMIT), RATE_LIMIT_STORE: 'postgres', KAFKA_TOPIC_PREFIX: `${testPrefix('rl')}.` };
    first = await startServiceForTest('apps/session-service/src/main.ts', env, db);
    second = await startServiceForTest('apps/session-service/src/main.ts', env, db);
  }, 2 * SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await db?.drop();
  });

  it('requests spread over both replicas are counted once: the one over the limit is refused by either', async () => {
    const statuses: number[] = [];
    // Alternating: each replica alone sees only half the limit.
    for (let i = 0; i < LIMIT; i++) statuses.push((await answerTo(i % 2 === 0 ? first : second, 'spread-caller')).status);
    expect(statuses.every((status) => status !== 429 && status < 500)).toBe(true);
    const refusedByFirst = await answerTo(first, 'spread-caller');
    expect(refusedByFirst.status).toBe(429);
    expect(((await refusedByFirst.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect((await answerTo(second, 'spread-caller')).status).toBe(429);
    // Another caller has its own count on both.
    expect((await answerTo(second, 'another-caller')).status).not.toBe(429);
  });

  it('counts in the rate_limit table its migration created in the service schema', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = await client.query<{ points: number }>(`SELECT points FROM session.rate_limit WHERE key LIKE '%subject:spread-caller'`);
      expect(rows.rows.map((row) => row.points)).toEqual([LIMIT + 2]);
      const migrations = await client.query<{ name: string }>(
        `SELECT name FROM session.migrations WHERE name = 'RateLimitCounters1796200000000'`,
      );
      expect(migrations.rowCount).toBe(1);
    } finally {
      await client.end();
    }
  });
});
