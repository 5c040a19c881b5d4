/**
 * What a service sends when it calls another service: a bearer token of the `service` role
 * only, from the service's own credential (docs/adr/0009-per-service-credentials.md):
 *
 * - `ClientCredentialsCredential`: production with an OpenID Connect issuer. The service is an
 *   OAuth 2.0 client of the issuer (SERVICE_CLIENT_ID / SERVICE_CLIENT_SECRET) and gets its
 *   tokens by the client-credentials grant at the issuer's token endpoint, cached and renewed
 *   before they expire. Verifiers cap the tokens of AUTH_OIDC_SERVICE_CLIENTS to `service`.
 * - `ServiceKeyCredential`: production without an issuer. The service holds its own private
 *   key (SERVICE_KEY, Ed25519 or ECDSA) and signs short tokens with it; verifiers hold only the
 *   public keys (AUTH_SERVICE_KEYS) and give such a token the role `service` and nothing else,
 *   whatever its claims say, and only for the subject its key is registered for.
 * - `SharedSecretCredential`: the development launcher's HS256 shared secret (AUTH_JWT_SECRET).
 *   Whoever holds that secret can mint any token: development only.
 */
import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { TokenIssuerUnavailable } from './oidc';
import { Roles } from './roles';
import { signToken, TokenError } from './tokens';

export type { JWK } from 'jose';

/** The `iss` of tokens signed with a service's own key. */
export const SERVICE_TOKEN_ISSUER = 'flowline-service';

/** Lifetime of the tokens a service signs itself, in seconds. */
export const SERVICE_TOKEN_LIFETIME_SECONDS = 300;

/** Injection token of the service's own credential (provided by the service kit's AuthModule). */
export const SERVICE_CREDENTIAL = Symbol.for('flowline:service-credential');

export interface ServiceCredential {
  /** Which kind, for logs and metrics. */
  readonly kind: 'client-credentials' | 'service-key' | 'shared-secret' | 'none';
  /** One line for the start-up log, never the secret. */
  describe(): string;
  /** A bearer token of the `service` role, valid for at least another half minute. */
  token(): Promise<string>;
}

/** Development only: HS256 tokens of the shared AUTH_JWT_SECRET. */
export class SharedSecretCredential implements ServiceCredential {
  readonly kind = 'shared-secret';
  constructor(
    private readonly secret: string,
    private readonly subject: string,
  ) {}

  describe(): string {
    return `HS256 tokens of the shared AUTH_JWT_SECRET as '${this.subject}' (development only)`;
  }

  token(): Promise<string> {
    return Promise.resolve(
      signToken(this.secret, { subject: this.subject, roles: [Roles.service], expiresInSeconds: SERVICE_TOKEN_LIFETIME_SECONDS }),
    );
  }
}

/** No credential configured: every call says which settings give one. */
export class MissingServiceCredential implements ServiceCredential {
  readonly kind = 'none';
  describe(): string {
    return 'none (set SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET, or SERVICE_KEY, or AUTH_JWT_SECRET in development)';
  }
  token(): Promise<string> {
    return Promise.reject(
      new TokenError(
        'this service has no credential for calling other services: set SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET (OpenID Connect), or SERVICE_KEY (its own key), or AUTH_JWT_SECRET (development)',
      ),
    );
  }
}

/** The JOSE algorithm a private or public key signs with. */
export function algorithmOfKey(key: KeyObject): string {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
  }
  throw new TokenError(
    `a service key must be Ed25519 or ECDSA P-256 / P-384; this one is ${key.asymmetricKeyType ?? 'not asymmetric'}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''}`,
  );
}

/** The algorithms a service key may sign with. */
export const SERVICE_KEY_ALGORITHMS = ['EdDSA', 'ES256', 'ES384'];

export interface LoadedServiceKey {
  key: KeyObject;
  /** The key id, which is also the subject of its tokens (the service's name). */
  keyId: string;
  algorithm: string;
}

/**
 * A service's private key from SERVICE_KEY: a private JWK (JSON, its `kid` the service name)
 * or a PKCS#8 PEM (then `keyId`, SERVICE_KEY_ID or the service name, names it).
 */
export function loadServicePrivateKey(text: string, keyId?: string): LoadedServiceKey {
  const trimmed = text.trim();
  let key: KeyObject;
  let kid = keyId;
  try {
    if (trimmed.startsWith('{')) {
      const jwk = JSON.parse(trimmed) as JWK;
      kid = jwk.kid ?? kid;
      key = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } else {
      key = createPrivateKey(trimmed);
    }
  } catch (error) {
    throw new TokenError(`SERVICE_KEY is not a private key (a private JWK or a PKCS#8 PEM): ${(error as Error).message}`);
  }
  if (!kid) throw new TokenError('the service key names no key id: give the JWK a kid, or set SERVICE_KEY_ID');
  return { key, keyId: kid, algorithm: algorithmOfKey(key) };
}

/** Tokens signed with the service's own private key, renewed a minute before they expire. */
export class ServiceKeyCredential implements ServiceCredential {
  readonly kind = 'service-key';
  private cached: { token: string; expiresAt: number } | undefined;

  constructor(
    private readonly key: LoadedServiceKey,
    private readonly now: () => number = Date.now,
  ) {}

  describe(): string {
    return `${this.key.algorithm} tokens signed with its own key '${this.key.keyId}' (SERVICE_KEY)`;
  }

  async token(): Promise<string> {
    const now = this.now();
    if (this.cached && this.cached.expiresAt - now > 60_000) return this.cached.token;
    const issuedAt = Math.floor(now / 1000);
    const token = await new SignJWT({ roles: [Roles.service] })
      .setProtectedHeader({ alg: this.key.algorithm, kid: this.key.keyId, typ: 'JWT' })
      .setIssuer(SERVICE_TOKEN_ISSUER)
      .setSubject(this.key.keyId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + SERVICE_TOKEN_LIFETIME_SECONDS)
      .sign(this.key.key);
    this.cached = { token, expiresAt: (issuedAt + SERVICE_TOKEN_LIFETIME_SECONDS) * 1000 };
    return token;
  }
}

/** A new Ed25519 key pair for a service: the private JWK for its SERVICE_KEY, the public one for AUTH_SERVICE_KEYS. */
export async function generateServiceKey(serviceName: string): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const common = { kid: serviceName, alg: 'EdDSA', use: 'sig' };
  return {
    privateJwk: { ...(await exportJWK(pair.privateKey)), ...common },
    publicJwk: { ...(await exportJWK(pair.publicKey)), ...common },
  };
}

export interface ClientCredentialsSettings {
  /** The issuer's token endpoint; absent: the token_endpoint of the issuer's discovery document. */
  tokenUrl?: string;
  /** The issuer, to find its token endpoint when tokenUrl is absent. */
  issuer?: string;
  clientId: string;
  clientSecret: string;
  /** Scopes to ask for, space-separated. */
  scope?: string;
  /** Sent as `audience` (issuers such as Auth0 need it; others ignore it). */
  audience?: string;
}

/**
 * OAuth 2.0 client-credentials grant (RFC 6749 §4.4) with client_secret_basic: one request in
 * flight at a time, the token kept until a tenth of its life (at least 30 s) is left.
 */
export class ClientCredentialsCredential implements ServiceCredential {
  readonly kind = 'client-credentials';
  private cached: { token: string; renewAt: number; expiresAt: number } | undefined;
  private inFlight: Promise<string> | undefined;
  private tokenUrl: string | undefined;
  /** How many tokens were fetched (for tests and the debug log). */
  fetched = 0;

  constructor(
    private readonly settings: ClientCredentialsSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.tokenUrl = settings.tokenUrl;
  }

  describe(): string {
    return `OAuth 2.0 client-credentials tokens of client '${this.settings.clientId}' from ${this.tokenUrl ?? `${this.settings.issuer ?? '?'} (its token endpoint)`}`;
  }

  async token(): Promise<string> {
    const now = this.now();
    if (this.cached && now < this.cached.renewAt) return this.cached.token;
    this.inFlight ??= this.fetchToken().finally(() => {
      this.inFlight = undefined;
    });
    try {
      return await this.inFlight;
    } catch (error) {
      // A token still valid is better than none while the issuer is briefly away.
      if (this.cached && now < this.cached.expiresAt - 5_000 && error instanceof TokenIssuerUnavailable) return this.cached.token;
      throw error;
    }
  }

  private async endpoint(): Promise<string> {
    if (this.tokenUrl) return this.tokenUrl;
    if (!this.settings.issuer) throw new TokenError('client credentials need AUTH_TOKEN_URL or AUTH_OIDC_ISSUER');
    const discovery = `${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let document: { token_endpoint?: unknown };
    try {
      const response = await fetch(discovery, { signal: AbortSignal.timeout(5000) });
      document = (await response.json()) as typeof document;
    } catch (error) {
      throw new TokenIssuerUnavailable(`the token issuer's discovery document ${discovery} cannot be read (${String(error)})`);
    }
    if (typeof document.token_endpoint !== 'string')
      throw new TokenError(`the token issuer's discovery document ${discovery} names no token_endpoint: set AUTH_TOKEN_URL`);
    this.tokenUrl = document.token_endpoint;
    return this.tokenUrl;
  }

  private async fetchToken(): Promise<string> {
    const url = await this.endpoint();
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.settings.scope) form.set('scope', this.settings.scope);
    if (this.settings.audience) form.set('audience', this.settings.audience);
    // RFC 6749 §2.3.1: id and secret form-urlencoded before they are joined.
    const basic = Buffer.from(`${encodeURIComponent(this.settings.clientId)}:${encodeURIComponent(this.settings.clientSecret)}`).toString(
      'base64',
    );
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new TokenIssuerUnavailable(`the token endpoint ${url} cannot be reached (${String(error)}): try again`);
    }
    const body = (await response.json().catch(() => ({}))) as {
      access_token?: unknown;
      expires_in?: unknown;
      error?: unknown;
      error_description?: unknown;
    };
    if (response.status >= 500) throw new TokenIssuerUnavailable(`the token endpoint ${url} answered ${response.status}: try again`);
    if (!response.ok || typeof body.access_token !== 'string') {
      const reason = [body.error, body.error_description].filter((part) => typeof part === 'string').join(': ');
      throw new TokenError(
        `the token endpoint ${url} refused client '${this.settings.clientId}' (HTTP ${response.status}${reason ? `, ${reason}` : ''}): check SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET`,
      );
    }
    const lifetimeMs = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300) * 1000;
    const fetchedAt = this.now();
    this.cached = {
      token: body.access_token,
      expiresAt: fetchedAt + lifetimeMs,
      renewAt: fetchedAt + lifetimeMs - Math.max(30_000, lifetimeMs / 10),
    };
    this.fetched++;
    return body.access_token;
  }
}
