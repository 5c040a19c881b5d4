/**
 * The REST routes of plug-in step registrations, `/api/v1/steps`, with the zod schemas their
 * controller parses requests with. A step is the JSON of the gRPC StepRegistration message;
 * its rules (stages, modes, images, filtering attributes) are StepRegistrationService's.
 */
import { z } from 'zod';
import { Roles } from '@flowline/auth';
import { dateTime, defineRoute, PageInfoSchema, PageQueryShape, queryBoolean } from '@flowline/service-kit';
import { StepErrorCode as Code } from './step-registration.errors';

const TAG = 'steps';
const BASE = '/api/v1/steps';
const READERS = [Roles.author, Roles.operator, Roles.service];

const handlerShape = {
  webhook: z.object({ url: z.string(), timeoutMs: z.number().int().meta({ description: 'at most 120000 (2 minutes)' }) }).optional(),
  builtIn: z.object({ name: z.string() }).optional(),
};
const imageShape = {
  alias: z.string(),
  type: z.number().int().meta({ description: '1 pre-image, 2 post-image, 3 both' }),
  attributes: z.array(z.string()),
};

/** What a caller writes; every field the rules need has the gRPC message's default. */
export const StepWriteSchema = z
  .object({
    name: z.string().default(''),
    message: z.string().default('').meta({ description: 'Create, Update, Delete, ... or a custom message' }),
    primaryEntity: z.string().default('').meta({ description: 'empty: any entity' }),
    stage: z.number().int().default(0).meta({ description: '10 PreValidation, 20 PreOperation, 40 PostOperation' }),
    mode: z.number().int().default(0).meta({ description: '0 synchronous, 1 asynchronous (stage 40 only)' }),
    rank: z.number().int().default(0),
    filteringAttributes: z.array(z.string()).default([]).meta({ description: 'Update only: run when one of them changes' }),
    images: z.array(z.object({ ...imageShape, attributes: imageShape.attributes.default([]) })).default([]),
    handler: z.object(handlerShape).optional().meta({ description: 'a webhook or a built-in handler' }),
    enabled: z.boolean().default(true),
    unsecureConfiguration: z.string().default(''),
    secureConfiguration: z.string().default('').meta({ description: 'write-only: never returned' }),
  })
  .meta({ id: 'StepRegistrationWrite' });

export const StepSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    message: z.string(),
    primaryEntity: z.string(),
    stage: z.number().int(),
    mode: z.number().int(),
    rank: z.number().int(),
    filteringAttributes: z.array(z.string()),
    images: z.array(z.object(imageShape)),
    handler: z.object(handlerShape),
    enabled: z.boolean(),
    unsecureConfiguration: z.string(),
    secureConfiguration: z.literal('').meta({ description: 'always empty: see hasSecureConfiguration' }),
    hasSecureConfiguration: z.boolean(),
    registeredOn: dateTime(),
    registrationSequence: z.string().meta({ description: 'order of registration, breaks ties of rank' }),
    rowVersion: z.number().int(),
  })
  .meta({ id: 'StepRegistration' });

const idParams = z.object({ id: z.string() });
const bodyRefusal = { body: { code: Code.Invalid, prefix: 'step' } };

export const StepRoutes = {
  list: defineRoute({
    method: 'get',
    path: BASE,
    operationId: 'listSteps',
    summary: 'List step registrations in execution order (stage, rank, registration)',
    tag: TAG,
    access: READERS,
    query: z.object({ message: z.string().optional(), primaryEntity: z.string().optional(), ...PageQueryShape }),
    refusal: { query: { code: 'FILTER_INVALID' } },
    responses: { 200: { description: 'a page of steps', schema: z.object({ steps: z.array(StepSchema), page: PageInfoSchema }) } },
  }),
  register: defineRoute({
    method: 'post',
    path: BASE,
    operationId: 'registerStep',
    summary: 'Register a plug-in step',
    tag: TAG,
    access: [Roles.admin],
    body: { content: { 'application/json': StepWriteSchema } },
    refusal: bodyRefusal,
    responses: { 201: { description: 'the registered step', schema: StepSchema } },
  }),
  get: defineRoute({
    method: 'get',
    path: `${BASE}/{id}`,
    operationId: 'getStep',
    summary: 'Get a step registration',
    tag: TAG,
    access: READERS,
    params: idParams,
    responses: { 200: { description: 'the step', schema: StepSchema } },
    refusals: [404],
  }),
  update: defineRoute({
    method: 'put',
    path: `${BASE}/{id}`,
    operationId: 'updateStep',
    summary: 'Replace a step registration',
    tag: TAG,
    access: [Roles.admin],
    params: idParams,
    headers: z.object({ 'if-match': z.string().optional().meta({ description: 'the rowVersion you read: 409 if it changed since' }) }),
    query: z.object({
      keepSecureConfiguration: queryBoolean.meta({ description: 'keep the stored secure configuration instead of the one sent' }),
    }),
    refusal: { query: { code: 'FILTER_INVALID' }, ...bodyRefusal },
    body: { content: { 'application/json': StepWriteSchema } },
    responses: { 200: { description: 'the step', schema: StepSchema } },
    refusals: [404, 409],
  }),
  unregister: defineRoute({
    method: 'delete',
    path: `${BASE}/{id}`,
    operationId: 'unregisterStep',
    summary: 'Unregister a step',
    tag: TAG,
    access: [Roles.admin],
    params: idParams,
    responses: { 204: { description: 'unregistered' } },
    refusals: [404],
  }),
};
