/**
 * The session service's REST routes, `/api/v1/sessions`, with the zod schemas its controller
 * reads requests with and its OpenAPI document is built from. Which answers a page takes is
 * the dialog's to say (SubmitPageUseCase), as over gRPC.
 */
import { z } from 'zod';
import { dateTime, defineRoute, PageInfoSchema, PageQueryShape } from '@flowline/service-kit';
import { SessionErrorCode as Code } from './session.errors';

const TAG = 'sessions';
const BASE = '/api/v1/sessions';

const json = z.unknown().meta({ description: 'any JSON value' });
const text = (description?: string) =>
  z
    .string({ error: 'expected a string' })
    .nullish()
    .meta(description ? { description } : {});
const object = (description: string) => z.record(z.string(), json, { error: 'expected a JSON object' }).nullish().meta({ description });
const pageToken = z
  .unknown()
  .optional()
  .meta({ description: "the session's rowVersion (also its ETag) when the page was shown; or send it as If-Match", type: 'integer' });

const SessionSchema = z
  .object({
    id: z.string(),
    dialog: z.object({ id: z.string(), uniqueName: z.string(), name: z.string(), version: z.number().int() }),
    entity: z.string(),
    recordId: z.string(),
    state: z.number().int().meta({ description: '0 Incomplete, 1 Complete' }),
    stateName: z.string(),
    status: z.number().int().meta({ description: '1 Not Started, 2 In Progress, 3 Paused, 4 Completed, 5 Canceled, 6 Failed' }),
    statusName: z.string(),
    currentPageId: z.string().nullable(),
    answers: z.record(z.string(), z.record(z.string(), json)).meta({ description: 'answers by page, then by prompt' }),
    inputs: z.record(z.string(), json),
    startedBy: z.string(),
    startedOn: dateTime(),
    completedBy: z.string().nullable(),
    completedOn: dateTime().nullable(),
    canceledBy: z.string().nullable(),
    canceledOn: dateTime().nullable(),
    outcomeMessage: z.string().nullable(),
    errorCode: z.string().nullable(),
    nextDialog: z.string().nullable(),
    correlationId: z.string(),
    modifiedOn: dateTime(),
    rowVersion: z.number().int().meta({ description: 'also the page token' }),
  })
  .meta({ id: 'Session' });

const PromptSchema = z.object({
  id: z.string(),
  text: z.string(),
  response: z.object({
    type: z.string(),
    required: z.boolean(),
    display: z.string().optional(),
    options: z.array(z.object({ value: z.union([z.string(), z.number()]), label: z.string() })).optional(),
    entity: z.string().optional(),
    idAttribute: z.string().optional(),
    labelAttribute: z.string().optional(),
    default: json.optional(),
  }),
  answer: json.optional(),
});

const PageSchema = z.object({
  id: z.string(),
  title: z.string(),
  prompts: z.array(PromptSchema),
  canGoBack: z.boolean(),
  last: z.boolean().meta({ description: 'no page can follow this one' }),
});

const SummaryItemSchema = z.object({
  pageId: z.string(),
  pageTitle: z.string(),
  promptId: z.string(),
  text: z.string(),
  answer: json,
  answerLabel: z.string(),
});

const viewShape = {
  session: SessionSchema,
  page: PageSchema.nullable().meta({ description: 'the page to answer; null when the session has ended' }),
  summary: z.array(SummaryItemSchema),
  replayed: z.boolean().meta({ description: 'the answer to a repeated request: nothing was done again' }),
};
export const SessionViewSchema = z.object(viewShape).meta({ id: 'SessionView' });

const ActionSchema = z.object({
  sequence: z.number().int(),
  kind: z.string(),
  stepId: z.string().nullable(),
  entity: z.string().nullable(),
  recordId: z.string().nullable(),
  detail: z.record(z.string(), json),
  performedBy: z.string(),
  performedOn: dateTime(),
  pageToken: z.number().int(),
});

const etag = z.object({ etag: z.string().meta({ description: 'the session rowVersion, "3": the next page token' }) });
const idParams = z.object({ id: z.string() });
const ifMatch = z.object({ 'if-match': z.string().optional().meta({ description: 'the page token, when not in the body' }) });
const bodyRefusal = { body: { code: Code.InvalidRequest } };
const view = (description: string) => ({ description, schema: SessionViewSchema, headers: etag });

export const SessionRoutes = {
  start: defineRoute({
    method: 'post',
    path: BASE,
    operationId: 'startSession',
    summary: 'Start a dialog session on a record',
    tag: TAG,
    access: 'any',
    headers: z.object({
      'idempotency-key': z.string().optional().meta({ description: 'as requestId' }),
      'x-correlation-id': z.string().optional(),
    }),
    body: {
      content: {
        'application/json': z.object({
          dialog: text('the dialog id or unique name'),
          entity: text(),
          recordId: text(),
          inputs: object("the dialog's input arguments"),
          requestId: text('a repeat with the same id answers the same session'),
        }),
      },
    },
    refusal: bodyRefusal,
    responses: { 201: view('started; Location names the session'), 200: view('a repeated request: the session it started') },
    refusals: [404, 409],
  }),
  list: defineRoute({
    method: 'get',
    path: BASE,
    operationId: 'listSessions',
    summary: 'List sessions (yours; every session for operators)',
    tag: TAG,
    access: 'any',
    query: z.object({
      dialog: z.string().optional().meta({ description: 'the dialog id or unique name' }),
      entity: z.string().optional(),
      recordId: z.string().optional(),
      startedBy: z.string().optional(),
      state: z.coerce.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }).optional(),
      status: z.coerce.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }).optional(),
      ...PageQueryShape,
    }),
    refusal: { query: { code: Code.InvalidRequest, violationCode: '' } },
    responses: { 200: { description: 'a page of sessions', schema: z.object({ sessions: z.array(SessionSchema), page: PageInfoSchema }) } },
  }),
  get: defineRoute({
    method: 'get',
    path: `${BASE}/{id}`,
    operationId: 'getSession',
    summary: 'A session with its page, summary and log',
    tag: TAG,
    access: 'any',
    params: idParams,
    responses: {
      200: { description: 'the session', schema: z.object({ ...viewShape, actions: z.array(ActionSchema) }), headers: etag },
    },
    refusals: [403, 404],
  }),
  answer: defineRoute({
    method: 'post',
    path: `${BASE}/{id}/answers`,
    operationId: 'answerPage',
    summary: 'Answer the page shown',
    tag: TAG,
    access: 'any',
    params: idParams,
    headers: ifMatch,
    body: {
      content: {
        'application/json': z.object({
          pageId: text('the page answered'),
          answers: object('answers by prompt id'),
          pageToken,
        }),
      },
    },
    refusal: bodyRefusal,
    responses: { 200: view('the next page, or the session ended') },
    refusals: [403, 404, 409],
  }),
  previous: defineRoute({
    method: 'post',
    path: `${BASE}/{id}/previous`,
    operationId: 'previousPage',
    summary: 'Go back to the page before',
    tag: TAG,
    access: 'any',
    params: idParams,
    headers: ifMatch,
    body: { required: false, content: { 'application/json': z.object({ pageToken }) } },
    refusal: bodyRefusal,
    responses: { 200: view('the page before') },
    refusals: [403, 404, 409],
  }),
  cancel: defineRoute({
    method: 'post',
    path: `${BASE}/{id}/cancel`,
    operationId: 'cancelSession',
    summary: 'Cancel: the session stays Incomplete (Canceled)',
    tag: TAG,
    access: 'any',
    params: idParams,
    headers: ifMatch,
    body: { required: false, content: { 'application/json': z.object({ reason: text(), pageToken }) } },
    refusal: bodyRefusal,
    responses: { 200: view('the canceled session') },
    refusals: [403, 404, 409],
  }),
  lookup: defineRoute({
    method: 'get',
    path: `${BASE}/{id}/lookups/{promptId}`,
    operationId: 'searchLookup',
    summary: 'Records a lookup prompt on the page shown offers, whose name contains `search`',
    tag: TAG,
    access: 'any',
    params: z.object({ id: z.string(), promptId: z.string() }),
    query: z.object({
      search: z.string().optional(),
      pageSize: z.coerce
        .number({ error: 'expected a whole number' })
        .int({ error: 'expected a whole number' })
        .optional()
        .meta({ description: 'up to 50 (20 by default)' }),
    }),
    refusal: { query: { code: Code.InvalidRequest, violationCode: '' } },
    responses: {
      200: {
        description: 'matching records',
        schema: z.object({
          entity: z.string(),
          records: z.array(z.object({ id: z.string(), label: z.string() })),
          more: z.boolean().meta({ description: 'more match than were returned: type more of the name' }),
        }),
      },
    },
    refusals: [403, 404],
  }),
};
