/**
 * Turns every error thrown by a gRPC handler into a proper gRPC status: FlowlineErrors keep
 * their status, code and field violations; anything else becomes INTERNAL with a generic
 * message (the details go to the log, not to the caller).
 */
import {
  applyDecorators,
  Catch,
  Controller,
  Logger,
  UseFilters,
  UseGuards,
  type ArgumentsHost,
  type RpcExceptionFilter,
} from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { throwError, type Observable } from 'rxjs';
import { FlowlineError } from '@flowline/rpc';
import { AuthGuard } from '../auth/auth.guard';

@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('GrpcExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    if (host.getType() !== 'rpc') return throwError(() => exception);
    if (exception instanceof FlowlineError) {
      const status = exception.toGrpcStatus();
      return throwError(() => ({ ...status, message: status.details }));
    }
    if (exception instanceof RpcException) {
      const error = exception.getError();
      return throwError(() =>
        typeof error === 'object' ? error : { code: GrpcStatus.UNKNOWN, details: String(error), message: String(error) },
      );
    }
    const message = exception instanceof Error ? exception.message : String(exception);
    this.logger.error({ err: exception }, `unexpected error in a gRPC handler: ${message}`);
    return throwError(() => ({
      code: GrpcStatus.INTERNAL,
      details: 'internal error: the service logged the details',
      message: 'internal error',
    }));
  }
}

/**
 * A Nest controller for gRPC handlers: errors become proper gRPC statuses, and every call is
 * authenticated (global guards do not reach the gRPC server of a hybrid application, so the
 * guard is bound here, where no gRPC controller can forget it).
 */
export function GrpcController(): ClassDecorator {
  return applyDecorators(Controller(), UseFilters(new GrpcExceptionFilter()), UseGuards(AuthGuard));
}
