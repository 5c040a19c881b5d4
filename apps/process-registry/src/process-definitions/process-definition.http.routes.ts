/**
 * The REST routes of process definitions with the zod schemas their controller parses requests
 * with and the registry's OpenAPI document is built from. A definition travels as JSON
 * (`application/json`) or YAML (`application/yaml`, `text/yaml`); its rules are the process
 * language's, checked by ProcessDefinitionService exactly as over gRPC.
 */
import { z } from 'zod';
import { Roles } from '@flowline/auth';
import {
  dateTime,
  defineRoute,
  FieldViolationSchema,
  PageInfoSchema,
  PageQueryShape,
  queryBoolean,
  repeatedQuery,
} from '@flowline/service-kit';
import { DefinitionErrorCode as Code } from './process-definition.errors';

export const YAML_MEDIA_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];
const TAG = 'definitions';
const BASE = '/api/v1/definitions';

const definitionDocument = z
  .record(z.string(), z.unknown(), { error: 'expected a definition: a JSON object (or YAML with Content-Type: application/yaml)' })
  .meta({ id: 'DefinitionSource', description: 'a workflow or dialog in the process language (docs/language.md)' });
const yamlText = z.string().meta({ description: 'the same, as YAML' });

export const DefinitionSchema = z
  .object({
    id: z.string(),
    uniqueName: z.string(),
    name: z.string(),
    description: z.string(),
    category: z.number().int().meta({ description: '0 workflow, 1 dialog' }),
    primaryEntity: z.string(),
    state: z.number().int().meta({ description: '0 Draft, 1 Activated' }),
    source: z.record(z.string(), z.unknown()).meta({ description: 'the definition as saved' }),
    activeVersion: z.number().int().meta({ description: 'the activated version, 0 when a Draft' }),
    latestVersion: z.number().int(),
    owner: z.string(),
    createdBy: z.string(),
    createdOn: dateTime(),
    modifiedBy: z.string(),
    modifiedOn: dateTime(),
    rowVersion: z.number().int().meta({ description: 'send it back in If-Match to update only what you read' }),
  })
  .meta({ id: 'ProcessDefinition' });

export const DefinitionVersionSchema = z
  .object({
    definitionId: z.string(),
    uniqueName: z.string(),
    version: z.number().int(),
    contentHash: z.string(),
    compiled: z.record(z.string(), z.unknown()).meta({ description: 'the compiled form the executor and session service run' }),
    activatedBy: z.string(),
    activatedOn: dateTime(),
    deactivatedOn: dateTime().nullable().meta({ description: 'null while the version is the active one' }),
    category: z.number().int(),
    primaryEntity: z.string(),
    mode: z.number().int().meta({ description: '0 background, 1 real-time' }),
    triggers: z.array(z.object({ message: z.string(), entity: z.string(), attributes: z.array(z.string()) })),
  })
  .meta({ id: 'DefinitionVersion' });

export const ExportDocumentSchema = z
  .object({ flowlineExport: z.literal(1), definitions: z.array(z.record(z.string(), z.unknown())) })
  .meta({ id: 'DefinitionExport', description: 'definitions by unique name, as saved' });

export type DefinitionView = z.output<typeof DefinitionSchema>;
export type DefinitionVersionView = z.output<typeof DefinitionVersionSchema>;

/** An id (a UUID) or a unique name. */
const refParams = z.object({ ref: z.string().meta({ description: 'the definition id or its unique name' }) });
const definitionBody = {
  content: { 'application/json': definitionDocument, 'application/yaml': yamlText },
  description: 'the definition, JSON or YAML',
};
const bodyRefusal = { body: { code: Code.Invalid, prefix: '$' } };
const ifMatch = z.object({
  'if-match': z.string().optional().meta({ description: 'the rowVersion you read ("3"): refused with 409 if it changed since' }),
});

export const DefinitionRoutes = {
  list: defineRoute({
    method: 'get',
    path: BASE,
    operationId: 'listDefinitions',
    summary: 'List definitions by unique name',
    tag: TAG,
    access: 'any',
    query: z.object({
      category: z.coerce.number({ error: 'expected 0 (workflow) or 1 (dialog)' }).int().optional(),
      state: z.coerce.number({ error: 'expected 0 (Draft) or 1 (Activated)' }).int().optional(),
      primaryEntity: z.string().optional(),
      nameContains: z.string().optional().meta({ description: 'part of the name or unique name, any case' }),
      ...PageQueryShape,
    }),
    refusal: { query: { code: 'FILTER_INVALID' } },
    responses: {
      200: { description: 'a page of definitions', schema: z.object({ definitions: z.array(DefinitionSchema), page: PageInfoSchema }) },
    },
  }),
  save: defineRoute({
    method: 'post',
    path: BASE,
    operationId: 'saveDefinition',
    summary: 'Save a Draft: create it, or update the Draft of the unique name it carries',
    description:
      'Every error of the definition is listed with its path (`$.steps[1].id`). An Activated definition is refused: deactivate it first.',
    tag: TAG,
    access: [Roles.author],
    body: definitionBody,
    refusal: bodyRefusal,
    responses: { 200: { description: 'the saved Draft', schema: DefinitionSchema } },
    refusals: [409],
  }),
  validate: defineRoute({
    method: 'post',
    path: `${BASE}/validate`,
    operationId: 'validateDefinition',
    summary: 'Validate a definition without saving it',
    tag: TAG,
    access: 'any',
    body: definitionBody,
    refusal: bodyRefusal,
    responses: {
      200: {
        description: 'valid or not, with every violation and its path',
        schema: z.object({ valid: z.boolean(), violations: z.array(FieldViolationSchema) }),
      },
    },
  }),
  export: defineRoute({
    method: 'get',
    path: `${BASE}/export`,
    operationId: 'exportDefinitions',
    summary: 'Export definitions (all, or those named) as one document',
    tag: TAG,
    access: 'any',
    query: z.object({
      uniqueName: repeatedQuery(z.string())
        .optional()
        .meta({ description: 'the unique names to export (repeat, or separate by commas); none: all' }),
      format: z.enum(['json', 'yaml'], { error: 'expected json or yaml' }).optional().meta({ description: 'json (default) or yaml' }),
    }),
    refusal: { query: { code: 'FILTER_INVALID' } },
    responses: {
      200: { description: 'the export document', schema: ExportDocumentSchema, alternatives: { 'application/yaml': yamlText } },
    },
    refusals: [404],
  }),
  import: defineRoute({
    method: 'post',
    path: `${BASE}/import`,
    operationId: 'importDefinitions',
    summary: 'Import an export document: save each definition as a Draft by unique name, optionally activate them',
    tag: TAG,
    access: [Roles.author],
    query: z.object({ activate: queryBoolean.meta({ description: 'activate every imported definition (children first)' }) }),
    refusal: { query: { code: 'FILTER_INVALID' }, body: { code: Code.Invalid, prefix: 'document' } },
    body: {
      content: { 'application/json': ExportDocumentSchema.loose(), 'application/yaml': yamlText },
      description: 'an export document',
    },
    responses: { 200: { description: 'the imported definitions', schema: z.object({ definitions: z.array(DefinitionSchema) }) } },
    refusals: [409],
  }),
  get: defineRoute({
    method: 'get',
    path: `${BASE}/{ref}`,
    operationId: 'getDefinition',
    summary: 'Get a definition by id or unique name',
    tag: TAG,
    access: 'any',
    params: refParams,
    responses: { 200: { description: 'the definition', schema: DefinitionSchema } },
    refusals: [404],
  }),
  update: defineRoute({
    method: 'put',
    path: `${BASE}/{ref}`,
    operationId: 'updateDefinition',
    summary: 'Update the Draft with this id (it may be renamed)',
    tag: TAG,
    access: [Roles.author],
    params: z.object({ ref: z.string().meta({ description: 'the definition id' }) }),
    headers: ifMatch,
    body: definitionBody,
    refusal: bodyRefusal,
    responses: { 200: { description: 'the saved Draft', schema: DefinitionSchema } },
    refusals: [404, 409],
  }),
  remove: defineRoute({
    method: 'delete',
    path: `${BASE}/{ref}`,
    operationId: 'deleteDefinition',
    summary: 'Delete a Draft and its versions',
    tag: TAG,
    access: [Roles.author],
    params: refParams,
    responses: { 204: { description: 'deleted' } },
    refusals: [404, 409],
  }),
  activate: defineRoute({
    method: 'post',
    path: `${BASE}/{ref}/activate`,
    operationId: 'activateDefinition',
    summary: 'Activate a Draft: compile it and snapshot a new numbered version',
    tag: TAG,
    access: [Roles.author],
    params: refParams,
    responses: { 200: { description: 'the new version', schema: DefinitionVersionSchema } },
    refusals: [404, 409],
  }),
  deactivate: defineRoute({
    method: 'post',
    path: `${BASE}/{ref}/deactivate`,
    operationId: 'deactivateDefinition',
    summary: 'Deactivate: back to Draft (running operations keep their version)',
    tag: TAG,
    access: [Roles.author],
    params: refParams,
    responses: { 200: { description: 'the definition, a Draft again', schema: DefinitionSchema } },
    refusals: [404, 409],
  }),
  versions: defineRoute({
    method: 'get',
    path: `${BASE}/{ref}/versions`,
    operationId: 'listDefinitionVersions',
    summary: 'The activated versions of a definition, newest first',
    tag: TAG,
    access: 'any',
    params: refParams,
    query: z.object({ ...PageQueryShape }),
    refusal: { query: { code: 'FILTER_INVALID' } },
    responses: {
      200: { description: 'a page of versions', schema: z.object({ versions: z.array(DefinitionVersionSchema), page: PageInfoSchema }) },
    },
    refusals: [404],
  }),
  version: defineRoute({
    method: 'get',
    path: `${BASE}/{ref}/versions/{version}`,
    operationId: 'getDefinitionVersion',
    summary: 'A version by number, or the active one (`active`); deactivated versions stay readable',
    tag: TAG,
    access: 'any',
    params: z.object({
      ref: refParams.shape.ref,
      version: z.string().regex(/^(active|[1-9][0-9]{0,8})$/, { error: 'expected a version number from 1, or active' }),
    }),
    responses: { 200: { description: 'the version', schema: DefinitionVersionSchema } },
    refusals: [404, 409],
  }),
};
