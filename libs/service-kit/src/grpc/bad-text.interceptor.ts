/**
 * The gRPC edge's text check, shared by every service: a request holding a NUL character or a
 * lone UTF-16 surrogate in any string (no PostgreSQL row can store the first, UTF-8 cannot
 * carry the second) is refused with INVALID_ARGUMENT `BAD_CHARACTER` naming each field by its
 * path in the request (`step.name`, `ref.uniqueName`) before the handler runs. Bound by
 * `@GrpcController()`; errors it throws go through the GrpcExceptionFilter like any other.
 */
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { refuseBadText } from '../errors/text-safety';

@Injectable()
export class BadTextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'rpc') {
      const request: unknown = context.switchToRpc().getData();
      if (request !== null && typeof request === 'object') refuseBadText(request as Record<string, unknown>);
    }
    return next.handle();
  }
}
