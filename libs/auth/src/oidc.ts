/**
 * Verifying bearer tokens of an OpenID Connect issuer: signature against the issuer's JSON Web
 * Key Set (fetched from AUTH_JWKS_URL, or from the issuer's discovery document, cached and
 * refreshed by `jose` when a token names a key it does not know), issuer, audience, expiry;
 * Flowline roles read from a configurable claim (e.g. `roles`, `realm_access.roles`, `groups`),
 * optionally renamed by a role map. Built on `jose` (5.x: see docs/adr/0007-oidc-tokens-with-jose.md).
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { ALL_ROLES, Roles, type Principal, type Role } from './roles';
import { TokenError } from './tokens';

export interface OidcSettings {
  /** The issuer (`iss`) tokens must carry, e.g. https://login.example.com/realms/flowline. */
  issuer: string;
  /** The audience (`aud`) tokens must be for, e.g. flowline. */
  audience: string;
  /** The JWKS document; absent: the `jwks_uri` of the issuer's /.well-known/openid-configuration. */
  jwksUrl?: string;
  /** The claim holding the caller's roles, a dot path for nested claims; default `roles`. */
  rolesClaim?: string;
  /** Issuer role names to Flowline roles; a name without an entry counts when it is a Flowline role itself. */
  roleMap?: Readonly<Record<string, Role>>;
  /** Accepted signing algorithms; default the asymmetric ones (RS*, PS*, ES*, EdDSA). */
  algorithms?: string[];
  /** Leeway for exp/nbf against clock skew, in seconds; default 30. */
  clockToleranceSeconds?: number;
  /**
   * The OAuth clients that are Flowline services (AUTH_OIDC_SERVICE_CLIENTS): a token issued to
   * one of them (its `azp`, `client_id` or `cid`) has the role `service` and no other, whatever
   * the issuer's role mapping puts in it.
   */
  serviceClients?: readonly string[];
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** `a=b,c=d` as a role map; every target must be a Flowline role. */
export function parseRoleMap(text: string): Record<string, Role> {
  const map: Record<string, Role> = {};
  for (const entry of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [from, to] = entry.split('=').map((part) => part.trim());
    if (!from || !to || !ALL_ROLES.includes(to as Role))
      throw new Error(`'${entry}' is not issuer-role=flowline-role with flowline-role one of ${ALL_ROLES.join(', ')}`);
    map[from] = to as Role;
  }
  return map;
}

function claimAt(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The issuer's keys cannot be had right now: a transient failure, not a bad token. */
export class TokenIssuerUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenIssuerUnavailable';
  }
}

export class OidcVerifier {
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(private readonly settings: OidcSettings) {}

  /** Whether a token claims this issuer (read unverified, to choose the verifier; the signature decides). */
  claimsIssuer(token: string): boolean {
    const payload = token.split('.')[1];
    if (!payload) return false;
    try {
      return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown }).iss === this.settings.issuer;
    } catch {
      return false;
    }
  }

  private async keySet(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.jwks) return this.jwks;
    let url = this.settings.jwksUrl;
    if (!url) {
      const discovery = `${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      let response: Response;
      try {
        response = await fetch(discovery, { signal: AbortSignal.timeout(5000) });
      } catch (error) {
        throw new TokenIssuerUnavailable(`the token issuer's discovery document ${discovery} cannot be read (${String(error)})`);
      }
      const document = (await response.json().catch(() => ({}))) as { jwks_uri?: unknown };
      if (!response.ok || typeof document.jwks_uri !== 'string')
        throw new TokenError(
          `the token issuer's discovery document ${discovery} names no jwks_uri (HTTP ${response.status}): set AUTH_JWKS_URL`,
        );
      url = document.jwks_uri;
    }
    this.jwks = createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
    return this.jwks;
  }

  /** The principal of a valid token, or a TokenError that says what is wrong. */
  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.keySet(), {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: this.settings.algorithms ?? ASYMMETRIC,
        clockTolerance: this.settings.clockToleranceSeconds ?? 30,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      if (error instanceof TokenIssuerUnavailable) throw error;
      if (error instanceof errors.JWKSTimeout || (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC'))
        throw new TokenIssuerUnavailable(`the token issuer's keys cannot be fetched right now (${error.message}): try again`);
      // Anything not of jose's own kinds comes from fetching the keys (refused, reset, DNS).
      if (!(error instanceof errors.JOSEError))
        throw new TokenIssuerUnavailable(`the token issuer's keys cannot be fetched right now (${String(error)}): try again`);
      throw new TokenError(this.explain(error));
    }
    const client = [payload['azp'], payload['client_id'], payload['cid']].find((value): value is string => typeof value === 'string');
    if (client && this.settings.serviceClients?.includes(client)) return { subject: payload.sub!, roles: [Roles.service], name: client };
    const claim = this.settings.rolesClaim ?? 'roles';
    const raw = claimAt(payload, claim);
    const names = Array.isArray(raw)
      ? raw.filter((name): name is string => typeof name === 'string')
      : typeof raw === 'string'
        ? raw.split(/[\s,]+/)
        : [];
    const roles = [
      ...new Set(
        names.flatMap((name) => {
          const mapped = this.settings.roleMap?.[name] ?? (ALL_ROLES.includes(name as Role) ? (name as Role) : undefined);
          return mapped ? [mapped] : [];
        }),
      ),
    ];
    if (roles.length === 0)
      throw new TokenError(
        `the bearer token carries no Flowline role in its '${claim}' claim (${names.length > 0 ? `it has ${names.slice(0, 5).join(', ')}` : 'it has none'}): give the caller a role, or map one with AUTH_OIDC_ROLE_MAP`,
      );
    const name =
      typeof payload['name'] === 'string'
        ? payload['name']
        : typeof payload['preferred_username'] === 'string'
          ? payload['preferred_username']
          : undefined;
    return { subject: payload.sub!, roles, ...(name ? { name } : {}) };
  }

  private explain(error: unknown): string {
    if (error instanceof errors.JWTExpired) return 'the bearer token has expired: get a new one';
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === 'iss') return `the bearer token was not issued by ${this.settings.issuer}`;
      if (error.claim === 'aud') return `the bearer token is not for the audience '${this.settings.audience}'`;
      if (error.claim === 'nbf') return 'the bearer token is not valid yet';
      return `the bearer token's claim '${error.claim}' is not valid: ${error.reason}`;
    }
    if (error instanceof errors.JWKSNoMatchingKey) return "the bearer token is signed with a key the issuer's JWKS does not hold";
    if (error instanceof errors.JWSSignatureVerificationFailed) return 'the bearer token signature is not valid';
    if (error instanceof errors.JOSEAlgNotAllowed) return 'the bearer token uses an algorithm this installation does not accept';
    if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid)
      return `the bearer token is not a valid JWT: ${error.message}`;
    if (error instanceof errors.JOSEError) return `the bearer token cannot be verified: ${error.message}`;
    return `the bearer token cannot be verified: ${String(error)}`;
  }
}
