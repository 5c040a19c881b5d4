/**
 * Text no Flowline store can keep, refused at the edge with the field that holds it: a NUL
 * character (`\u0000`: PostgreSQL's text and jsonb cannot hold it) or a lone UTF-16 surrogate
 * (`"\ud800"`: not Unicode, so UTF-8 cannot carry it). Every key and string of a value is
 * looked at, iteratively (no nesting can exhaust the stack), and each refusal names the path,
 * such as `target.name` or `parameters.conditions[0].value`.
 *
 * The safety net behind it: a PostgreSQL statement that fails on such a value (22P05, 22021)
 * or on text it cannot read as its type (22P02) is the caller's input, never a failure of the
 * service nor something to wait out; `storageRefusalOf` turns it into a 400 / INVALID_ARGUMENT.
 */
import { badCharacter, printableText } from '@flowline/process-model';
import { FlowlineError, invalidArgument, type FieldViolation } from '@flowline/rpc';

/** The code of a violation for a NUL or a lone surrogate. */
export const BAD_CHARACTER = 'BAD_CHARACTER';

/** A key as shown in a path: NULs and surrogates (paired or not) as `?`. */
export const printableKey = printableText;

/** `path.key`, or `path["key"]` when the key is not a plain name. */
export function keyPath(path: string, key: string): string {
  const shown = printableKey(key);
  const child = /^[A-Za-z_$][\w$-]*$/.test(shown) ? `.${shown}` : `[${JSON.stringify(shown)}]`;
  return path === '' ? child.replace(/^\./, '') : `${path}${child}`;
}

/**
 * Every NUL or lone surrogate in the keys and strings of a value, each as a violation at its
 * path under `field`. At most `max` are reported (a hostile value may hold millions).
 */
export function badTextViolations(value: unknown, field: string, max = 20): FieldViolation[] {
  const violations: FieldViolation[] = [];
  type Pending = { value: unknown; path: string; keyProblem?: string };
  const pending: Pending[] = [{ value, path: field }];
  while (pending.length > 0 && violations.length < max) {
    const { value: current, path, keyProblem } = pending.pop()!;
    if (keyProblem) violations.push({ field: path, description: `the key ${keyProblem}`, code: BAD_CHARACTER });
    if (typeof current === 'string') {
      const problem = badCharacter(current);
      if (problem) violations.push({ field: path, description: `the text ${problem}`, code: BAD_CHARACTER });
      continue;
    }
    // Bytes (a protobuf `bytes` field) are not text.
    if (typeof current !== 'object' || current === null || ArrayBuffer.isView(current)) continue;
    const children: Pending[] = [];
    if (Array.isArray(current)) current.forEach((item, index) => children.push({ value: item, path: `${path}[${index}]` }));
    else
      for (const [key, item] of Object.entries(current as Record<string, unknown>)) {
        const problem = badCharacter(key);
        children.push({ value: item, path: keyPath(path, key), ...(problem ? { keyProblem: problem } : {}) });
      }
    // Reversed onto the stack, so violations come in document order.
    for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]!);
  }
  return violations;
}

/** Throws INVALID_ARGUMENT `BAD_CHARACTER` naming each field when any text of the fields is unstorable. */
export function refuseBadText(fields: Record<string, unknown>): void {
  const violations = Object.entries(fields).flatMap(([field, value]) => badTextViolations(value, field));
  if (violations.length === 0) return;
  // The violations follow the message: it says what they have in common.
  throw invalidArgument(
    BAD_CHARACTER,
    `${violations.length} text(s) hold a character no record can store (a NUL character or a lone UTF-16 surrogate)`,
    violations,
  );
}

/** PostgreSQL errors raised by a value the caller sent, never by the service or its database being down. */
const STORAGE_REFUSALS: Record<string, string> = {
  '22P05': 'a text holds a character PostgreSQL cannot store (such as \\u0000): remove it',
  '22021': 'a text is not valid UTF-8 or holds a NUL character: send valid Unicode text without \\u0000',
  '22P02': 'a value cannot be read as the type it is compared with or stored as',
};

/** The SQLSTATE of a PostgreSQL error (also wrapped by TypeORM as `driverError`, or as a cause). */
function sqlStateOf(error: unknown, seen = 0): string | undefined {
  if (error === null || typeof error !== 'object' || seen > 3) return undefined;
  const failure = error as { code?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof failure.code === 'string' && /^[0-9A-Z]{5}$/.test(failure.code)) return failure.code;
  return sqlStateOf(failure.driverError, seen + 1) ?? sqlStateOf(failure.cause, seen + 1);
}

/** Whether PostgreSQL refused a statement for a value the caller sent (22P05, 22021, 22P02). */
export function isStorageRefusal(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state !== undefined && state in STORAGE_REFUSALS;
}

/**
 * The refusal to answer for a statement PostgreSQL failed on the caller's value, or undefined
 * when the error is something else. The edges use it as a safety net: the checks above refuse
 * such values before any statement runs, naming the field.
 */
export function storageRefusalOf(error: unknown): FlowlineError | undefined {
  if (error instanceof FlowlineError) return undefined;
  const state = sqlStateOf(error);
  if (state === undefined || !(state in STORAGE_REFUSALS)) return undefined;
  return invalidArgument(
    'UNSTORABLE_VALUE',
    `the request holds a value that cannot be stored (PostgreSQL ${state}): ${STORAGE_REFUSALS[state]}`,
    [{ field: 'request', description: STORAGE_REFUSALS[state]!, code: 'UNSTORABLE_VALUE' }],
  );
}
