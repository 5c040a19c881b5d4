/**
 * The REST routes of entity metadata, `/api/v1/entities`, with the zod schemas their controller
 * parses requests with. An entity is the JSON of the gRPC Entity message; its rules are
 * EntityMetadataService's.
 */
import { z } from 'zod';
import { Roles } from '@flowline/auth';
import { dateTime, defineRoute, PageInfoSchema, PageQueryShape } from '@flowline/service-kit';
import { EntityMetadataErrorCode as Code } from './entity-metadata.errors';

const TAG = 'entities';
const BASE = '/api/v1/entities';

const option = {
  value: z.number().int(),
  label: z.string(),
  state: z.number().int().meta({ description: 'status options: the state they belong to' }),
};
const attributeShape = {
  logicalName: z.string(),
  displayName: z.string(),
  type: z.number().int().meta({
    description:
      '1 string, 2 memo, 3 integer, 4 decimal, 5 money, 6 boolean, 7 datetime, 8 optionset, 9 state, 10 status, 11 lookup, 12 owner, 13 uniqueidentifier',
  }),
  required: z.boolean(),
  maxLength: z.number().int(),
  precision: z.number().int(),
  minValue: z.number(),
  maxValue: z.number(),
  hasMinValue: z.boolean(),
  hasMaxValue: z.boolean(),
  options: z.array(z.object(option)),
  targets: z.array(z.string()).meta({ description: 'lookups: the entities they point to' }),
  isCustom: z.boolean(),
};

const AttributeWriteSchema = z.object({
  logicalName: z.string().default(''),
  displayName: z.string().default(''),
  type: attributeShape.type.default(0),
  required: z.boolean().default(false),
  maxLength: z.number().int().default(0),
  precision: z.number().int().default(0),
  minValue: z.number().default(0),
  maxValue: z.number().default(0),
  hasMinValue: z.boolean().default(false),
  hasMaxValue: z.boolean().default(false),
  options: z.array(z.object({ ...option, state: option.state.default(0) })).default([]),
  targets: z.array(z.string()).default([]),
  isCustom: z.boolean().default(true),
});

export const EntityWriteSchema = z
  .object({
    logicalName: z.string().default(''),
    displayName: z.string().default(''),
    primaryIdAttribute: z.string().default(''),
    primaryNameAttribute: z.string().default(''),
    ownership: z.number().int().default(0).meta({ description: '1 user-owned, 2 organization-owned, 3 none' }),
    attributes: z.array(AttributeWriteSchema).default([]),
  })
  .meta({ id: 'EntityWrite' });

export const EntitySchema = z
  .object({
    logicalName: z.string(),
    displayName: z.string(),
    primaryIdAttribute: z.string(),
    primaryNameAttribute: z.string(),
    ownership: z.number().int(),
    attributes: z.array(z.object(attributeShape)),
    isCustom: z.boolean(),
    version: z.number().int().meta({ description: 'send it back in If-Match to update only what you read' }),
    modifiedOn: dateTime(),
  })
  .meta({ id: 'Entity' });

const nameParams = z.object({ logicalName: z.string() });
const bodyRefusal = { body: { code: Code.Invalid, prefix: 'entity' } };

export const EntityRoutes = {
  list: defineRoute({
    method: 'get',
    path: BASE,
    operationId: 'listEntities',
    summary: 'List entities by logical name',
    tag: TAG,
    access: 'any',
    query: z.object({ ...PageQueryShape }),
    refusal: { query: { code: 'FILTER_INVALID' } },
    responses: { 200: { description: 'a page of entities', schema: z.object({ entities: z.array(EntitySchema), page: PageInfoSchema }) } },
  }),
  create: defineRoute({
    method: 'post',
    path: BASE,
    operationId: 'createEntity',
    summary: 'Create a custom entity',
    tag: TAG,
    access: [Roles.admin],
    body: { content: { 'application/json': EntityWriteSchema } },
    refusal: bodyRefusal,
    responses: { 201: { description: 'the entity', schema: EntitySchema } },
    refusals: [409],
  }),
  get: defineRoute({
    method: 'get',
    path: `${BASE}/{logicalName}`,
    operationId: 'getEntity',
    summary: 'Get an entity with its attributes',
    tag: TAG,
    access: 'any',
    params: nameParams,
    responses: { 200: { description: 'the entity', schema: EntitySchema } },
    refusals: [404],
  }),
  update: defineRoute({
    method: 'put',
    path: `${BASE}/{logicalName}`,
    operationId: 'updateEntity',
    summary: 'Replace an entity (attributes in use by definitions or steps cannot be removed)',
    tag: TAG,
    access: [Roles.admin],
    params: nameParams,
    headers: z.object({ 'if-match': z.string().optional().meta({ description: 'the version you read: 409 if it changed since' }) }),
    body: { content: { 'application/json': EntityWriteSchema } },
    refusal: bodyRefusal,
    responses: { 200: { description: 'the entity', schema: EntitySchema } },
    refusals: [404, 409],
  }),
  remove: defineRoute({
    method: 'delete',
    path: `${BASE}/{logicalName}`,
    operationId: 'deleteEntity',
    summary: 'Delete a custom entity nothing uses',
    tag: TAG,
    access: [Roles.admin],
    params: nameParams,
    responses: { 204: { description: 'deleted' } },
    refusals: [404, 409],
  }),
};
