/**
 * A service's OpenAPI 3.1 document, built by zod-openapi from the routes its controllers
 * parse requests with (see api-route.ts): bearer-token security on every route that is not
 * public, the roles in each operation's description, and the Error shape for every refusal.
 */
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import type { ApiRoute } from './api-route';
import { ErrorBodySchema } from './api-schemas';

export interface OpenApiDocumentOptions {
  title: string;
  version: string;
  description: string;
  routes: ReadonlyArray<{ route: ApiRoute }>;
}

/** What an OpenAPI document is to a reader of it (a JSON object); zod-openapi types it fully. */
export type OpenApiDocument = ReturnType<typeof createDocument>;

const REASONS: Record<number, string> = {
  400: 'the request is invalid: every problem is listed with its field',
  401: 'no valid bearer token',
  403: 'the token lacks the role this call needs',
  404: 'no such resource',
  409: 'a conflict: the resource changed since you read it, already exists, or is not in a state that allows this',
  413: 'the request body is too large',
  415: 'the body is of a content type this endpoint does not take',
  429: 'too many requests: try again later',
};

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBodySchema } } });

function accessText(access: ApiRoute['access']): string {
  if (access === 'public') return 'No token needed.';
  if (access === 'any') return 'Any caller with a valid token.';
  return `Roles: ${[...new Set([...access, 'admin'])].join(', ')}.`;
}

function operationOf(route: ApiRoute): ZodOpenApiOperationObject {
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, response] of Object.entries(route.responses)) {
    const content = {
      ...(response.schema ? { 'application/json': { schema: response.schema } } : {}),
      ...Object.fromEntries(Object.entries(response.alternatives ?? {}).map(([type, schema]) => [type, { schema }])),
    };
    responses[status as `${1 | 2 | 3 | 4 | 5}${string}`] = {
      description: response.description,
      ...(Object.keys(content).length > 0 ? { content } : {}),
      ...(response.headers ? { headers: response.headers } : {}),
    };
  }
  const refusals = new Set(route.refusals ?? []);
  if (route.query || route.body || route.params) refusals.add(400);
  if (route.access !== 'public') refusals.add(401);
  if (Array.isArray(route.access)) refusals.add(403);
  for (const status of [...refusals].sort()) responses[String(status) as `4${string}`] = errorResponse(REASONS[status] ?? 'refused');
  responses.default = errorResponse('any other refusal or failure, in the same shape');
  const params = {
    ...(route.params ? { path: route.params } : {}),
    ...(route.query ? { query: route.query } : {}),
    ...(route.headers ? { header: route.headers } : {}),
  };
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: [route.description, accessText(route.access)].filter(Boolean).join('\n\n'),
    tags: [route.tag],
    ...(route.access === 'public' ? { security: [] } : {}),
    ...(Object.keys(params).length > 0 ? { requestParams: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            ...(route.body.description ? { description: route.body.description } : {}),
            required: route.body.required ?? true,
            content: Object.fromEntries(Object.entries(route.body.content).map(([type, schema]) => [type, { schema }])),
          },
        }
      : {}),
    responses,
  };
}

export function buildOpenApiDocument(options: OpenApiDocumentOptions): OpenApiDocument {
  const paths: ZodOpenApiPathsObject = {};
  for (const { route } of options.routes) {
    const item = (paths[route.path] ??= {});
    if (item[route.method]) throw new Error(`two routes for ${route.method.toUpperCase()} ${route.path}`);
    item[route.method] = operationOf(route);
  }
  return createDocument({
    openapi: '3.1.0',
    info: { title: options.title, version: options.version, description: options.description },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'a Flowline token (see `npm run token`) or an OpenID Connect token',
        },
      },
    },
  });
}
