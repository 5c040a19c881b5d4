import { BadRequestException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { FlowlineError, invalidArgument } from '@flowline/rpc';
import { isJsonMediaType } from './http-edge';
import { HttpRefusal, mapHttpError } from './http-error-mapping';

const limits = { bodyLimitBytes: 2048 };

/** What body-parser raises (an http-errors object): a status and a type. */
function bodyParserError(type: string, status: number, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { type, status, statusCode: status, expose: true, ...extra });
}

describe('mapHttpError: every HTTP error in the shape { error: { code, message, violations } }', () => {
  it('keeps a FlowlineError: its status, code, full message and violations', () => {
    const mapped = mapHttpError(
      invalidArgument('ANSWER_INVALID', 'the answers are not valid', [{ field: 'answers.score', description: 'expected 1 to 3' }]),
      limits,
    );
    expect(mapped).toEqual({
      status: 400,
      body: {
        error: {
          code: 'ANSWER_INVALID',
          message: 'the answers are not valid: answers.score: expected 1 to 3',
          violations: [{ field: 'answers.score', description: 'expected 1 to 3' }],
        },
      },
      unexpected: false,
    });
  });

  it('turns invalid JSON into 400 INVALID_JSON naming the body', () => {
    const mapped = mapHttpError(bodyParserError('entity.parse.failed', 400, `Expected property name or '}' in JSON at position 1`), limits);
    expect(mapped.status).toBe(400);
    expect(mapped.body.error.code).toBe('INVALID_JSON');
    expect(mapped.body.error.message).toMatch(/^the request body is not valid JSON: Expected property name/);
    expect(mapped.body.error.violations).toEqual([{ field: 'body', description: 'expected a JSON document', code: 'INVALID_JSON' }]);
  });

  it('turns a body over the limit into 413 naming the limit and its setting', () => {
    const mapped = mapHttpError(
      bodyParserError('entity.too.large', 413, 'request entity too large', { length: 5000, limit: 2048 }),
      limits,
    );
    expect(mapped.status).toBe(413);
    expect(mapped.body.error.code).toBe('BODY_TOO_LARGE');
    expect(mapped.body.error.message).toBe(
      'the request body is 5000 bytes; this service accepts at most 2048 bytes (setting HTTP_BODY_LIMIT_BYTES)',
    );
  });

  it('turns an unsupported charset or encoding into 415', () => {
    expect(mapHttpError(bodyParserError('charset.unsupported', 415, 'x', { charset: 'latin-9' }), limits)).toMatchObject({
      status: 415,
      body: { error: { code: 'UNSUPPORTED_ENCODING', message: "the request body's charset 'latin-9' is not supported: send UTF-8" } },
    });
    expect(mapHttpError(bodyParserError('encoding.unsupported', 415, 'x', { encoding: 'br' }), limits).status).toBe(415);
  });

  it('keeps a refusal of the edge as it is', () => {
    const refusal = new HttpRefusal(415, 'UNSUPPORTED_MEDIA_TYPE', 'the request body is text/plain', [
      { field: 'Content-Type', description: 'expected application/json, got text/plain' },
    ]);
    expect(mapHttpError(refusal, limits)).toEqual({
      status: 415,
      body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the request body is text/plain', violations: refusal.violations } },
      unexpected: false,
    });
  });

  it("maps Nest's HttpExceptions by status, an unknown route as ROUTE_NOT_FOUND", () => {
    expect(mapHttpError(new NotFoundException('Cannot GET /api/v1/nothing'), limits)).toEqual({
      status: 404,
      body: { error: { code: 'ROUTE_NOT_FOUND', message: 'no such endpoint: GET /api/v1/nothing', violations: [] } },
      unexpected: false,
    });
    expect(mapHttpError(new BadRequestException(['a is wrong', 'b is wrong']), limits).body.error).toEqual({
      code: 'BAD_REQUEST',
      message: 'a is wrong; b is wrong',
      violations: [],
    });
    expect(mapHttpError(new ServiceUnavailableException('draining'), limits)).toMatchObject({ status: 503, unexpected: false });
  });

  it('turns anything else into a 500 INTERNAL that tells nothing of the internals and is logged', () => {
    const mapped = mapHttpError(new TypeError("Cannot read properties of undefined (reading 'name')"), limits);
    expect(mapped).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'internal error: the service logged the details', violations: [] } },
      unexpected: true,
    });
    expect(mapHttpError('a thrown string', limits).status).toBe(500);
    expect(mapHttpError(new FlowlineError('INTERNAL', 'BROKEN', 'broken'), limits).unexpected).toBe(true);
  });

  it('answers 503 DEPENDENCY_UNAVAILABLE when the database is down, wrapped or not, so callers try again', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const mapped = mapHttpError(refused, limits);
    expect(mapped.status).toBe(503);
    expect(mapped.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(mapped.body.error.message).toMatch(/database is unavailable.*try again in a moment/);
    expect(mapped.unexpected).toBe(false);
    const wrapped = Object.assign(new Error('query failed'), { driverError: Object.assign(new Error('shutting down'), { code: '57P01' }) });
    expect(mapHttpError(wrapped, limits).status).toBe(503);
  });
});

describe('isJsonMediaType', () => {
  it('takes application/json with parameters and +json types, nothing else', () => {
    expect(isJsonMediaType('application/json')).toBe(true);
    expect(isJsonMediaType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonMediaType('application/merge-patch+json')).toBe(true);
    expect(isJsonMediaType('text/plain;charset=UTF-8')).toBe(false);
    expect(isJsonMediaType('application/x-www-form-urlencoded')).toBe(false);
    expect(isJsonMediaType('multipart/form-data; boundary=x')).toBe(false);
    expect(isJsonMediaType(undefined)).toBe(false);
  });
});
