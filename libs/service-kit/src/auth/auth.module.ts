/**
 * Registers the AuthGuard for every HTTP route and gRPC method of the service, with the token
 * verifier of the service's configuration (authSettings in config.ts), and the service's own
 * credential (SERVICE_CREDENTIAL) that its clients of other services send. Given only the
 * secret (as services did before OpenID Connect), the other AUTH_* and SERVICE_* settings are
 * read from the environment, validated the same way.
 */
import { Global, Inject, Logger, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { SERVICE_CREDENTIAL, TokenVerifier, type ServiceCredential } from '@flowline/auth';
import { authSettings, ConfigError, loadConfig, serviceCredentialOf, tokenVerifierSettings, type AuthConfig } from '../config/config';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY } from '../health/tokens';
import { AUTH_SECRET, AuthGuard, TOKEN_VERIFIER } from './auth.guard';
import { ObservedCredential } from './observed-credential';

@Global()
@Module({})
export class AuthModule implements OnModuleInit {
  constructor(@Inject(SERVICE_CREDENTIAL) private readonly credential: ServiceCredential) {}

  onModuleInit(): void {
    new Logger('AuthModule').log(`calls to other services authenticate with ${this.credential.describe()}`);
  }

  /**
   * @param serviceName the service's name: the subject of its service tokens (and the key id of
   *   a PEM SERVICE_KEY); absent, `service`.
   */
  static forRoot(secretOrConfig: string | undefined | AuthConfig, serviceName = 'service'): DynamicModule {
    const config =
      typeof secretOrConfig === 'object'
        ? secretOrConfig
        : loadConfig('auth', authSettings, { ...process.env, ...(secretOrConfig ? { AUTH_JWT_SECRET: secretOrConfig } : {}) });
    let verifier: TokenVerifier;
    let credential: ServiceCredential;
    try {
      verifier = new TokenVerifier(tokenVerifierSettings(config));
      credential = serviceCredentialOf(config, serviceName);
    } catch (error) {
      // Built before the service's logger exists (AppModule.forRoot): one plain line, like loadConfigOrExit.
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`${serviceName}: invalid configuration: ${error.problems.join('; ')}\n`);
      process.exit(78); // EX_CONFIG
    }
    return {
      module: AuthModule,
      providers: [
        { provide: AUTH_SECRET, useValue: config.AUTH_JWT_SECRET },
        { provide: TOKEN_VERIFIER, useValue: verifier },
        {
          provide: SERVICE_CREDENTIAL,
          useFactory: (registry?: Registry) => new ObservedCredential(credential, registry),
          inject: [{ token: METRICS_REGISTRY, optional: true }],
        },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [AUTH_SECRET, TOKEN_VERIFIER, SERVICE_CREDENTIAL],
    };
  }
}
