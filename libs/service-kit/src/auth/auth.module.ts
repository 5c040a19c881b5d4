/**
 * Registers the AuthGuard for every HTTP route and gRPC method of the service, with the token
 * verifier of the service's configuration (authSettings in config.ts). Given only the secret
 * (as services did before OpenID Connect), the other AUTH_* settings are read from the
 * environment, validated the same way.
 */
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TokenVerifier } from '@flowline/auth';
import { authSettings, loadConfig, tokenVerifierSettings, type AuthConfig } from '../config/config';
import { AUTH_SECRET, AuthGuard, TOKEN_VERIFIER } from './auth.guard';

@Global()
@Module({})
export class AuthModule {
  static forRoot(secretOrConfig: string | AuthConfig): DynamicModule {
    const config =
      typeof secretOrConfig === 'string'
        ? loadConfig('auth', authSettings, { ...process.env, AUTH_JWT_SECRET: secretOrConfig })
        : secretOrConfig;
    const verifier = new TokenVerifier(tokenVerifierSettings(config));
    return {
      module: AuthModule,
      providers: [
        { provide: AUTH_SECRET, useValue: config.AUTH_JWT_SECRET },
        { provide: TOKEN_VERIFIER, useValue: verifier },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [AUTH_SECRET, TOKEN_VERIFIER],
    };
  }
}
