/**
 * The REST routes of async operations (system jobs), `/api/v1/operations`, with the zod schemas
 * their controller parses requests with and the executor's OpenAPI document is built from.
 * Which filters and transitions are allowed is OperationCommands' to say, as over gRPC.
 */
import { z } from 'zod';
import { Roles } from '@flowline/auth';
import type { ExecutorProto } from '@flowline/rpc';
import { defineRoute, PageInfoSchema, PageQueryShape, repeatedQuery } from '@flowline/service-kit';
import { MAX_FILTER_TEXT } from './operation-filter';
import { COUNT_CAP, OPERATION_SORTS } from './operation-page';

const TAG = 'operations';
const BASE = '/api/v1/operations';
/** Empty text when the moment has not come (a gRPC default); otherwise RFC 3339. */
const moment = (description?: string) =>
  z.string().meta({ description: `RFC 3339, or empty when not set${description ? `: ${description}` : ''}` });

export const OperationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    operationType: z.number().int().meta({ description: '1 System Event, 10 Workflow, 13 Bulk Delete, 54 Execute Async Request' }),
    state: z.number().int().meta({ description: '0 Ready, 1 Suspended, 2 Locked, 3 Completed' }),
    status: z.number().int().meta({
      description: '0 WaitingForResources, 10 Waiting, 20 InProgress, 21 Pausing, 22 Canceling, 30 Succeeded, 31 Failed, 32 Canceled',
    }),
    stateName: z.string(),
    statusName: z.string(),
    definitionId: z.string(),
    definitionVersion: z.number().int(),
    stepRegistrationId: z.string(),
    eventId: z.string(),
    correlationId: z.string(),
    depth: z.number().int(),
    primaryEntity: z.string(),
    regardingId: z.string(),
    owner: z.string(),
    dependencyToken: z.string(),
    postponeUntil: moment(),
    retryCount: z.number().int(),
    errorCode: z.string(),
    friendlyMessage: z.string(),
    currentStage: z.string(),
    host: z.string(),
    leaseExpiresAt: moment(),
    createdOn: moment(),
    startedOn: moment(),
    completedOn: moment(),
    executionTimeMs: z.number().int(),
    sequence: z.string(),
    rowVersion: z.number().int(),
    nextAttemptAt: moment('when a retry is due'),
    lastError: z.string(),
    unavailableSince: moment('since when a dependency has been waited out'),
    unavailableAttempts: z.number().int(),
    parentOperationId: z.string(),
  })
  .meta({ id: 'AsyncOperation' }) satisfies z.ZodType<ExecutorProto.AsyncOperation>;

export const StepLogSchema = z
  .object({
    attempt: z.number().int().meta({
      description:
        'the attempt that wrote the entry: 1 the first run, 2 its first retry, ...; 0 for entries written before attempts were recorded',
    }),
    stepId: z.string(),
    path: z.string(),
    stepType: z.string(),
    status: z.number().int().meta({ description: '1 In Progress, 2 Succeeded, 3 Failed, 4 Canceled, 5 Waiting' }),
    message: z.string(),
    startedOn: moment(),
    loggedOn: moment(),
  })
  .meta({ id: 'StepLogEntry' }) satisfies z.ZodType<ExecutorProto.StepLogEntry>;

const wholeNumbers = repeatedQuery(z.coerce.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }));
/** The list filters given as text, the same in the list's query and in a bulk action's filter. */
export const TextFilterShape = {
  definitionId: z.string().optional(),
  name: z.string().optional(),
  entity: z.string().optional().meta({ description: 'the primary entity' }),
  recordId: z.string().optional().meta({ description: 'the record the job is about' }),
  correlationId: z.string().optional(),
  createdAfter: z.string().optional().meta({ description: 'RFC 3339' }),
  createdBefore: z.string().optional().meta({ description: 'RFC 3339' }),
  text: z
    .string()
    .optional()
    .meta({ description: `a case-insensitive substring of the name, error code or message (at most ${MAX_FILTER_TEXT} characters)` }),
};

export const RelatedOperationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    state: z.number().int(),
    status: z.number().int(),
    stateName: z.string(),
    statusName: z.string(),
    createdOn: moment(),
    completedOn: moment(),
  })
  .meta({ id: 'RelatedOperation' }) satisfies z.ZodType<ExecutorProto.RelatedOperation>;
const idParams = z.object({ id: z.string() });
const action = (verb: 'cancel' | 'pause' | 'resume' | 'retry', summary: string, schema: z.ZodType = OperationSchema) =>
  defineRoute({
    method: 'post',
    path: `${BASE}/{id}/${verb}`,
    operationId: `${verb}Operation`,
    summary,
    tag: TAG,
    access: [Roles.operator],
    params: idParams,
    responses: { 200: { description: 'the operation after the move', schema } },
    refusals: [404, 409],
  });

export const OperationRoutes = {
  list: defineRoute({
    method: 'get',
    path: BASE,
    operationId: 'listOperations',
    summary: 'List system jobs (newest first unless sorted otherwise), a page at a time',
    tag: TAG,
    access: [Roles.operator],
    query: z.object({
      state: wholeNumbers.optional().meta({ description: 'states (repeat or separate by commas)' }),
      status: wholeNumbers.optional().meta({ description: 'status reasons (repeat or separate by commas)' }),
      ...TextFilterShape,
      sort: z
        .enum(OPERATION_SORTS, { error: `expected one of ${OPERATION_SORTS.join(', ')}` })
        .optional()
        .meta({
          description:
            'the order: -createdOn (default, newest first), createdOn, -completedOn, completedOn (Completed operations only), -name, name; ties by creation, then sequence',
        }),
      ...PageQueryShape,
    }),
    refusal: { query: { code: 'FILTER_INVALID', violationCode: '' } },
    responses: {
      200: {
        description: 'a page of operations',
        schema: z.object({
          operations: z.array(OperationSchema),
          page: PageInfoSchema.meta({
            description: `totalCount is exact up to ${COUNT_CAP.toLocaleString('en')}; when more match it is ${COUNT_CAP} and totalCountCapped is true`,
          }),
          totalCountCapped: z.boolean().meta({ description: `more than ${COUNT_CAP.toLocaleString('en')} operations match` }),
          estimatedTotalCount: z
            .number()
            .int()
            .meta({ description: "the database planner's estimate of how many match, when totalCountCapped (0 otherwise)" }),
        }),
      },
    },
  }),
  get: defineRoute({
    method: 'get',
    path: `${BASE}/{id}`,
    operationId: 'getOperation',
    summary: 'An operation, its step log, its parent and children, and its trace id',
    tag: TAG,
    access: [Roles.operator],
    params: idParams,
    responses: {
      200: {
        description: 'the operation and what its page shows beside it',
        schema: z.object({
          operation: OperationSchema,
          steps: z.array(StepLogSchema),
          parent: RelatedOperationSchema.optional().meta({
            description: 'the operation waiting for this one as its child, when there is one',
          }),
          children: z
            .array(RelatedOperationSchema)
            .meta({ description: 'the child workflows it started and waits (or waited) for, oldest first, at most 200' }),
          traceId: z.string().meta({ description: 'the W3C trace id of the event that created it; empty without one' }),
          outputs: z.string().meta({ description: "JSON text: a workflow run's step outputs by step id ({} while it has none)" }),
          input: z.string().meta({
            description:
              "JSON text: what it was started with: the workflow's inputs (inputs) and the triggering event's snapshot (message, record images, changed attributes)",
          }),
        }),
      },
    },
    refusals: [404],
  }),
  cancel: action(
    'cancel',
    'Cancel a Ready, Suspended or Locked operation, and the child workflows it waits for',
    OperationSchema.extend({
      childrenCanceled: z.number().int().meta({
        description: 'how many child operations it waited for (and theirs, recursively) were canceled with it',
      }),
    }),
  ),
  pause: action('pause', 'Pause a Locked operation (through Pausing to Suspended)'),
  resume: action('resume', 'Resume a Suspended operation'),
  retry: action('retry', 'Run a Failed operation again from its last persisted point'),
  postpone: defineRoute({
    method: 'post',
    path: `${BASE}/{id}/postpone`,
    operationId: 'postponeOperation',
    summary: 'Postpone a Ready or Suspended operation until a time',
    tag: TAG,
    access: [Roles.operator],
    params: idParams,
    body: { content: { 'application/json': z.object({ until: z.string().optional().meta({ description: 'RFC 3339, in the future' }) }) } },
    refusal: { body: { code: 'POSTPONE_INVALID' } },
    responses: { 200: { description: 'the operation', schema: OperationSchema } },
    refusals: [404, 409],
  }),
  deleteCompleted: defineRoute({
    method: 'delete',
    path: BASE,
    operationId: 'deleteCompletedOperations',
    summary: 'Delete completed operations finished before a time (default: the retention setting)',
    tag: TAG,
    access: [Roles.admin],
    query: z.object({ completedBefore: z.string().optional().meta({ description: 'RFC 3339' }) }),
    refusal: { query: { code: 'CUTOFF_INVALID', violationCode: '' } },
    responses: {
      200: {
        description: 'how many were deleted',
        schema: z.object({ deleted: z.number().int(), completedBefore: z.string().meta({ format: 'date-time' }) }),
      },
    },
  }),
};
