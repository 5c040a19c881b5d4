import { z } from 'zod';
import { FlowlineError } from '@flowline/rpc';
import { defineRoute } from './api-route';
import { PageQueryShape, repeatedQuery } from './api-schemas';
import { buildOpenApiDocument } from './openapi-document';
import { violationPath } from './zod-violations';

const list = defineRoute({
  method: 'get',
  path: '/api/v1/things',
  operationId: 'listThings',
  summary: 'List things',
  tag: 'things',
  access: ['operator'],
  query: z.object({ state: repeatedQuery(z.coerce.number({ error: 'expected a whole number' }).int()).optional(), ...PageQueryShape }),
  refusal: { query: { code: 'FILTER_INVALID' } },
  responses: { 200: { description: 'things', schema: z.object({ things: z.array(z.string()) }) } },
});
const save = defineRoute({
  method: 'post',
  path: '/api/v1/things/{id}',
  operationId: 'saveThing',
  summary: 'Save a thing',
  tag: 'things',
  access: 'any',
  params: z.object({ id: z.string() }),
  body: {
    content: { 'application/json': z.object({ name: z.string(), parts: z.array(z.object({ size: z.number().int() })).default([]) }) },
  },
  refusal: { body: { code: 'THING_INVALID', prefix: 'thing' } },
  responses: { 200: { description: 'the thing', schema: z.object({ name: z.string() }) } },
});
const document = defineRoute({
  method: 'get',
  path: '/openapi.json',
  operationId: 'document',
  summary: 'The document',
  tag: 'meta',
  access: 'public',
  responses: { 200: { description: 'it' } },
});

const refusalOf = (call: () => unknown): FlowlineError => {
  try {
    call();
  } catch (error) {
    if (error instanceof FlowlineError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('routes described once', () => {
  it('names a path as Flowline does: dots for keys, brackets for indexes, the prefix first', () => {
    expect(violationPath(['steps', 1, 'id'], '$')).toBe('$.steps[1].id');
    expect(violationPath(['images', 0, 'alias'], 'step')).toBe('step.images[0].alias');
    expect(violationPath([], '$')).toBe('$');
    expect(violationPath(['columns', 2])).toBe('columns[2]');
  });

  it('reads a repeated or comma-separated query parameter, and refuses naming the parameter with the route code', () => {
    expect(list.parseQuery({ state: ['0', '1'], pageSize: '5' })).toEqual({ state: [0, 1], pageSize: 5 });
    expect(list.parseQuery({ state: '2,3' })).toEqual({ state: [2, 3] });
    const refusal = refusalOf(() => list.parseQuery({ state: '1,x', pageSize: '-1' }));
    expect(refusal).toMatchObject({ kind: 'INVALID_ARGUMENT', code: 'FILTER_INVALID' });
    expect(refusal.violations).toEqual([
      { field: 'state', description: 'expected a whole number', code: 'QUERY_PARAMETER' },
      { field: 'pageSize', description: 'expected 0 or more', code: 'QUERY_PARAMETER' },
    ]);
  });

  it('refuses a body at each field under its prefix, and fills defaults', () => {
    expect(save.parseBody({ name: 'a' })).toEqual({ name: 'a', parts: [] });
    const refusal = refusalOf(() => save.parseBody({ name: 3, parts: [{ size: 1.5 }] }));
    expect(refusal.code).toBe('THING_INVALID');
    expect(refusal.violations.map((v) => v.field)).toEqual(['thing.name', 'thing.parts[0].size']);
  });

  it('documents each route with its roles, its parameters, its answers and the Error shape', () => {
    const built = buildOpenApiDocument({ title: 'things', version: '1', description: 'd', routes: [list, save, document] });
    expect(built.openapi).toBe('3.1.0');
    const listed = built.paths?.['/api/v1/things']?.get;
    expect(listed?.description).toContain('Roles: operator, admin.');
    expect(Object.keys(listed?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '403', 'default']));
    expect(listed?.parameters?.map((p) => ('name' in p ? p.name : ''))).toEqual(['state', 'pageSize', 'pageToken']);
    expect(built.paths?.['/openapi.json']?.get?.security).toEqual([]);
    expect(Object.keys(built.components?.schemas ?? {})).toEqual(expect.arrayContaining(['Error', 'FieldViolation']));
    expect(() => buildOpenApiDocument({ title: 't', version: '1', description: 'd', routes: [list, list] })).toThrow(
      'two routes for GET /api/v1/things',
    );
  });
});
