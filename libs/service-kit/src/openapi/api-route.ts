/**
 * One REST endpoint described once: its method and path, who may call it, and the zod schemas
 * of its parameters, body and answers. The controller parses the request with these schemas
 * (parseQuery, parseBody, ...) and the service's OpenAPI document is built from the same
 * objects, so the document cannot say something the code does not check.
 */
import type { z } from 'zod';
import { parseOrRefuse, type RefusalOptions } from './zod-violations';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ApiResponse {
  description: string;
  /** The JSON body (none: an empty answer such as 204). */
  schema?: z.ZodType;
  /** Other content types of the body, such as `application/yaml` for a YAML export. */
  alternatives?: Record<string, z.ZodType>;
  headers?: z.ZodObject;
}

export interface ApiRoute {
  method: HttpMethod;
  /** The OpenAPI path, with `{param}` placeholders. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Who may call (admin always may): roles, `any` (any caller with a token) or `public` (no token). */
  access: readonly string[] | 'any' | 'public';
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: {
    description?: string;
    required?: boolean;
    /** Schema per content type, `application/json` first. */
    content: Record<string, z.ZodType>;
  };
  /** Answers by status; every route also answers errors in the Error shape. */
  responses: Record<number, ApiResponse>;
  /** Refusal statuses worth naming (400, 404, 409, ...); 401, 403 and 500 are added from `access`. */
  refusals?: number[];
  /** The code and the field prefix a request refused by these schemas answers with. */
  refusal?: {
    query?: Omit<RefusalOptions, 'what'>;
    body?: Omit<RefusalOptions, 'what'>;
    params?: Omit<RefusalOptions, 'what'>;
    headers?: Omit<RefusalOptions, 'what'>;
  };
}

const DEFAULT_QUERY_REFUSAL = { code: 'QUERY_INVALID', violationCode: 'QUERY_PARAMETER', depth: 1 };
const DEFAULT_BODY_REFUSAL = { code: 'INVALID_REQUEST' };
const DEFAULT_PARAMS_REFUSAL = { code: 'INVALID_REQUEST' };
const DEFAULT_HEADERS_REFUSAL = { code: 'INVALID_REQUEST' };

/** The route, with parsers that refuse in Flowline's error shape. */
export function defineRoute<const R extends ApiRoute>(route: R) {
  return {
    route,
    /** The query string as the route's schema reads it; refused with the route's query code. */
    parseQuery(value: unknown): R['query'] extends z.ZodObject ? z.output<R['query']> : Record<string, never> {
      if (!route.query) return {} as never;
      return parseOrRefuse(route.query, value ?? {}, {
        ...DEFAULT_QUERY_REFUSAL,
        ...route.refusal?.query,
        what: 'the query string',
      }) as never;
    },
    /** The path parameters as the route's schema reads them. */
    parseParams(value: unknown): R['params'] extends z.ZodObject ? z.output<R['params']> : Record<string, never> {
      if (!route.params) return {} as never;
      return parseOrRefuse(route.params, value ?? {}, { ...DEFAULT_PARAMS_REFUSAL, ...route.refusal?.params, what: 'the path' }) as never;
    },
    /** The request headers (lower-case names) as the route's schema reads them. */
    parseHeaders(value: unknown): R['headers'] extends z.ZodObject ? z.output<R['headers']> : Record<string, never> {
      if (!route.headers) return {} as never;
      return parseOrRefuse(route.headers, value ?? {}, {
        ...DEFAULT_HEADERS_REFUSAL,
        ...route.refusal?.headers,
        what: 'the headers',
      }) as never;
    },
    /** The JSON body as the route's `application/json` schema reads it. */
    parseBody(value: unknown): R['body'] extends { content: { 'application/json': infer S extends z.ZodType } } ? z.output<S> : never {
      const schema = route.body?.content['application/json'];
      if (!schema) return undefined as never;
      return parseOrRefuse(schema, value, { ...DEFAULT_BODY_REFUSAL, ...route.refusal?.body, what: 'the request body' }) as never;
    },
  };
}

export type Route = ReturnType<typeof defineRoute<ApiRoute>>;
