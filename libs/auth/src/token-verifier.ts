/**
 * The one verifier every service's guard asks: HS256 tokens signed with AUTH_JWT_SECRET (the
 * development launcher's, and the `service` tokens services send each other), and, when an
 * OpenID Connect issuer is configured, the issuer's tokens (RS256 and other asymmetric
 * algorithms, verified through its JWKS). With an issuer, HS256 tokens may carry only the roles
 * of AUTH_HS256_ROLES (by default `service`): the shared secret then cannot mint an admin.
 */
import { OidcVerifier, type OidcSettings } from './oidc';
import type { Principal, Role } from './roles';
import { TokenError, verifyToken } from './tokens';

export interface TokenVerifierSettings {
  /** AUTH_JWT_SECRET: verifies HS256 tokens. */
  secret: string;
  /** The roles an HS256 token may carry; absent: any role without an issuer, `service` only with one. */
  hs256Roles?: readonly Role[];
  /** AUTH_OIDC_*: the issuer whose tokens are accepted too. */
  oidc?: OidcSettings;
}

function algorithmOf(token: string): string | undefined {
  try {
    return (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: unknown }).alg as string;
  } catch {
    return undefined;
  }
}

export class TokenVerifier {
  private readonly oidc: OidcVerifier | undefined;
  private readonly hs256Roles: readonly Role[] | undefined;

  constructor(private readonly settings: TokenVerifierSettings) {
    this.oidc = settings.oidc ? new OidcVerifier(settings.oidc) : undefined;
    this.hs256Roles = settings.hs256Roles ?? (settings.oidc ? ['service'] : undefined);
  }

  /** Which kinds of token are accepted, for the start-up log. */
  describe(): string {
    const hs256 = `HS256 (AUTH_JWT_SECRET${this.hs256Roles ? `, roles ${this.hs256Roles.join(', ')} only` : ''})`;
    return this.settings.oidc ? `${hs256} and OpenID Connect tokens of ${this.settings.oidc.issuer}` : hs256;
  }

  /** The principal of a valid token; a TokenError (or TokenIssuerUnavailable) otherwise. */
  async verify(token: string): Promise<Principal> {
    if (this.oidc && algorithmOf(token) !== 'HS256') return this.oidc.verify(token);
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
