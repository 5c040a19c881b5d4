import 'reflect-metadata';
import { Controller, Get, Global, Logger, Module, type INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NestFactory } from '@nestjs/core';
import { signToken } from '@flowline/auth';
import { AuthModule } from '../auth/auth.module';
import { Public } from '../auth/auth.guard';
import { installHttpEdge } from '../errors/http-edge';
import { loadConfig } from '../config/config';
import { RateLimitModule } from './rate-limit.module';
import { DEFAULT_RATE_LIMIT_PER_MINUTE, rateLimitSettings } from './rate-limit.settings';
import { applyTrustProxy, parseTrustProxy, trustProxySettings } from '../bootstrap/trust-proxy';

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
    expect(loadConfig('t', rateLimitSettings, {})).toEqual({
      RATE_LIMIT_PER_MINUTE: DEFAULT_RATE_LIMIT_PER_MINUTE,
      RATE_LIMIT_STORE: 'memory',
    });
    expect(loadConfig('t', rateLimitSettings, { RATE_LIMIT_PER_MINUTE: '0' })).toMatchObject({ RATE_LIMIT_PER_MINUTE: 0 });
    expect(loadConfig('t', rateLimitSettings, { RATE_LIMIT_STORE: 'postgres' })).toMatchObject({ RATE_LIMIT_STORE: 'postgres' });
    expect(() => loadConfig('t', rateLimitSettings, { RATE_LIMIT_STORE: 'redis' })).toThrow(/RATE_LIMIT_STORE expected memory or postgres/);
    expect(() => loadConfig('t', rateLimitSettings, { RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
  });
});

/** TRUST_PROXY: the per-client key is the forwarded address only when the proxy in front is trusted. */
describe('per-client key behind a proxy (TRUST_PROXY)', () => {
  const start = async (trustProxy: string | undefined) => {
    const app = await NestFactory.create(ProbeModule, { logger: false, bodyParser: false });
    applyTrustProxy(app, parseTrustProxy(trustProxy));
    installHttpEdge(app, { bodyLimitBytes: 1024 * 1024 });
    await app.listen(0, '127.0.0.1');
    return { app, base: await app.getUrl() };
  };
  const fromClient = (base: string, forwardedFor: string) => fetch(`${base}/page`, { headers: { 'x-forwarded-for': forwardedFor } });

  it('off (the default): X-Forwarded-For is ignored, every request is counted by its socket address', async () => {
    const { app, base } = await start(undefined);
    try {
      const statuses: number[] = [];
      // Each request claims another client: a header must not buy a fresh count.
      for (let i = 0; i <= LIMIT; i++) statuses.push((await fromClient(base, `203.0.113.${i + 1}`)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = (await (await fromClient(base, '203.0.113.99')).json()) as { error: { message: string } };
      expect(refused.error.message).toMatch(/^too many requests from address (::ffff:)?127\.0\.0\.1:/);
    } finally {
      await app.close();
    }
  });

  it('on (loopback trusted): each forwarded client has its own count, named by its address', async () => {
    const { app, base } = await start('loopback');
    try {
      for (let i = 0; i < LIMIT; i++) expect((await fromClient(base, '198.51.100.7')).status).toBe(200);
      const refused = await fromClient(base, '198.51.100.7');
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
        'too many requests from address 198.51.100.7:',
      );
      // Another client behind the same proxy is still served.
      expect((await fromClient(base, '198.51.100.8')).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('a proxy that is not trusted (a CIDR that does not hold loopback) is not believed', async () => {
    const { app, base } = await start('10.0.0.0/8');
    try {
      const statuses: number[] = [];
      for (let i = 0; i <= LIMIT; i++) statuses.push((await fromClient(base, `192.0.2.${i + 1}`)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await app.close();
    }
  });

  it('takes off, hop counts, names and CIDR lists, and refuses anything else naming the entry', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('off')).toBe(false);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('loopback, 10.0.0.0/8,fd00::/8')).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8']);
    expect(() => loadConfig('t', trustProxySettings, { TRUST_PROXY: 'everyone' })).toThrow(
      /TRUST_PROXY expected off, a hop count, .*'everyone' is not a hop count/,
    );
    expect(() => loadConfig('t', trustProxySettings, { TRUST_PROXY: '10.0.0.0/99' })).toThrow(/'10.0.0.0\/99'/);
  });
});

/** A database that cannot be reached: a DataSource that was never connected. */
@Global()
@Module({
  providers: [
    { provide: DataSource, useValue: new DataSource({ type: 'postgres', url: 'postgres://127.0.0.1:9/none', schema: 'gateway' }) },
  ],
  exports: [DataSource],
})
class UnreachableDatabaseModule {}

@Module({
  imports: [
    UnreachableDatabaseModule,
    AuthModule.forRoot(SECRET),
    RateLimitModule.forRoot({ RATE_LIMIT_PER_MINUTE: LIMIT, RATE_LIMIT_STORE: 'postgres' }),
  ],
  controllers: [ProbeController],
})
class PostgresStoreProbeModule {}

describe('RATE_LIMIT_STORE=postgres while the database cannot be reached', () => {
  it('keeps limiting in the replica (neither refusing everything nor letting everything through) and says so in the log', async () => {
    const warnings: string[] = [];
    const spy = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    const app = await NestFactory.create(PostgresStoreProbeModule, { logger: false, bodyParser: false });
    installHttpEdge(app, { bodyLimitBytes: 1024 * 1024 });
    await app.listen(0, '127.0.0.1');
    try {
      const base = await app.getUrl();
      const token = signToken(SECRET, { subject: 'frank', roles: ['user'], expiresInSeconds: 600 });
      const statuses: number[] = [];
      for (let i = 0; i <= LIMIT; i++)
        statuses.push((await fetch(`${base}/api/things`, { headers: { authorization: `Bearer ${token}` } })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(warnings).toContain(
        'the rate_limit table cannot be reached: counting requests in this replica until it can (RATE_LIMIT_STORE=postgres)',
      );
      expect(warnings.filter((line) => line.startsWith('the rate_limit table'))).toHaveLength(1);
    } finally {
      spy.mockRestore();
      await app.close();
    }
  });
});
