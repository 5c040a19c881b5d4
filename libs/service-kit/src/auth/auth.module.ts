/** Registers the AuthGuard for every HTTP route and gRPC method of the service. */
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AUTH_SECRET, AuthGuard } from './auth.guard';

@Global()
@Module({})
export class AuthModule {
  static forRoot(secret: string): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        { provide: AUTH_SECRET, useValue: secret },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [AUTH_SECRET],
    };
  }
}
