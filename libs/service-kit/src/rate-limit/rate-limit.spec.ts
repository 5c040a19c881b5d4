import 'reflect-metadata';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { signToken } from '@flowline/auth';
import { AuthModule } from '../auth/auth.module';
import { Public } from '../auth/auth.guard';
import { installHttpEdge } from '../errors/http-edge';
import { loadConfig } from '../config/config';
import { RateLimitModule } from './rate-limit.module';
import { DEFAULT_RATE_LIMIT_PER_MINUTE, rateLimitSettings } from './rate-limit.settings';

const SECRET = 'rate-limit-test-secret-0123456789';
const LIMIT = 3;

@Controller()
class ProbeController {
  @Get('api/things')
  things(): { ok: true } {
    return { ok: true };
  }

  @Public()
  @Get('page')
  page(): { ok: true } {
    return { ok: true };
  }

  @Public()
  @Get('health/live')
  live(): { ok: true } {
    return { ok: true };
  }
}

@Module({
  imports: [AuthModule.forRoot(SECRET), RateLimitModule.forRoot({ RATE_LIMIT_PER_MINUTE: LIMIT })],
  controllers: [ProbeController],
})
class ProbeModule {}

/** The guard in a real Nest application on loopback, called over HTTP. */
describe('per-caller rate limit', () => {
  let app: INestApplication;
  let base = '';
  beforeAll(async () => {
    app = await NestFactory.create(ProbeModule, { logger: false, bodyParser: false });
    installHttpEdge(app, { bodyLimitBytes: 1024 * 1024 });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(() => app.close());

  const get = (path: string, token?: string) =>
    fetch(`${base}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  const tokenOf = (subject: string) => signToken(SECRET, { subject, roles: ['user'], expiresInSeconds: 600 });

  it('refuses the request over the limit with 429, the documented error shape and Retry-After; other callers keep their own count', async () => {
    const carol = tokenOf('carol');
    for (let i = 0; i < LIMIT; i++) expect((await get('/api/things', carol)).status).toBe(200);
    const refused = await get('/api/things', carol);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await refused.json()).toEqual({
      error: {
        code: 'RATE_LIMITED',
        message: expect.stringMatching(
          /too many requests from caller 'carol': at most 3 a minute \(RATE_LIMIT_PER_MINUTE\); try again in \d+ s/,
        ),
        violations: [],
      },
    });
    // Another subject from the same address is counted on its own.
    expect((await get('/api/things', tokenOf('dave'))).status).toBe(200);
  });

  it('counts callers without a valid token by address, so a flood of bad tokens is limited too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await get('/api/things', 'not-a-token')).status);
    expect(statuses.slice(0, LIMIT)).toEqual([401, 401, 401]);
    expect(statuses[LIMIT]).toBe(429);
    // Public pages without a token share the address's count.
    expect((await get('/page')).status).toBe(429);
    // A valid token is its caller's own count, not the address's.
    expect((await get('/api/things', tokenOf('erin'))).status).toBe(200);
  });

  it('never limits health endpoints', async () => {
    for (let i = 0; i < LIMIT + 2; i++) expect((await get('/health/live')).status).toBe(200);
  });

  it('RATE_LIMIT_PER_MINUTE defaults to a finite limit and takes 0 for no limit', () => {
    expect(loadConfig('t', rateLimitSettings, {})).toEqual({ RATE_LIMIT_PER_MINUTE: DEFAULT_RATE_LIMIT_PER_MINUTE });
    expect(loadConfig('t', rateLimitSettings, { RATE_LIMIT_PER_MINUTE: '0' })).toEqual({ RATE_LIMIT_PER_MINUTE: 0 });
    expect(() => loadConfig('t', rateLimitSettings, { RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
  });
});
