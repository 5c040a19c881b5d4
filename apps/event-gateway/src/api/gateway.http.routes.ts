/**
 * The gateway's REST routes with the zod schemas their controllers read requests with and the
 * gateway's OpenAPI document is built from: any message, the record conveniences, and the
 * metadata cache's counters. Any caller with a token; what each may do is the pipeline's to say.
 */
import { z } from 'zod';
import { defineRoute } from '@flowline/service-kit';
import { ExecuteBodyShape } from './execute-input';

const RECORDS = '/api/v1/records';

const RecordSchema = z.record(z.string(), z.unknown()).meta({
  id: 'Record',
  description: "the record's id under its primary id attribute, its attributes, owner, state and status and audit fields",
});

export const ExecuteResultSchema = z
  .object({
    id: z.string(),
    version: z.number().int().meta({ description: 'the record version, also in the ETag' }),
    record: RecordSchema.optional(),
    records: z.array(RecordSchema).optional(),
    totalCount: z.number().int().optional(),
    nextPageToken: z.string().optional(),
    output: z.record(z.string(), z.unknown()).meta({ description: "the message's output parameters" }),
    eventId: z.string().optional().meta({ description: 'the pipeline event written, also in x-flowline-event-id' }),
    replayed: z.boolean().meta({ description: 'true when an Idempotency-Key repeat answered the first result' }),
  })
  .meta({ id: 'ExecuteResult' });

const resultHeaders = z.object({
  etag: z.string().optional().meta({ description: 'the record version, "3"' }),
  'x-flowline-event-id': z.string().optional(),
  'x-flowline-replayed': z.string().optional(),
});
const callHeaders = z.object({
  'idempotency-key': z.string().optional().meta({ description: 'a repeat with the same key answers the first result' }),
  'x-correlation-id': z.string().optional(),
});
const versionHeaders = callHeaders.extend({
  'if-match': z.string().optional().meta({ description: 'the record version you read ("3"): 409 if it changed since' }),
});
const entityParams = z.object({ entity: z.string().meta({ description: 'an entity logical name such as account' }) });
const recordParams = entityParams.extend({ id: z.string() });
const result = (description: string) => ({ description, schema: ExecuteResultSchema, headers: resultHeaders });

/** `?name=Contoso` filters beside the named parameters: each given once, as text. */
const onceAsText = z.string({
  error: (issue) => `give the query parameter once, as text; got ${Array.isArray(issue.input) ? 'it several times' : 'an object'}`,
});

const WebhookAnswerSchema = z
  .object({
    operationId: z.string().meta({ description: 'the operation of the run this call started (or, for a repeat, the first call started)' }),
    status: z.enum(['accepted', 'succeeded', 'failed', 'canceled']),
    repeat: z.boolean().meta({ description: 'true when a delivery with the same key was already accepted: no second run' }),
    outputs: z.record(z.string(), z.unknown()).optional().meta({ description: "with wait: the run's step outputs by step id" }),
    message: z.string().optional(),
  })
  .meta({ id: 'WebhookAnswer' });

export const GatewayRoutes = {
  webhook: defineRoute({
    method: 'post',
    path: '/api/v1/hooks/{path}',
    operationId: 'callWebhook',
    summary: 'Start the active version of the workflow whose webhook trigger has this path, with the body as its inputs',
    description:
      "Authenticated by the trigger's secret: `Authorization: Bearer <secret>` (auth: token) or a Standard Webhooks signature " +
      '(`webhook-id`, `webhook-timestamp` within 5 minutes, `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`). ' +
      'A repeat with the same `Idempotency-Key` (or, signed, the same webhook-id) answers the first operation; the very same signed request twice is refused (409).',
    tag: 'webhooks',
    access: 'public',
    params: z.object({ path: z.string().meta({ description: "the trigger's path (default: the workflow's unique name)" }) }),
    query: z.object({
      wait: z
        .string()
        .optional()
        .meta({ description: 'wait up to this long for the run to end: 10s, 2500ms or seconds (at most WEBHOOK_MAX_WAIT_MS)' }),
    }),
    headers: z.object({
      authorization: z.string().optional(),
      'webhook-id': z.string().optional(),
      'webhook-timestamp': z.string().optional(),
      'webhook-signature': z.string().optional(),
      'idempotency-key': z.string().optional().meta({ description: 'one key per delivery: a retry with it starts no second run' }),
      prefer: z.string().optional().meta({ description: 'wait=10 (RFC 7240), as the wait query parameter' }),
    }),
    body: { content: { 'application/json': z.record(z.string(), z.unknown()).meta({ description: "the workflow's inputs by name" }) } },
    responses: {
      200: { description: 'with wait: the run ended in time; its outcome and outputs', schema: WebhookAnswerSchema },
      202: { description: 'accepted: the operation id (the run is started durably)', schema: WebhookAnswerSchema },
    },
    refusals: [400, 401, 404, 409, 413, 429, 503],
  }),
  message: defineRoute({
    method: 'post',
    path: '/api/v1/messages/{message}',
    operationId: 'executeMessage',
    summary:
      'Execute any message (Create, Update, Delete, Retrieve, RetrieveMultiple, Assign, SetState or a custom one) through the pipeline',
    tag: 'messages',
    access: 'any',
    params: z.object({ message: z.string() }),
    headers: callHeaders,
    body: { content: { 'application/json': z.object(ExecuteBodyShape) } },
    responses: { 200: result('the result') },
    refusals: [404, 409, 429],
  }),
  create: defineRoute({
    method: 'post',
    path: RECORDS + '/{entity}',
    operationId: 'createRecord',
    summary: 'Create a record',
    tag: 'records',
    access: 'any',
    params: entityParams,
    headers: callHeaders,
    body: {
      content: {
        'application/json': z
          .record(z.string(), z.unknown())
          .meta({ description: 'the attributes; `id` may name the new record (a UUID)' }),
      },
    },
    refusal: { body: { code: 'INVALID_REQUEST', prefix: 'target' } },
    responses: { 201: result('created; Location names the record'), 200: result('an Idempotency-Key repeat: the first result') },
    refusals: [404, 409, 429],
  }),
  list: defineRoute({
    method: 'get',
    path: RECORDS + '/{entity}',
    operationId: 'listRecords',
    summary: 'Query records: equality filters by attribute (`?name=Contoso`), order, paging, columns',
    tag: 'records',
    access: 'any',
    params: entityParams,
    query: z
      .object({
        orderBy: onceAsText.optional().meta({ description: '`creditlimit desc,name`' }),
        pageSize: onceAsText.optional().meta({ description: 'records per page' }),
        pageToken: onceAsText.optional(),
        columns: onceAsText.optional().meta({ description: 'attributes to answer with, separated by commas' }),
      })
      .catchall(onceAsText.meta({ description: 'an attribute equal to this value, read as its type' })),
    headers: callHeaders,
    responses: { 200: result('a page of records') },
    refusals: [404, 429],
  }),
  retrieve: defineRoute({
    method: 'get',
    path: RECORDS + '/{entity}/{id}',
    operationId: 'getRecord',
    summary: 'Read a record',
    tag: 'records',
    access: 'any',
    params: recordParams,
    query: z
      .object({ columns: onceAsText.optional().meta({ description: 'attributes to answer with, separated by commas' }) })
      .catchall(onceAsText),
    headers: callHeaders,
    responses: { 200: result('the record; its version in the ETag') },
    refusals: [404, 429],
  }),
  update: defineRoute({
    method: 'patch',
    path: RECORDS + '/{entity}/{id}',
    operationId: 'updateRecord',
    summary: 'Update a record; relative changes under `$operations`',
    description: '`{"name": "Contoso", "$operations": {"numberofemployees": {"op": "increment", "value": 5}}}`',
    tag: 'records',
    access: 'any',
    params: recordParams,
    headers: versionHeaders,
    body: {
      content: { 'application/json': z.record(z.string(), z.unknown()).meta({ description: 'the attributes to set, and `$operations`' }) },
    },
    refusal: { body: { code: 'INVALID_REQUEST', prefix: 'target' } },
    responses: { 200: result('the record after the change') },
    refusals: [404, 409, 429],
  }),
  remove: defineRoute({
    method: 'delete',
    path: RECORDS + '/{entity}/{id}',
    operationId: 'deleteRecord',
    summary: 'Delete a record',
    tag: 'records',
    access: 'any',
    params: recordParams,
    headers: versionHeaders,
    responses: { 200: result('deleted') },
    refusals: [404, 409, 429],
  }),
  metadata: defineRoute({
    method: 'get',
    path: '/api/v1/metadata',
    operationId: 'getMetadataCache',
    summary: 'The metadata version this gateway runs on, and its cache counters',
    tag: 'metadata',
    access: 'any',
    responses: {
      200: {
        description: 'the cache',
        schema: z.object({
          ready: z.boolean(),
          hits: z.number().int(),
          misses: z.number().int(),
          refreshes: z.number().int(),
          version: z.string(),
        }),
      },
    },
  }),
};
