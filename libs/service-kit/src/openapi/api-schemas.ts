/** Schemas every service's REST API shares: the error body, paging, and zod helpers for query strings. */
import { z } from 'zod';
import 'zod-openapi';

export const FieldViolationSchema = z
  .object({
    field: z.string().meta({ description: 'where the problem is: a path such as `$.steps[1].id`, a body field or a query parameter' }),
    description: z.string(),
    code: z.string().optional(),
  })
  .meta({ id: 'FieldViolation' });

/** The body of every refusal: `{ error: { code, message, violations } }` (see errors/http-error-mapping.ts). */
export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'a stable code such as DEFINITION_INVALID or PERMISSION_DENIED' }),
      message: z.string().meta({ description: 'what went wrong and what to do' }),
      violations: z.array(FieldViolationSchema),
    }),
  })
  .meta({ id: 'Error' });

/** What every list answers beside its items (libs/rpc paging). */
export const PageInfoSchema = z
  .object({
    nextPageToken: z.string().meta({ description: 'pass as pageToken for the next page; empty on the last page' }),
    totalCount: z.number().int().min(0),
  })
  .meta({ id: 'PageInfo' });

/** `pageSize` (0 or absent: 50; at most the service's PAGE_SIZE_MAX) and `pageToken` of list endpoints. */
export const PageQueryShape = {
  pageSize: z.coerce
    .number({ error: 'expected a whole number' })
    .int({ error: 'expected a whole number' })
    .min(0, { error: 'expected 0 or more' })
    .optional()
    .meta({ description: 'items per page: 1 to PAGE_SIZE_MAX (500 unless set), 0 or absent for 50' }),
  pageToken: z.string().optional().meta({ description: 'the nextPageToken of the previous page' }),
};

/** A query parameter given once or several times (`?state=0&state=1` or `?state=0,1`), as a list. */
export function repeatedQuery<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (value) => (value === undefined || value === '' ? [] : Array.isArray(value) ? value : String(value).split(',')),
    z.array(item),
  );
}

/** A query parameter that is `true` or `false` (absent: false). */
export const queryBoolean = z
  .enum(['true', 'false'], { error: 'expected true or false' })
  .optional()
  .transform((value) => value === 'true');

/** An RFC 3339 date and time (what every service answers with). */
export const dateTime = () => z.string().meta({ format: 'date-time' });
