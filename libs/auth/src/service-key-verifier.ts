/**
 * Verifying the tokens services sign with their own keys (service-credentials.ts): the public
 * keys the installation trusts (AUTH_SERVICE_KEYS, a JSON Web Key Set whose `kid`s are the
 * services' names). A token verified by one of them is the principal of that service with the
 * role `service` and nothing more, whatever roles its claims name: a service key can never
 * yield an admin or an operator. Its subject must be the key's own id, so one service's key
 * cannot speak for another.
 */
import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { Roles, type Principal } from './roles';
import { SERVICE_KEY_ALGORITHMS, SERVICE_TOKEN_ISSUER } from './service-credentials';
import { TokenError } from './tokens';

/** The longest lifetime (exp - iat) a service-signed token may ask for, in seconds. */
export const SERVICE_TOKEN_MAX_LIFETIME_SECONDS = 3600;

/** AUTH_SERVICE_KEYS as a key set: public keys only, each with its service name as `kid`. */
export function parseServiceKeySet(text: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('expected a JSON Web Key Set ({"keys": [...]}) of the services\' public keys');
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new Error('expected a JSON Web Key Set ({"keys": [...]}) with at least one service public key');
  const seen = new Set<string>();
  keys.forEach((key: unknown, index) => {
    const jwk = key as Record<string, unknown>;
    if (typeof jwk !== 'object' || jwk === null) throw new Error(`keys[${index}] is not a JSON Web Key`);
    if (typeof jwk['kid'] !== 'string' || jwk['kid'] === '') throw new Error(`keys[${index}] has no kid (the service's name)`);
    if ('d' in jwk) throw new Error(`keys[${index}] (${String(jwk['kid'])}) is a private key: publish only the public part`);
    if (seen.has(jwk['kid'])) throw new Error(`keys[${index}] repeats the kid '${jwk['kid']}': one key per service`);
    seen.add(jwk['kid']);
  });
  return parsed as JSONWebKeySet;
}

export class ServiceKeyVerifier {
  private readonly keys: ReturnType<typeof createLocalJWKSet>;
  private readonly keyIds: Set<string>;

  constructor(keySet: JSONWebKeySet) {
    this.keys = createLocalJWKSet(keySet);
    this.keyIds = new Set(keySet.keys.map((key) => key.kid ?? ''));
  }

  /** The services whose keys are trusted, for the start-up log. */
  services(): string[] {
    return [...this.keyIds].sort();
  }

  /** Whether the token claims to be signed by a service key (read unverified, to choose the verifier; the signature decides). */
  static claims(token: string): boolean {
    const payload = token.split('.')[1];
    if (!payload) return false;
    try {
      return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown }).iss === SERVICE_TOKEN_ISSUER;
    } catch {
      return false;
    }
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: SERVICE_TOKEN_ISSUER,
        algorithms: SERVICE_KEY_ALGORITHMS,
        clockTolerance: 30,
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw new TokenError(
          `the service token is signed with a key this installation does not trust${kid ? ` (kid '${kid}')` : ''}: add the service's public key to AUTH_SERVICE_KEYS`,
        );
      if (error instanceof errors.JWSSignatureVerificationFailed)
        throw new TokenError(`the service token signature is not valid for the key of '${kid ?? '?'}'`);
      if (error instanceof errors.JWTExpired) throw new TokenError('the service token has expired: get a new one');
      if (error instanceof errors.JOSEAlgNotAllowed)
        throw new TokenError(`a service token must be signed with ${SERVICE_KEY_ALGORITHMS.join(', ')}`);
      if (error instanceof errors.JOSEError) throw new TokenError(`the service token cannot be verified: ${error.message}`);
      throw new TokenError(`the service token cannot be verified: ${String(error)}`);
    }
    if (payload.sub !== kid)
      throw new TokenError(`the service token's subject '${String(payload.sub)}' is not the service its key belongs to ('${kid ?? '?'}')`);
    if (payload.exp! - payload.iat! > SERVICE_TOKEN_MAX_LIFETIME_SECONDS)
      throw new TokenError(
        `a service token may live at most ${SERVICE_TOKEN_MAX_LIFETIME_SECONDS} s; this one asks for ${payload.exp! - payload.iat!} s`,
      );
    // Whatever the claims say: a service key yields the service role only.
    return { subject: payload.sub!, roles: [Roles.service] };
  }
}
