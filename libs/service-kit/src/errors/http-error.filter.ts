/**
 * HTTP side of errors-as-values: a FlowlineError becomes its HTTP status with a JSON body
 * `{ error: { code, message, violations } }`; everything else keeps Nest's handling.
 */
import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';
import { FlowlineError } from '@flowline/rpc';

@Catch()
export class HttpErrorFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() === 'http' && exception instanceof FlowlineError) {
      const response = host.switchToHttp().getResponse<Response>();
      response.status(exception.httpStatus).json({
        error: { code: exception.code, message: exception.fullMessage, violations: exception.violations },
      });
      return;
    }
    super.catch(exception, host);
  }
}
