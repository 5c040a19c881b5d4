import { hasAnyRole, Roles } from './roles';
import { bearerToken, signToken, TokenError, verifyToken } from './tokens';

const secret = 'test-secret-with-enough-entropy';
const now = () => Date.parse('2026-11-25T10:00:00Z');

describe('tokens', () => {
  it('round-trips subject, roles and name', () => {
    const token = signToken(secret, { subject: 'alice', roles: [Roles.author], name: 'Alice', now });
    expect(verifyToken(secret, token, now)).toEqual({ subject: 'alice', roles: ['author'], name: 'Alice' });
  });

  it('refuses a token signed with another secret, saying so', () => {
    const token = signToken('another-secret', { subject: 'mallory', roles: [Roles.admin], now });
    expect(() => verifyToken(secret, token, now)).toThrow('the bearer token signature is not valid for this installation');
  });

  it('refuses a tampered payload', () => {
    const [h, , s] = signToken(secret, { subject: 'bob', roles: [Roles.user], now }).split('.');
    const forged = Buffer.from(JSON.stringify({ iss: 'flowline', sub: 'bob', roles: ['admin'], exp: 9999999999 })).toString('base64url');
    expect(() => verifyToken(secret, `${h}.${forged}.${s}`, now)).toThrow(TokenError);
  });

  it('refuses an expired token and tells the caller to get a new one', () => {
    const token = signToken(secret, { subject: 'bob', roles: [Roles.user], expiresInSeconds: 60, now });
    expect(() => verifyToken(secret, token, () => now() + 61_000)).toThrow('the bearer token has expired: get a new one');
  });

  it('refuses other algorithms, including none', () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ iss: 'flowline', sub: 'x', roles: ['admin'], exp: 9999999999 })).toString('base64url');
    expect(() => verifyToken(secret, `${header}.${payload}.`, now)).toThrow("uses algorithm 'none'; Flowline accepts HS256 only");
  });

  it('refuses unknown roles', () => {
    const token = signToken(secret, { subject: 'x', roles: ['root' as never], now });
    expect(() => verifyToken(secret, token, now)).toThrow('roles must be a list of admin, author, operator, service, user');
  });

  it('reads the bearer token from the header and explains a malformed one', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(() => bearerToken(undefined)).toThrow('no credentials: send `authorization: Bearer <token>`');
    expect(() => bearerToken('Basic dXNlcg==')).toThrow('the authorization header must be `Bearer <token>`');
  });
});

describe('hasAnyRole', () => {
  it('lets admin do everything and others only what their roles allow', () => {
    expect(hasAnyRole({ subject: 'a', roles: ['admin'] }, ['service'])).toBe(true);
    expect(hasAnyRole({ subject: 'b', roles: ['author'] }, ['author', 'operator'])).toBe(true);
    expect(hasAnyRole({ subject: 'c', roles: ['user'] }, ['author'])).toBe(false);
  });
});
