/**
 * Authentication and roles on every HTTP route and gRPC method: a bearer token is required
 * unless the handler is @Public(), and @RequireRoles() names who may call it (admin always
 * may). Tokens are checked by the TokenVerifier (HS256, and an OpenID Connect issuer's when
 * configured). Refusals are UNAUTHENTICATED / 401 or PERMISSION_DENIED / 403 with a plain
 * reason; an issuer whose keys cannot be fetched is UNAVAILABLE / 503 (try again).
 */
import { createParamDecorator, Inject, Injectable, Logger, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Metadata } from '@grpc/grpc-js';
import { bearerToken, hasAnyRole, TokenError, TokenIssuerUnavailable, TokenVerifier, type Principal, type Role } from '@flowline/auth';
import { FlowlineError } from '@flowline/rpc';

export const AUTH_SECRET = Symbol('AUTH_SECRET');
export const TOKEN_VERIFIER = Symbol('TOKEN_VERIFIER');
const PUBLIC_KEY = 'flowline:public';
const ROLES_KEY = 'flowline:roles';

/** No token needed (health endpoints, the dialog runner's static page). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);

/** Only principals holding one of these roles (or admin) may call. */
export const RequireRoles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);

const rpcPrincipals = new WeakMap<object, Principal>();
/** Verifiers whose modes were logged (once per service, however many guards share it). */
const described = new WeakSet<TokenVerifier>();

interface HttpRequestLike {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}

function authorizationOf(context: ExecutionContext): string | undefined {
  if (context.getType() === 'rpc') {
    const metadata = context.switchToRpc().getContext<Metadata>();
    const value = metadata.get('authorization')[0];
    return typeof value === 'string' ? value : undefined;
  }
  const header = context.switchToHttp().getRequest<HttpRequestLike>().headers['authorization'];
  return Array.isArray(header) ? header[0] : header;
}

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
  ) {
    if (!described.has(verifier)) {
      described.add(verifier);
      new Logger('AuthGuard').log(`bearer tokens accepted: ${verifier.describe()}`);
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    let principal: Principal;
    try {
      principal = await this.verifier.verify(bearerToken(authorizationOf(context)));
    } catch (error) {
      if (error instanceof TokenError) throw new FlowlineError('UNAUTHENTICATED', 'UNAUTHENTICATED', error.message);
      if (error instanceof TokenIssuerUnavailable) throw new FlowlineError('UNAVAILABLE', 'TOKEN_ISSUER_UNAVAILABLE', error.message);
      throw error;
    }
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && roles.length > 0 && !hasAnyRole(principal, roles)) {
      throw new FlowlineError(
        'PERMISSION_DENIED',
        'PERMISSION_DENIED',
        `this call needs the role ${[...new Set([...roles, 'admin'])].join(' or ')}; ${principal.subject} has ${principal.roles.join(', ') || 'no role'}`,
      );
    }
    if (context.getType() === 'rpc') rpcPrincipals.set(context.switchToRpc().getContext<Metadata>(), principal);
    else context.switchToHttp().getRequest<HttpRequestLike>().principal = principal;
    return true;
  }
}

/** The authenticated caller of this HTTP request or gRPC call. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal =
    context.getType() === 'rpc'
      ? rpcPrincipals.get(context.switchToRpc().getContext<Metadata>())
      : context.switchToHttp().getRequest<HttpRequestLike>().principal;
  if (!principal) throw new FlowlineError('UNAUTHENTICATED', 'UNAUTHENTICATED', 'no authenticated caller for this handler');
  return principal;
});
