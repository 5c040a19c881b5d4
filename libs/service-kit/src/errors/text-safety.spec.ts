import fc from 'fast-check';
import { QueryFailedError } from 'typeorm';
import { FlowlineError, invalidArgument } from '@flowline/rpc';
import { mapHttpError } from './http-error-mapping';
import { unavailabilityOf } from './dependency-unavailable';
import { badTextViolations, isStorageRefusal, refuseBadText, storageRefusalOf } from './text-safety';

/** What node-postgres raises, as TypeORM wraps it. */
function postgresError(code: string, message: string): Error {
  const driverError = Object.assign(new Error(message), { code, severity: 'ERROR' });
  return new QueryFailedError('INSERT INTO "gateway"."record" ...', [], driverError);
}

describe('badTextViolations: NUL characters and lone surrogates at their path', () => {
  it('names every bad text and key under the field, in document order', () => {
    expect(
      badTextViolations({ name: 'a\u0000', nested: { list: ['ok', '\ud800'] }, 'bad\u0000key': 1, 'with space': 'x\udc00' }, 'target'),
    ).toEqual([
      { field: 'target.name', code: 'BAD_CHARACTER', description: 'the text holds a NUL character (\\u0000) at position 1: remove it' },
      {
        field: 'target.nested.list[1]',
        code: 'BAD_CHARACTER',
        description: 'the text holds a lone UTF-16 surrogate (\\ud800) at position 0: text must be valid Unicode',
      },
      {
        field: 'target["bad?key"]',
        code: 'BAD_CHARACTER',
        description: 'the key holds a NUL character (\\u0000) at position 3: remove it',
      },
      {
        field: 'target["with space"]',
        code: 'BAD_CHARACTER',
        description: 'the text holds a lone UTF-16 surrogate (\\udc00) at position 1: text must be valid Unicode',
      },
    ]);
  });

  it('keeps surrogate pairs (emoji), numbers and nulls, and walks nesting too deep for recursion', () => {
    expect(badTextViolations({ name: 'Contoso 😀', n: 1, none: null, flag: true }, 'target')).toEqual([]);
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(badTextViolations(deep, 'v')).toHaveLength(1);
  });

  it('reports at most 20 (a hostile value may hold millions)', () => {
    expect(
      badTextViolations(
        Array.from({ length: 1000 }, () => '\u0000'),
        'v',
      ),
    ).toHaveLength(20);
  });

  it('refuseBadText throws INVALID_ARGUMENT with every field', () => {
    expect(() => refuseBadText({ target: { name: 'ok' }, id: 'fine' })).not.toThrow();
    try {
      refuseBadText({ id: 'a\u0000', target: { name: '\ud800' } });
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(FlowlineError);
      expect((error as FlowlineError).kind).toBe('INVALID_ARGUMENT');
      expect((error as FlowlineError).violations.map((violation) => violation.field)).toEqual(['id', 'target.name']);
    }
  });

  it('finds every NUL or lone surrogate put anywhere in a value (property)', () => {
    const seed = process.env['FLOWLINE_FC_SEED'];
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('\u0000', '\ud800', '\udfff'), fc.nat(), (value, bad, at) => {
        // Replace the at-th string of the value (or the value itself) with one holding the bad character.
        let seen = 0;
        let placed = false;
        const put = (current: unknown): unknown => {
          if (typeof current === 'string') {
            if (!placed && seen++ === at % 8) {
              placed = true;
              return `${current}${bad}`;
            }
            return current;
          }
          if (Array.isArray(current)) return current.map(put);
          if (current !== null && typeof current === 'object')
            return Object.fromEntries(Object.entries(current).map(([key, item]) => [key, put(item)]));
          return current;
        };
        const dirty = put(value);
        const clean = badTextViolations(value, 'v').length === 0;
        if (clean && placed) expect(badTextViolations(dirty, 'v').length).toBeGreaterThan(0);
      }),
      { numRuns: 300, ...(seed ? { seed: Number(seed) } : {}) },
    );
  });
});

describe('storageRefusalOf: PostgreSQL refusing the caller value is a 400, never a 500 nor something to wait out', () => {
  it.each([
    ['22P05', 'unsupported Unicode escape sequence'],
    ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
    ['22P02', 'invalid input syntax for type json'],
  ])('%s (%s)', (code, message) => {
    const error = postgresError(code, message);
    expect(isStorageRefusal(error)).toBe(true);
    expect(unavailabilityOf(error)).toBeUndefined();
    expect(storageRefusalOf(error)).toMatchObject({ kind: 'INVALID_ARGUMENT', code: 'UNSTORABLE_VALUE' });
    const mapped = mapHttpError(error, { bodyLimitBytes: 1024 });
    expect(mapped).toMatchObject({ status: 400, unexpected: false, body: { error: { code: 'UNSTORABLE_VALUE' } } });
    expect(mapped.body.error.message).toContain(`PostgreSQL ${code}`);
  });

  it('leaves other errors alone: a bug stays a 500, an unavailable database stays unavailable', () => {
    expect(storageRefusalOf(postgresError('23505', 'duplicate key'))).toBeUndefined();
    expect(storageRefusalOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(storageRefusalOf(new TypeError('x is undefined'))).toBeUndefined();
    expect(storageRefusalOf(invalidArgument('X', 'y'))).toBeUndefined();
    expect(mapHttpError(new TypeError('x is undefined'), { bodyLimitBytes: 1024 })).toMatchObject({ status: 500, unexpected: true });
  });
});
