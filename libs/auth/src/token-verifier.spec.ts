/**
 * The token verifier remembers tokens it has verified (30 s at most, never past their exp), so a
 * caller's repeated calls do not pay for the signature check each time; what it refuses, and
 * what has expired meanwhile, stays refused.
 */
import { TokenVerifier } from './token-verifier';
import { signToken, TokenError } from './tokens';

const secret = 'a-development-secret-0123456789';
const T0 = Date.parse('2026-12-02T12:00:00Z');

describe('TokenVerifier: verified tokens remembered', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  /** Counts the signature checks the verifier makes (its private verifySignature). */
  const countChecks = (verifier: TokenVerifier) =>
    jest.spyOn(verifier as unknown as { verifySignature: (token: string) => Promise<unknown> }, 'verifySignature');

  it('checks a token once and answers its repeats from memory, with the same principal', async () => {
    const verifier = new TokenVerifier({ secret });
    const checks = countChecks(verifier);
    const token = signToken(secret, { subject: 'svc', roles: ['service'], name: 'Service' });
    const first = await verifier.verify(token);
    const again = await verifier.verify(token);
    expect(again).toEqual({ subject: 'svc', roles: ['service'], name: 'Service' });
    expect(again).toEqual(first);
    expect(checks).toHaveBeenCalledTimes(1);
  });

  it('checks it again after 30 s', async () => {
    const verifier = new TokenVerifier({ secret });
    const checks = countChecks(verifier);
    const token = signToken(secret, { subject: 'svc', roles: ['service'] });
    await verifier.verify(token);
    jest.setSystemTime(T0 + 29_000);
    await verifier.verify(token);
    expect(checks).toHaveBeenCalledTimes(1);
    jest.setSystemTime(T0 + 31_000);
    await verifier.verify(token);
    expect(checks).toHaveBeenCalledTimes(2);
  });

  it('refuses a remembered token once it has expired', async () => {
    const verifier = new TokenVerifier({ secret });
    const token = signToken(secret, { subject: 'svc', roles: ['service'], expiresInSeconds: 10 });
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'svc' });
    jest.setSystemTime(T0 + 10_000);
    await expect(verifier.verify(token)).rejects.toThrow(new TokenError('the bearer token has expired: get a new one'));
  });

  it('does not remember a refused token, and a tampered copy of a remembered one is refused', async () => {
    const verifier = new TokenVerifier({ secret });
    const checks = countChecks(verifier);
    const forged = signToken('another-secret-0123456789abcdef', { subject: 'svc', roles: ['admin'] });
    await expect(verifier.verify(forged)).rejects.toThrow(TokenError);
    await expect(verifier.verify(forged)).rejects.toThrow(TokenError);
    expect(checks).toHaveBeenCalledTimes(2);

    const token = signToken(secret, { subject: 'svc', roles: ['service'] });
    await verifier.verify(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url')}.${signature}`;
    await expect(verifier.verify(tampered)).rejects.toThrow(/signature is not valid/);
  });

  it('keeps at most 1,000 tokens, dropping the oldest first', async () => {
    const verifier = new TokenVerifier({ secret });
    const tokens = Array.from({ length: 1_001 }, (_, i) => signToken(secret, { subject: `svc-${i}`, roles: ['service'] }));
    for (const token of tokens) await verifier.verify(token);
    const checks = countChecks(verifier);
    await verifier.verify(tokens[1_000]!);
    await verifier.verify(tokens[1]!);
    expect(checks).toHaveBeenCalledTimes(0);
    await verifier.verify(tokens[0]!);
    expect(checks).toHaveBeenCalledTimes(1);
  });
});
