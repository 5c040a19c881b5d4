/**
 * The REST routes of bulk actions on system jobs, `/api/v1/operations/bulk`, with the zod schemas
 * their controller parses requests with and the executor's OpenAPI document is built from. The
 * schemas check shapes and types (a known action, only list filter names, true or false); what
 * the filter's values mean and when a postpone is due are BulkActionsService's and
 * OperationCommands' to say (FILTER_INVALID, POSTPONE_INVALID), as over gRPC.
 */
import { z } from 'zod';
import { Roles } from '@flowline/auth';
import { dateTime, defineRoute, PageInfoSchema, PageQueryShape } from '@flowline/service-kit';
import type { BulkActionKind } from './bulk-action.entity';
import { OPERATION_FILTER_NAMES } from './operation-filter';
import { OperationSchema, TextFilterShape } from './operations.http.routes';

const TAG = 'bulk-actions';
const BASE = '/api/v1/operations/bulk';
export const BULK_ACTION_KINDS = ['cancel', 'pause', 'resume', 'postpone', 'retry', 'delete'] as const satisfies readonly BulkActionKind[];

/** A query parameter given several times counts once, by its first value. */
const firstOf = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (Array.isArray(value) ? value[0] : value), schema);

/** A state or status filter as the listing reads it: a number, a list, or text separated by commas. */
const numbersFilter = (description: string) =>
  z
    .union([z.number(), z.string(), z.array(z.union([z.number(), z.string()]))], {
      error: 'expected a whole number, a list of them, or text such as "1,3"',
    })
    .optional()
    .meta({ description });

/** The filter of GET /api/v1/operations as a JSON object; a name that is not a filter is refused, never ignored. */
export const BulkFilterSchema = z
  .object({
    state: numbersFilter('states: 0 Ready, 1 Suspended, 2 Locked, 3 Completed'),
    status: numbersFilter('status reasons'),
    ...TextFilterShape,
  } satisfies Record<(typeof OPERATION_FILTER_NAMES)[number], z.ZodType>)
  // A misspelt filter must not widen a bulk action to every operation: each unknown name is refused at
  // its own field (filter.stat), which zod's strict objects do not do (they name the object).
  .catchall(z.unknown())
  .superRefine((filter, context) => {
    for (const name of Object.keys(filter))
      if (!(OPERATION_FILTER_NAMES as readonly string[]).includes(name))
        context.addIssue({ code: 'custom', path: [name], message: `is not a filter: expected ${OPERATION_FILTER_NAMES.join(', ')}` });
  })
  .meta({
    id: 'BulkActionFilter',
    description: 'the list filters of GET /api/v1/operations, by the same names; any other name is refused',
    additionalProperties: false,
  });

export const BulkActionSchema = z
  .object({
    operation: OperationSchema.meta({ description: 'the bulk action as an async operation (type 13), in the system jobs list' }),
    action: z.enum(BULK_ACTION_KINDS),
    filter: z.record(z.string(), z.unknown()).meta({ description: 'the filter as it was given' }),
    until: dateTime().nullable().meta({ description: 'postpone: not before when' }),
    requestedBy: z.string(),
    progress: z.object({
      done: z.number().int(),
      total: z.number().int().meta({ description: 'the targets, fixed when the bulk action was created' }),
      applied: z.number().int(),
      refused: z.number().int(),
    }),
    refusals: z
      .array(z.object({ operationId: z.string(), position: z.number().int(), message: z.string().nullable() }))
      .meta({ description: 'the first 100 targets whose state refused the action, with the reason (all of them: items?outcome=refused)' }),
  })
  .meta({ id: 'BulkAction' });

export const BulkDryRunSchema = z
  .object({
    dryRun: z.literal(true),
    action: z.enum(BULK_ACTION_KINDS),
    matching: z.number().int().meta({ description: 'how many operations the filter matches now' }),
    byState: z.record(z.string(), z.number().int()).meta({ description: 'the matching operations by state ("1": 4)' }),
  })
  .meta({ id: 'BulkDryRun' });

export const BulkActionItemsSchema = z.object({
  items: z.array(
    z.object({
      position: z.number().int(),
      operationId: z.string(),
      outcome: z.enum(['applied', 'refused', 'pending']),
      message: z.string().nullable().meta({ description: 'applied: the move; refused: why' }),
      doneAt: dateTime().nullable(),
    }),
  ),
  page: PageInfoSchema,
});

const idParams = z.object({ id: z.string().meta({ description: "the bulk action's operation id (a UUID)" }) });

export const BulkActionRoutes = {
  start: defineRoute({
    method: 'post',
    path: BASE,
    operationId: 'startBulkAction',
    summary: 'Count (dry run) or act on every operation matching a filter',
    description:
      'A dry run answers how many operations match, by state, and changes nothing. Otherwise the matching set is fixed and the action runs as an async operation of its own (type 13); the answer is that bulk action. Cancel or pause it like any operation.',
    tag: TAG,
    access: [Roles.operator, Roles.admin],
    headers: z.object({ 'x-correlation-id': z.string().optional() }),
    body: {
      content: {
        'application/json': z.object({
          action: z.enum(BULK_ACTION_KINDS, { error: `expected one of ${BULK_ACTION_KINDS.join(', ')}` }),
          filter: BulkFilterSchema.optional(),
          dryRun: z.boolean({ error: 'expected true or false' }).optional(),
          until: z.string().optional().meta({ description: 'postpone: RFC 3339, in the future' }),
        }),
      },
    },
    refusal: { body: { code: 'BULK_INVALID' } },
    responses: {
      202: { description: 'the dry run count, or the bulk action started', schema: z.union([BulkDryRunSchema, BulkActionSchema]) },
    },
  }),
  get: defineRoute({
    method: 'get',
    path: `${BASE}/{id}`,
    operationId: 'getBulkAction',
    summary: 'A bulk action: its operation, its progress and the first refusals',
    tag: TAG,
    access: [Roles.operator],
    params: idParams,
    responses: { 200: { description: 'the bulk action', schema: BulkActionSchema } },
    refusals: [404],
  }),
  items: defineRoute({
    method: 'get',
    path: `${BASE}/{id}/items`,
    operationId: 'listBulkActionItems',
    summary: "Every target of a bulk action with its outcome, in the bulk action's order",
    tag: TAG,
    access: [Roles.operator],
    params: idParams,
    query: z.object({
      outcome: firstOf(z.string()).optional().meta({ description: 'applied, refused or pending' }),
      pageSize: firstOf(PageQueryShape.pageSize)
        .optional()
        .meta({ description: 'items per page: 1 to PAGE_SIZE_MAX (500 unless set), 0 or absent for 50' }),
      pageToken: firstOf(z.string()).optional().meta({ description: 'the nextPageToken of the previous page' }),
    }),
    // The only type the query string has is pageSize's (page.pageSize, as over gRPC); outcome is the service's (FILTER_INVALID).
    refusal: { query: { code: 'PAGE_SIZE_INVALID', violationCode: 'PAGE_SIZE', prefix: 'page' } },
    responses: {
      200: {
        description: 'a page of targets',
        schema: BulkActionItemsSchema,
      },
    },
    refusals: [404],
  }),
};
