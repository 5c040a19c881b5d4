/**
 * What every service's HTTP port does with a request before a handler sees it: a body must
 * be JSON (anything else is a 415 naming the content type it got), at most
 * HTTP_BODY_LIMIT_BYTES long (413), and valid JSON (400); every refusal, and every error a
 * handler throws, answers in Flowline's error shape through the HttpErrorFilter.
 */
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { HttpErrorCodes, HttpRefusal, refusalOfBodyParser } from './http-error-mapping';
import { HttpErrorFilter } from './http-error.filter';

export interface HttpEdgeSettings {
  /** The largest request body accepted, in bytes (setting HTTP_BODY_LIMIT_BYTES). */
  bodyLimitBytes: number;
  /**
   * Text media types taken besides JSON (the registry takes `application/yaml` definitions),
   * handed to the handler as the body's text.
   */
  textMediaTypes?: string[];
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** `application/json`, or a JSON-based type such as `application/merge-patch+json`. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType);
}

function hasBody(request: Request): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = request.headers['content-length'];
  return length !== undefined && length !== '0';
}

/** Refuses, with a 415 naming it, a body that is not JSON on a method that takes one. */
export function requireJsonBody(request: Request, _response: Response, next: NextFunction): void {
  if (!METHODS_WITH_BODY.has(request.method) || !hasBody(request) || isJsonMediaType(request.headers['content-type'])) {
    next();
    return;
  }
  const given = request.headers['content-type'];
  next(
    new HttpRefusal(
      415,
      HttpErrorCodes.unsupportedMediaType,
      given
        ? `the request body is ${given.split(';')[0]!.trim()}; this API takes application/json: send JSON with Content-Type: application/json`
        : 'the request body has no Content-Type; this API takes application/json: send JSON with Content-Type: application/json',
      [
        {
          field: 'Content-Type',
          description: `expected application/json, got ${given ?? 'none'}`,
          code: HttpErrorCodes.unsupportedMediaType,
        },
      ],
    ),
  );
}

/** requireJsonBody that also lets bodies of the given text media types through. */
export function requireJsonOrTextBody(textMediaTypes: string[]) {
  const accepted = new Set(textMediaTypes.map((type) => type.toLowerCase()));
  return (request: Request, response: Response, next: NextFunction): void => {
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (accepted.has(mediaType)) {
      next();
      return;
    }
    // The refusal names what this service takes, the text types too.
    requireJsonBody(request, response, (error?: unknown) =>
      next(
        error instanceof HttpRefusal
          ? new HttpRefusal(
              error.status,
              error.code,
              `${error.message.split(';')[0]!}; this API takes application/json or ${textMediaTypes.join(', ')}`,
              error.violations,
            )
          : error,
      ),
    );
  };
}

/**
 * Installs the edge on an application created with `bodyParser: false`: the content-type
 * check, the JSON body parser with its limit, and the error filter.
 */
export function installHttpEdge(app: INestApplication, settings: HttpEdgeSettings): void {
  const express = app as NestExpressApplication;
  express.use(settings.textMediaTypes?.length ? requireJsonOrTextBody(settings.textMediaTypes) : requireJsonBody);
  express.useBodyParser('json', { limit: settings.bodyLimitBytes, type: ['application/json', 'application/*+json'] });
  if (settings.textMediaTypes?.length) express.useBodyParser('text', { limit: settings.bodyLimitBytes, type: settings.textMediaTypes });
  // The parser's own errors keep their kind (invalid JSON, too large, charset) on their way to the filter.
  express.use((error: unknown, _request: Request, _response: Response, next: NextFunction) =>
    next(refusalOfBodyParser(error, { bodyLimitBytes: settings.bodyLimitBytes })),
  );
  app.useGlobalFilters(new HttpErrorFilter(app.getHttpAdapter(), { bodyLimitBytes: settings.bodyLimitBytes }));
}
