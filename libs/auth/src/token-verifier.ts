/**
 * The one verifier every service's guard asks. It takes, each only when configured:
 * - tokens services sign with their own keys (AUTH_SERVICE_KEYS): role `service` only;
 * - an OpenID Connect issuer's tokens (AUTH_OIDC_ISSUER, verified through its JWKS), with the
 *   tokens of its service clients (AUTH_OIDC_SERVICE_CLIENTS) capped to `service`;
 * - HS256 tokens of the shared AUTH_JWT_SECRET: the development launcher's. With an issuer
 *   configured they may carry only AUTH_HS256_ROLES (default `service`: people sign in through
 *   the issuer); without AUTH_JWT_SECRET no HS256 token is accepted at all (production).
 */
import { decodeJwt, type JSONWebKeySet } from 'jose';
import { OidcVerifier, type OidcSettings } from './oidc';
import type { Principal, Role } from './roles';
import { SERVICE_TOKEN_ISSUER } from './service-credentials';
import { ServiceKeyVerifier } from './service-key-verifier';
import { TokenError, verifyToken } from './tokens';

export interface TokenVerifierSettings {
  /** AUTH_JWT_SECRET: verifies HS256 tokens (development); absent, HS256 tokens are refused. */
  secret?: string;
  /** The roles an HS256 token may carry; absent: any role without an issuer, `service` only with one. */
  hs256Roles?: readonly Role[];
  /** AUTH_OIDC_*: the issuer whose tokens are accepted too. */
  oidc?: OidcSettings;
  /** AUTH_SERVICE_KEYS: the public keys of the services' own credentials. */
  serviceKeys?: JSONWebKeySet;
}

function algorithmOf(token: string): string | undefined {
  try {
    return (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: unknown }).alg as string;
  } catch {
    return undefined;
  }
}

/** How long a verified token is remembered (never past its exp), and how many are. */
const VERIFIED_FOR_MS = 30_000;
const VERIFIED_MAX = 1_000;

/** A token's `exp` in ms, read without verifying (only for a token just verified). */
function expiryOf(token: string): number | undefined {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export class TokenVerifier {
  private readonly oidc: OidcVerifier | undefined;
  private readonly serviceKeys: ServiceKeyVerifier | undefined;
  private readonly hs256Roles: readonly Role[] | undefined;
  /** Tokens verified lately (see verify), oldest first. */
  private readonly verified = new Map<string, { principal: Principal; until: number }>();

  constructor(private readonly settings: TokenVerifierSettings) {
    this.oidc = settings.oidc ? new OidcVerifier(settings.oidc) : undefined;
    this.serviceKeys = settings.serviceKeys ? new ServiceKeyVerifier(settings.serviceKeys) : undefined;
    this.hs256Roles = settings.hs256Roles ?? (settings.oidc ? ['service'] : undefined);
  }

  /** Which kinds of token are accepted, for the start-up log. */
  describe(): string {
    const modes: string[] = [];
    if (this.serviceKeys)
      modes.push(`service tokens signed with the keys of ${this.serviceKeys.services().join(', ')} (role service only)`);
    if (this.settings.oidc)
      modes.push(
        `OpenID Connect tokens of ${this.settings.oidc.issuer}${this.settings.oidc.serviceClients?.length ? ` (clients ${this.settings.oidc.serviceClients.join(', ')}: role service only)` : ''}`,
      );
    if (this.settings.secret)
      modes.push(
        `HS256 of the shared AUTH_JWT_SECRET (development only${this.hs256Roles ? `; roles ${this.hs256Roles.join(', ')} only` : ''})`,
      );
    return modes.join(', ') || 'none';
  }

  /**
   * The principal of a valid token; a TokenError (or TokenIssuerUnavailable) otherwise.
   *
   * A token verified once is remembered for up to VERIFIED_FOR_MS, and never past its `exp`: a
   * caller sends the same token with every call until it renews it, and checking its signature
   * (HMAC, or RSA or EdDSA for service keys and OpenID Connect) again each time was a visible
   * part of every call's CPU. A refused token is not remembered. At most VERIFIED_MAX tokens are
   * kept; the oldest goes first.
   */
  async verify(token: string): Promise<Principal> {
    const now = Date.now();
    const known = this.verified.get(token);
    if (known && known.until > now) return known.principal;
    if (known) this.verified.delete(token);
    const principal = await this.verifySignature(token);
    const expiresAt = expiryOf(token);
    if (expiresAt !== undefined && expiresAt > now) {
      if (this.verified.size >= VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { principal, until: Math.min(expiresAt, now + VERIFIED_FOR_MS) });
    }
    return principal;
  }

  private async verifySignature(token: string): Promise<Principal> {
    const algorithm = algorithmOf(token);
    if (algorithm !== 'HS256') {
      if (this.serviceKeys && ServiceKeyVerifier.claims(token)) return this.serviceKeys.verify(token);
      if (this.oidc) return this.oidc.verify(token);
      if (this.serviceKeys)
        throw new TokenError(
          `the bearer token is not a service token (iss ${SERVICE_TOKEN_ISSUER}) and this installation has no OpenID Connect issuer (AUTH_OIDC_ISSUER)`,
        );
    }
    if (!this.settings.secret) {
      if (algorithm === 'HS256')
        throw new TokenError(
          'HS256 tokens of a shared secret are not accepted here (AUTH_JWT_SECRET is not set: it is for development only); use a token of the issuer or a service key',
        );
      throw new TokenError(`the bearer token uses algorithm '${String(algorithm)}', which this installation does not accept`);
    }
    const principal = verifyToken(this.settings.secret, token);
    const allowed = this.hs256Roles;
    if (allowed) {
      const others = principal.roles.filter((role) => !allowed.includes(role));
      if (others.length > 0)
        throw new TokenError(
          `a token signed with AUTH_JWT_SECRET may carry only the role ${allowed.join(', ')} here (AUTH_HS256_ROLES); this one has ${others.join(', ')}: sign in through ${this.settings.oidc?.issuer ?? 'the token issuer'}`,
        );
    }
    return principal;
  }
}
