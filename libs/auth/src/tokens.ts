/**
 * Bearer tokens: compact JWTs signed with HMAC-SHA256 (HS256) by a secret the services share
 * (`AUTH_JWT_SECRET`). A token names its subject, its roles and when it expires; services
 * verify signature, expiry, issuer and roles on every call.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ALL_ROLES, type Principal, type Role } from './roles';

export const TOKEN_ISSUER = 'flowline';

export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

const base64url = (input: Buffer | string) => Buffer.from(input).toString('base64url');

export interface SignTokenOptions {
  subject: string;
  roles: Role[];
  name?: string;
  /** Lifetime in seconds; default one hour. */
  expiresInSeconds?: number;
  now?: () => number;
}

export function signToken(secret: string, options: SignTokenOptions): string {
  const issuedAt = Math.floor((options.now ?? Date.now)() / 1000);
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({
      iss: TOKEN_ISSUER,
      sub: options.subject,
      roles: options.roles,
      ...(options.name ? { name: options.name } : {}),
      iat: issuedAt,
      exp: issuedAt + (options.expiresInSeconds ?? 3600),
    }),
  );
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** Verifies a token and returns its principal, or throws a TokenError that says what is wrong. */
export function verifyToken(secret: string, token: string, now: () => number = Date.now): Principal {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('the bearer token is not a JWT (expected three dot-separated parts)');
  const [header, payload, signature] = parts as [string, string, string];
  let headerJson: { alg?: string };
  let claims: { iss?: string; sub?: unknown; roles?: unknown; name?: unknown; exp?: unknown; nbf?: unknown };
  try {
    headerJson = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    throw new TokenError('the bearer token is not a JWT (its parts are not base64url JSON)');
  }
  if (headerJson.alg !== 'HS256')
    throw new TokenError(`the bearer token uses algorithm '${String(headerJson.alg)}'; Flowline accepts HS256 only`);
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new TokenError('the bearer token signature is not valid for this installation (was it signed with another AUTH_JWT_SECRET?)');
  }
  if (claims.iss !== TOKEN_ISSUER)
    throw new TokenError(`the bearer token was issued by '${String(claims.iss)}', expected '${TOKEN_ISSUER}'`);
  const seconds = now() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp <= seconds) throw new TokenError('the bearer token has expired: get a new one');
  if (typeof claims.nbf === 'number' && claims.nbf > seconds) throw new TokenError('the bearer token is not valid yet');
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new TokenError('the bearer token names no subject (sub)');
  if (!Array.isArray(claims.roles) || !claims.roles.every((role): role is Role => ALL_ROLES.includes(role as Role))) {
    throw new TokenError(`the bearer token's roles must be a list of ${ALL_ROLES.join(', ')}`);
  }
  return { subject: claims.sub, roles: claims.roles, ...(typeof claims.name === 'string' ? { name: claims.name } : {}) };
}

/** The token from an `authorization: Bearer <token>` value, or a TokenError. */
export function bearerToken(authorization: string | undefined): string {
  if (!authorization) throw new TokenError('no credentials: send `authorization: Bearer <token>`');
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) throw new TokenError('the authorization header must be `Bearer <token>`');
  return match[1]!;
}
