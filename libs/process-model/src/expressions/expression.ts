/**
 * Expressions of the process language: CEL (Common Expression Language, evaluated by the
 * maintained @bufbuild/cel library; no `eval`, no loops beyond CEL's bounded macros).
 *
 * Values cross into CEL this way: objects become maps, whole numbers become CEL ints, other
 * numbers doubles, dates ISO strings. Results come back as plain JSON values (ints as numbers
 * when they fit). Cost is bounded before evaluation: the source length, the number of
 * comprehension macros (map, filter, exists, all, exists_one) and the size of every list and
 * string handed in.
 *
 * Records read with null semantics: bindings named in `records` (the record, its pre-image,
 * a child's inputs, a dialog's answers) are maps in which a missing attribute reads as null
 * and `has()` is false for it (and for one that is null), so `record.firstname` on a contact
 * without a first name gives null, never "no such key".
 */
import { isCelError, isCelList, isCelMap, parse, plan, celEnv, celMap, type CelMap } from '@bufbuild/cel';

export interface ExpressionLimits {
  maxSourceLength: number;
  maxComprehensions: number;
  maxListSize: number;
  maxStringLength: number;
}

export const DEFAULT_EXPRESSION_LIMITS: ExpressionLimits = {
  maxSourceLength: 2_000,
  maxComprehensions: 3,
  maxListSize: 1_000,
  maxStringLength: 100_000,
};

export type ExpressionErrorCode = 'EXPRESSION_ERROR' | 'EXPRESSION_TOO_COSTLY';

export class ExpressionError extends Error {
  constructor(
    readonly code: ExpressionErrorCode,
    message: string,
    readonly source: string,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

export interface EvaluateOptions {
  /** Top-level bindings that are records: a missing attribute reads as null, `has()` is false for it. */
  records?: readonly string[];
}

export interface CompiledExpression {
  readonly source: string;
  evaluate(bindings: Record<string, unknown>, options?: EvaluateOptions): unknown;
}

/**
 * A CEL map in which an absent key reads as null and `has()` is false for absent and null
 * entries: the null semantics of record attributes. It derives from a plain CEL map (which
 * keeps iteration, size and the library's own map marker) and changes only the two reads.
 */
function recordMap(entries: Map<string, unknown>): CelMap {
  const inner = celMap(entries as never);
  const map = Object.create(inner) as CelMap & { get: CelMap['get']; has: CelMap['has'] };
  map.get = (key) => (typeof key === 'string' ? (inner.get(key) ?? null) : inner.get(key));
  map.has = (key) => inner.has(key) && inner.get(key) !== null;
  return map;
}

const COMPREHENSION = /\.\s*(map|filter|exists_one|exists|all)\s*\(/g;
const env = celEnv();

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function toCel(value: unknown, limits: ExpressionLimits, path: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (typeof value === 'string') {
    if (value.length > limits.maxStringLength)
      throw new ExpressionError(
        'EXPRESSION_TOO_COSTLY',
        `${path} is ${value.length} characters long; expressions take at most ${limits.maxStringLength}`,
        path,
      );
    return value;
  }
  if (typeof value === 'boolean' || typeof value === 'bigint') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    if (value.length > limits.maxListSize)
      throw new ExpressionError(
        'EXPRESSION_TOO_COSTLY',
        `${path} holds ${value.length} items; expressions take lists of at most ${limits.maxListSize}`,
        path,
      );
    return value.map((item, index) => toCel(item, limits, `${path}[${index}]`));
  }
  if (typeof value === 'object') return new Map(Object.entries(value).map(([key, item]) => [key, toCel(item, limits, `${path}.${key}`)]));
  throw new ExpressionError('EXPRESSION_ERROR', `${path} cannot be used in an expression (a ${typeof value})`, path);
}

function fromCel(value: unknown): Json {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint')
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (isCelList(value)) return [...value].map(fromCel);
  if (isCelMap(value)) return Object.fromEntries([...value].map(([key, item]) => [String(fromCel(key)), fromCel(item)]));
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, item]) => [String(key), fromCel(item)]));
  if (Array.isArray(value)) return value.map(fromCel);
  if (typeof value === 'object' && value !== null && 'value' in value) return fromCel((value as { value: unknown }).value); // uint
  return String(value);
}

/** Parses and checks an expression once; evaluate it as often as needed. */
export function compileExpression(source: string, limits: ExpressionLimits = DEFAULT_EXPRESSION_LIMITS): CompiledExpression {
  if (source.length > limits.maxSourceLength) {
    throw new ExpressionError(
      'EXPRESSION_TOO_COSTLY',
      `the expression is ${source.length} characters long; at most ${limits.maxSourceLength} are allowed`,
      source,
    );
  }
  const comprehensions = source.match(COMPREHENSION)?.length ?? 0;
  if (comprehensions > limits.maxComprehensions) {
    throw new ExpressionError(
      'EXPRESSION_TOO_COSTLY',
      `the expression uses ${comprehensions} list macros (map, filter, exists, all, exists_one); at most ${limits.maxComprehensions} are allowed`,
      source,
    );
  }
  let program: (bindings: Record<string, unknown>) => unknown;
  try {
    const planned = plan(env, parse(source));
    program = (bindings) => (planned as (context: never) => unknown)(bindings as never);
  } catch (error) {
    throw new ExpressionError(
      'EXPRESSION_ERROR',
      `the expression does not parse: ${(error as Error).message.replace(/^<input>:/, 'at ')}`,
      source,
    );
  }
  return {
    source,
    evaluate(bindings, options) {
      const records = new Set(options?.records ?? []);
      const cel = Object.fromEntries(
        Object.entries(bindings).map(([name, value]) => {
          const converted = toCel(value, limits, name);
          return [name, records.has(name) && converted instanceof Map ? recordMap(converted as Map<string, unknown>) : converted];
        }),
      );
      const result = program(cel);
      if (isCelError(result)) throw new ExpressionError('EXPRESSION_ERROR', `'${source}' failed: ${(result as Error).message}`, source);
      return fromCel(result);
    },
  };
}

/** Evaluates a condition: it must give a boolean. */
export function evaluateCondition(expression: CompiledExpression, bindings: Record<string, unknown>): boolean {
  const result = expression.evaluate(bindings);
  if (typeof result !== 'boolean')
    throw new ExpressionError(
      'EXPRESSION_ERROR',
      `the condition '${expression.source}' gave ${JSON.stringify(result)}, not true or false`,
      expression.source,
    );
  return result;
}
