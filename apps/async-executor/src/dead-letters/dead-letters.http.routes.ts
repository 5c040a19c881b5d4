/**
 * The REST routes of dead letters, `/api/v1/dead-letters`, with the zod schemas their controller
 * parses requests with and the executor's OpenAPI document is built from. The schemas check
 * shapes and types; what a value means (a status that exists, an RFC 3339 time, a letter that
 * can be replayed) is DeadLettersService's to say, as over gRPC.
 */
import { z } from 'zod';
import { Roles } from '@flowline/auth';
import { dateTime, defineRoute, ErrorBodySchema, PageInfoSchema, PageQueryShape } from '@flowline/service-kit';

const TAG = 'dead-letters';
const BASE = '/api/v1/dead-letters';

/** A query parameter given several times counts once, by its first value (as the listing always read it). */
const firstOf = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (Array.isArray(value) ? value[0] : value), schema);
const text = (description: string) => firstOf(z.string()).optional().meta({ description });

const textHeaders = z.record(z.string(), z.string());
const anyJson = (description: string) => z.unknown().meta({ description });

export const DeadLetterAuditEntrySchema = z
  .object({
    action: z.enum(['stored', 'edited', 'replayed', 'discarded']),
    actor: z.string().meta({ description: "the subject of the caller's token (the service, for stored)" }),
    at: dateTime(),
    details: z
      .record(z.string(), z.unknown())
      .meta({ description: 'what changed: the fields edited, where a replay was written, whether it was forced' }),
  })
  .meta({ id: 'DeadLetterAuditEntry' });

export const DeadLetterSchema = z
  .object({
    id: z.string(),
    status: z.enum(['pending', 'replayed', 'discarded']),
    originalTopic: z.string().meta({ description: "the topic's contract name, without the deployment's prefix" }),
    originalPartition: z.number().int(),
    originalOffset: z.string(),
    key: z.string().nullable(),
    headers: textHeaders,
    value: z.string().nullable().meta({ description: 'the original value: text, or base64 when valueEncoding says so' }),
    valueEncoding: z.enum(['utf8', 'base64']),
    valueJson: anyJson('the value parsed when it is JSON text (most are envelopes), else null'),
    reason: z.string(),
    reasonCode: z
      .string()
      .meta({ description: 'INVALID_ENVELOPE, INVALID_PAYLOAD, INVALID_TARGET, RETRIES_EXHAUSTED, UNREADABLE_DEAD_LETTER, ...' }),
    consumerGroup: z.string(),
    attempts: z.number().int(),
    failedAt: dateTime(),
    receivedAt: dateTime(),
    deadLetter: z
      .object({ topic: z.string(), partition: z.number().int(), offset: z.string() })
      .meta({ description: 'where the letter itself is on the dead-letter topic' }),
    edited: z
      .object({
        value: z.string().nullable(),
        valueJson: anyJson('the edited value parsed when it is JSON'),
        headers: textHeaders.nullable(),
      })
      .nullable()
      .meta({ description: 'what an operator put in place of the value or headers (replayed instead of them); null: not edited' }),
    replay: z
      .object({ count: z.number().int(), at: dateTime().nullable(), partition: z.number().int().nullable(), offset: z.string().nullable() })
      .nullable()
      .meta({ description: 'how often and where the last replay was written; null: never replayed' }),
  })
  .meta({ id: 'DeadLetter' });

/** One letter as `GET /api/v1/dead-letters/{id}` and every action answer it: with its audit. */
export const DeadLetterDetailSchema = DeadLetterSchema.extend({ audit: z.array(DeadLetterAuditEntrySchema) }).meta({
  id: 'DeadLetterDetail',
});

const idParams = z.object({ id: z.string().meta({ description: 'the dead letter id (a UUID)' }) });
const detail = (description: string) => ({ description, schema: DeadLetterDetailSchema });

export const DeadLetterRoutes = {
  list: defineRoute({
    method: 'get',
    path: BASE,
    operationId: 'listDeadLetters',
    summary: 'List and search dead letters, newest first',
    tag: TAG,
    access: [Roles.operator],
    query: z.object({
      topic: text('the topic the message failed on (its contract name)'),
      reasonCode: text('the reason code, such as INVALID_PAYLOAD'),
      key: text('the message key, exactly'),
      consumerGroup: text('the consumer group that gave up on it'),
      status: text('pending, replayed or discarded'),
      failedAfter: text('RFC 3339: failed at or after'),
      failedBefore: text('RFC 3339: failed before'),
      text: text('case-insensitive, anywhere in the value, the edited value, the reason or the key'),
      pageSize: firstOf(PageQueryShape.pageSize)
        .optional()
        .meta({ description: 'letters per page: 1 to PAGE_SIZE_MAX (500 unless set), 0 or absent for 50' }),
      pageToken: text('the nextPageToken of the previous page (keyset pages: stable while letters arrive)'),
    }),
    // The only type the query string has is pageSize's; the filters' values are the service's (FILTER_INVALID).
    refusal: { query: { code: 'PAGE_SIZE_INVALID', violationCode: '' } },
    responses: {
      200: { description: 'a page of dead letters', schema: z.object({ deadLetters: z.array(DeadLetterSchema), page: PageInfoSchema }) },
    },
  }),
  get: defineRoute({
    method: 'get',
    path: `${BASE}/{id}`,
    operationId: 'getDeadLetter',
    summary: 'A dead letter with its edit, its replays and its audit',
    tag: TAG,
    access: [Roles.operator],
    params: idParams,
    responses: { 200: detail('the dead letter') },
    refusals: [404],
  }),
  edit: defineRoute({
    method: 'patch',
    path: `${BASE}/{id}`,
    operationId: 'editDeadLetter',
    summary: 'Put a new value and/or headers in place for the next replay (the original stays as it came)',
    tag: TAG,
    access: [Roles.operator, Roles.admin],
    params: idParams,
    body: {
      description: 'a new value, new headers, or both',
      content: {
        'application/json': z.object({
          value: anyJson('text, or any JSON value (kept as its JSON text); not null').optional(),
          headers: z
            .record(z.string(), z.string({ error: 'expected text' }), { error: 'expected an object of header names to text values' })
            .optional()
            .meta({ description: 'every header of the replay, in place of the original ones' }),
        }),
      },
    },
    refusal: { body: { code: 'EDIT_INVALID' } },
    responses: { 200: detail('the dead letter after the edit') },
    refusals: [404, 409],
  }),
  replay: defineRoute({
    method: 'post',
    path: `${BASE}/{id}/replay`,
    operationId: 'replayDeadLetter',
    summary: 'Produce the letter (its edit, or the original) to the topic it failed on, linked to the letter by headers',
    description:
      'A replayed or discarded letter is refused (409 DEAD_LETTER_ALREADY_REPLAYED, DEAD_LETTER_DISCARDED) unless `force` is true; one from the dead-letter topic itself is never replayed (409 DEAD_LETTER_NOT_REPLAYABLE).',
    tag: TAG,
    access: [Roles.operator, Roles.admin],
    params: idParams,
    body: {
      required: false,
      content: {
        'application/json': z.object({
          force: z
            .boolean({ error: 'expected true or false' })
            .optional()
            .meta({ description: 'replay one replayed or discarded already' }),
        }),
      },
    },
    refusal: { body: { code: 'REPLAY_INVALID' } },
    responses: {
      200: detail('the dead letter, replayed'),
      503: {
        description: 'the broker did not take the replay (KAFKA_UNAVAILABLE): the letter is as it was; try again',
        schema: ErrorBodySchema,
      },
    },
    refusals: [404, 409],
  }),
  discard: defineRoute({
    method: 'post',
    path: `${BASE}/{id}/discard`,
    operationId: 'discardDeadLetter',
    summary: 'Mark the letter dealt with: kept and audited, no longer pending, never replayed unless forced',
    tag: TAG,
    access: [Roles.operator, Roles.admin],
    params: idParams,
    responses: { 200: detail('the dead letter, discarded') },
    refusals: [404, 409],
  }),
};
