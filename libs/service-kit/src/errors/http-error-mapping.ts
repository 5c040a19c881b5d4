/**
 * The one mapping from anything thrown while serving an HTTP request to Flowline's error
 * shape `{ error: { code, message, violations } }` and its status: FlowlineErrors keep
 * theirs; the body parser's refusals (invalid JSON, too large, wrong encoding) and Nest's
 * HttpExceptions (unknown route, ...) get a stable code and a message that says what to do;
 * a PostgreSQL refusal of the caller's value (22P05, 22021, 22P02) is a 400 UNSTORABLE_VALUE;
 * anything else is an INTERNAL 500 whose details go to the log, never to the caller.
 */
import { unavailabilityOf } from './dependency-unavailable';
import { HttpException } from '@nestjs/common';
import { FlowlineError, type FieldViolation } from '@flowline/rpc';
import { storageRefusalOf } from './text-safety';

export interface HttpErrorBody {
  error: { code: string; message: string; violations: FieldViolation[] };
}

export interface MappedHttpError {
  status: number;
  body: HttpErrorBody;
  /** True for what the caller could not have caused: the service logs it as an error. */
  unexpected: boolean;
}

/** HTTP_BODY_LIMIT_BYTES when unset: 1 MiB. */
export const DEFAULT_HTTP_BODY_LIMIT_BYTES = 1024 * 1024;

/** The settings a refusal of the request's size names. */
export interface HttpLimitsForErrors {
  bodyLimitBytes: number;
}

/** Stable codes of the refusals made before a handler runs. */
export const HttpErrorCodes = {
  invalidJson: 'INVALID_JSON',
  bodyTooLarge: 'BODY_TOO_LARGE',
  unsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  unsupportedEncoding: 'UNSUPPORTED_ENCODING',
  badRequest: 'BAD_REQUEST',
  routeNotFound: 'ROUTE_NOT_FOUND',
  internal: 'INTERNAL',
  unavailable: 'DEPENDENCY_UNAVAILABLE',
} as const;

/** Codes of Nest's HttpExceptions by status, for those thrown by Nest itself or a pipe. */
const STATUS_CODES: Record<number, string> = {
  400: HttpErrorCodes.badRequest,
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: HttpErrorCodes.routeNotFound,
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  413: HttpErrorCodes.bodyTooLarge,
  415: HttpErrorCodes.unsupportedMediaType,
  429: 'RESOURCE_EXHAUSTED',
  503: 'UNAVAILABLE',
};

const shape = (status: number, code: string, message: string, violations: FieldViolation[] = [], unexpected = false) => ({
  status,
  body: { error: { code, message, violations } },
  unexpected,
});

/** An error raised by the body parser (the `http-errors` objects of body-parser / raw-body). */
interface BodyParserError {
  status?: number;
  statusCode?: number;
  type?: string;
  message?: string;
  limit?: number;
  length?: number;
  charset?: string;
  encoding?: string;
}

function isBodyParserError(exception: unknown): exception is BodyParserError & Error {
  return (
    exception instanceof Error &&
    typeof (exception as BodyParserError).type === 'string' &&
    typeof ((exception as BodyParserError).status ?? (exception as BodyParserError).statusCode) === 'number'
  );
}

/** Node's JSON.parse messages end with the position and a snippet; keep the part a person can use. */
function jsonProblem(message: string): string {
  return message.replace(/\s*\(line \d+ column \d+\)$/, '');
}

function fromBodyParser(error: BodyParserError & Error, limits: HttpLimitsForErrors): MappedHttpError {
  const status = error.status ?? error.statusCode ?? 400;
  switch (error.type) {
    case 'entity.parse.failed':
      return shape(400, HttpErrorCodes.invalidJson, `the request body is not valid JSON: ${jsonProblem(error.message)}`, [
        { field: 'body', description: 'expected a JSON document', code: HttpErrorCodes.invalidJson },
      ]);
    case 'entity.too.large':
      return shape(
        413,
        HttpErrorCodes.bodyTooLarge,
        `the request body is ${error.length ?? 'more than'} bytes; this service accepts at most ${limits.bodyLimitBytes} bytes (setting HTTP_BODY_LIMIT_BYTES)`,
        [{ field: 'body', description: `at most ${limits.bodyLimitBytes} bytes`, code: HttpErrorCodes.bodyTooLarge }],
      );
    case 'charset.unsupported':
      return shape(
        415,
        HttpErrorCodes.unsupportedEncoding,
        `the request body's charset '${error.charset ?? ''}' is not supported: send UTF-8`,
      );
    case 'encoding.unsupported':
      return shape(
        415,
        HttpErrorCodes.unsupportedEncoding,
        `the request body's content encoding '${error.encoding ?? ''}' is not supported: send it uncompressed, gzip or deflate`,
      );
    case 'request.aborted':
      return shape(400, HttpErrorCodes.badRequest, 'the request was aborted before its body arrived');
    case 'request.size.invalid':
      return shape(400, HttpErrorCodes.badRequest, 'the request body is shorter or longer than its Content-Length says');
    default:
      return shape(status >= 400 && status < 500 ? status : 400, STATUS_CODES[status] ?? HttpErrorCodes.badRequest, error.message);
  }
}

function fromHttpException(exception: HttpException): MappedHttpError {
  const status = exception.getStatus();
  const response = exception.getResponse();
  let message = exception.message;
  if (typeof response === 'object' && response !== null) {
    const text = (response as { message?: unknown }).message;
    if (typeof text === 'string') message = text;
    else if (Array.isArray(text)) message = text.map(String).join('; ');
  } else if (typeof response === 'string') message = response;
  if (status >= 500) return shape(status, STATUS_CODES[status] ?? HttpErrorCodes.internal, message, [], status === 500);
  if (status === 404 && /^Cannot [A-Z]+ /.test(message)) message = `no such endpoint: ${message.replace(/^Cannot /, '')}`;
  return shape(status, STATUS_CODES[status] ?? `HTTP_${status}`, message);
}

/**
 * A refusal of the HTTP request itself (its content type, its size), raised by the edge
 * middleware before any handler runs.
 */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly violations: FieldViolation[] = [],
  ) {
    super(message);
    this.name = 'HttpRefusal';
  }
}

/**
 * The body parser's error as an HttpRefusal, or the error itself when it is not one. Applied
 * right after the parser: Nest would turn its SyntaxError into a bare BadRequestException.
 */
export function refusalOfBodyParser(exception: unknown, limits: HttpLimitsForErrors): unknown {
  if (!isBodyParserError(exception)) return exception;
  const { status, body } = fromBodyParser(exception, limits);
  return new HttpRefusal(status, body.error.code, body.error.message, body.error.violations);
}

export function mapHttpError(exception: unknown, limits: HttpLimitsForErrors): MappedHttpError {
  if (exception instanceof HttpRefusal) return shape(exception.status, exception.code, exception.message, exception.violations);
  if (exception instanceof FlowlineError) {
    return shape(exception.httpStatus, exception.code, exception.fullMessage, exception.violations, exception.kind === 'INTERNAL');
  }
  if (isBodyParserError(exception)) return fromBodyParser(exception, limits);
  if (exception instanceof HttpException) return fromHttpException(exception);
  // A value PostgreSQL cannot store or read (22P05, 22021, 22P02) is the caller's input, not a fault of the service.
  const refusal = storageRefusalOf(exception);
  if (refusal) return shape(refusal.httpStatus, refusal.code, refusal.fullMessage, refusal.violations);
  // The service's database (or another dependency) is down for now: 503, and the caller may try again.
  const unavailable = unavailabilityOf(exception);
  if (unavailable) return shape(503, HttpErrorCodes.unavailable, `${unavailable.message}: try again in a moment`, []);
  return shape(500, HttpErrorCodes.internal, 'internal error: the service logged the details', [], true);
}
