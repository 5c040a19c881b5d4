/**
 * A zod refusal as Flowline's field violations: each issue at its path (`steps[1].id`,
 * `images[0].alias`, a query parameter by its name), with the issue's message as the
 * description, so a request checked by its OpenAPI schema is refused the way a hand-written
 * check would refuse it.
 */
import type { z } from 'zod';
import { invalidArgument, type FieldViolation, type FlowlineError } from '@flowline/rpc';

/** `a.b[2].c` from zod's `['a', 'b', 2, 'c']`; `prefix` names the part of the request (empty: none). */
export function violationPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let text = prefix;
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text ? `.${String(key)}` : String(key);
  }
  return text || prefix || '$';
}

export function zodViolations(error: z.ZodError, prefix = '', code?: string, depth?: number): FieldViolation[] {
  return error.issues.map((issue) => ({
    field: violationPath(depth === undefined ? issue.path : issue.path.slice(0, depth), prefix),
    description: issue.message,
    ...(code ? { code } : {}),
  }));
}

export interface RefusalOptions {
  /** The stable error code of the refusal (the one the endpoint always used). */
  code: string;
  /** What was refused, for the message: "the query string", "the request body". */
  what: string;
  /** Prefix of every violation's field (empty: the paths as they are). */
  prefix?: string;
  /** Code of each violation (none when absent). */
  violationCode?: string;
  /** How many steps of the path name the field (1 for query parameters: `state`, not `state[1]`); all when absent. */
  depth?: number;
}

/** The INVALID_ARGUMENT a request that fails its schema answers with. */
export function zodRefusal(error: z.ZodError, options: RefusalOptions): FlowlineError {
  const violations = zodViolations(error, options.prefix ?? '', options.violationCode, options.depth);
  const summary = violations.map((v) => `${v.field}: ${v.description}`).join('; ');
  return invalidArgument(options.code, `${options.what} has ${violations.length} problem(s): ${summary}`, violations);
}

/** The value parsed by the schema, or the refusal thrown. */
export function parseOrRefuse<S extends z.ZodType>(schema: S, value: unknown, options: RefusalOptions): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw zodRefusal(result.error, options);
  return result.data;
}
