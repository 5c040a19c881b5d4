/**
 * What an operator sees of the registry's REST API: every change (and every refusal) as one
 * log line naming who did what and how it ended, and
 * flowline_registry_rest_requests_total{route, outcome} on /metrics (outcome: ok, or the
 * refusal's code such as DEFINITION_INVALID). A missing token or role is refused before a
 * handler runs, by the auth guard, and is not seen here.
 */
import { Inject, Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { Counter, type Registry } from 'prom-client';
import { tap, type Observable } from 'rxjs';
import type { Principal } from '@flowline/auth';
import { FlowlineError } from '@flowline/rpc';
import { METRICS_REGISTRY } from '@flowline/service-kit';

const METRIC = 'flowline_registry_rest_requests_total';

@Injectable()
export class RegistryRestLog implements NestInterceptor {
  private readonly logger = new Logger('RegistryRest');
  private readonly requests: Counter<'route' | 'outcome'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    // One counter, whichever module's controller asked for the interceptor first.
    this.requests =
      (registry.getSingleMetric(METRIC) as Counter<'route' | 'outcome'> | undefined) ??
      new Counter({
        name: METRIC,
        help: 'Registry REST requests by route and outcome (ok, or the code of the refusal)',
        labelNames: ['route', 'outcome'],
        registers: [registry],
      });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const route = `${request.method} ${(request.route as { path?: string } | undefined)?.path ?? request.path}`;
    const who = request.principal?.subject ?? 'anonymous';
    const started = Date.now();
    const done = (outcome: string, message?: string) => {
      this.requests.inc({ route, outcome });
      if (request.method === 'GET' && outcome === 'ok') return;
      const line = { route, path: request.path, user: who, outcome, ms: Date.now() - started };
      this.logger.log(line, `${who}: ${request.method} ${request.path} ${outcome}${message ? `: ${message}` : ''}`);
    };
    return next.handle().pipe(
      tap({
        next: () => done('ok'),
        error: (error: unknown) =>
          error instanceof FlowlineError
            ? done(error.code, error.message)
            : done('error', error instanceof Error ? error.message : undefined),
      }),
    );
  }
}
