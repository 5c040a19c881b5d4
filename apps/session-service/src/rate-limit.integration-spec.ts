/**
 * The per-caller rate limit (libs/service-kit) on the real session service: dialog answers
 * are REST requests like the others, limited per token subject.
 */
import { randomUUID } from 'node:crypto';
import { startServiceForTest, testToken, type RunningService } from '@flowline/service-testing';
import { SERVICE_START_TIMEOUT_MS } from '@flowline/testing';

const LIMIT = 4;

describe('the session service limits each caller to RATE_LIMIT_PER_MINUTE REST requests', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startServiceForTest('apps/session-service/src/main.ts', { RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await service?.stop();
  });

  const answer = (subject: string) =>
    fetch(`${service.httpUrl}/api/v1/sessions/${randomUUID()}/answers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testToken(['user'], subject)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ answers: {} }),
    });

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
