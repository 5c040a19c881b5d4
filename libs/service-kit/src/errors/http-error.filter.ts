/**
 * HTTP side of errors-as-values: everything thrown while serving an HTTP request (a
 * FlowlineError, a refusal of the body, a Nest HttpException, a bug) answers with its status
 * and the JSON body `{ error: { code, message, violations } }` (see http-error-mapping.ts).
 * Unexpected errors are logged with the request they broke; the caller gets no internals.
 */
import { Catch, Logger, type ArgumentsHost, type HttpServer } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';
import { DEFAULT_HTTP_BODY_LIMIT_BYTES, mapHttpError, type HttpLimitsForErrors } from './http-error-mapping';

@Catch()
export class HttpErrorFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  constructor(
    applicationRef?: HttpServer,
    private readonly limits: HttpLimitsForErrors = { bodyLimitBytes: DEFAULT_HTTP_BODY_LIMIT_BYTES },
  ) {
    super(applicationRef);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      super.catch(exception, host);
      return;
    }
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const mapped = mapHttpError(exception, this.limits);
    if (mapped.unexpected) {
      const message = exception instanceof Error ? exception.message : String(exception);
      this.logger.error(
        { err: exception, method: request.method, path: request.path, client: request.ip },
        `unexpected error serving ${request.method} ${request.path}: ${message}`,
      );
    }
    if (mapped.status === 503) {
      this.logger.warn(
        { method: request.method, path: request.path },
        `answered 503 to ${request.method} ${request.path}: ${mapped.body.error.message}`,
      );
      if (!response.headersSent) response.setHeader('Retry-After', '1');
    }
    if (response.headersSent) {
      // Part of the answer is out: all that is left is to end it.
      response.end();
      return;
    }
    response.status(mapped.status).json(mapped.body);
  }
}
