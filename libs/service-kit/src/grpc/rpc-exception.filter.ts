/**
 * Turns every error thrown by a gRPC handler into a proper gRPC status: FlowlineErrors keep
 * their status, code and field violations; a PostgreSQL refusal of the caller's value (22P05,
 * 22021, 22P02) becomes INVALID_ARGUMENT; an unavailable database or dependency UNAVAILABLE
 * (the caller may try again); anything else becomes INTERNAL with a generic
 * message (the details go to the log, not to the caller). Every service's gRPC controllers
 * are declared with `@GrpcController()`, which binds this filter.
 */
import {
  applyDecorators,
  Catch,
  Controller,
  Logger,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type ArgumentsHost,
  type RpcExceptionFilter,
} from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { throwError, type Observable } from 'rxjs';
import { FlowlineError } from '@flowline/rpc';
import { AuthGuard } from '../auth/auth.guard';
import { unavailabilityOf } from '../errors/dependency-unavailable';
import { storageRefusalOf } from '../errors/text-safety';
import { BadTextInterceptor } from './bad-text.interceptor';

/** The gRPC status of a FlowlineError: its code, its field violations in the trailers. */
function statusOf(error: FlowlineError) {
  const status = error.toGrpcStatus();
  return { ...status, message: status.details };
}

@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('GrpcExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    if (host.getType() !== 'rpc') return throwError(() => exception);
    if (exception instanceof FlowlineError) return throwError(() => statusOf(exception));
    if (exception instanceof RpcException) {
      const error = exception.getError();
      return throwError(() =>
        typeof error === 'object' ? error : { code: GrpcStatus.UNKNOWN, details: String(error), message: String(error) },
      );
    }
    const message = exception instanceof Error ? exception.message : String(exception);
    // A value PostgreSQL cannot store or read (22P05, 22021, 22P02) is the caller's input: INVALID_ARGUMENT.
    const refusal = storageRefusalOf(exception);
    if (refusal) {
      this.logger.warn({ err: exception }, `refused a value the database cannot store: ${message}`);
      return throwError(() => statusOf(refusal));
    }
    // The service's own database (or another dependency) is down: the caller may try again.
    const unavailable = unavailabilityOf(exception);
    if (unavailable) {
      this.logger.warn({ err: exception, dependency: unavailable.dependency }, `answered UNAVAILABLE: ${unavailable.message}`);
      return throwError(() => ({
        code: GrpcStatus.UNAVAILABLE,
        details: `${unavailable.message}: try again in a moment`,
        message: unavailable.message,
      }));
    }
    this.logger.error({ err: exception }, `unexpected error in a gRPC handler: ${message}`);
    return throwError(() => ({
      code: GrpcStatus.INTERNAL,
      details: 'internal error: the service logged the details',
      message: 'internal error',
    }));
  }
}

/**
 * A Nest controller for gRPC handlers: errors become proper gRPC statuses, a request holding
 * unstorable text is refused naming the field (BadTextInterceptor), and every call is
 * authenticated (global guards do not reach the gRPC server of a hybrid application, so the
 * guard is bound here, where no gRPC controller can forget it).
 */
export function GrpcController(): ClassDecorator {
  return applyDecorators(
    Controller(),
    UseFilters(new GrpcExceptionFilter()),
    UseGuards(AuthGuard),
    UseInterceptors(new BadTextInterceptor()),
  );
}
