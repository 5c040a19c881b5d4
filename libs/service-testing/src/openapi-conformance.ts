/**
 * Checks real answers of a running service against its own OpenAPI document (`GET
 * /openapi.json`): each answer's status must be documented for its operation, and its body
 * must match the documented JSON schema (JSON Schema 2020-12, by ajv). `call()` fetches and
 * checks in one go; `uncovered()` names the documented operations no test has called yet.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { testToken } from './running-service';
import type { Role } from '@flowline/auth';

type Json = Record<string, unknown>;

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  literalSegments: number;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

export interface CheckedAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON body, the text for other content types, undefined when empty. */
  body: unknown;
  text: string;
}

const escapePointer = (value: string) => value.replace(/~/g, '~0').replace(/\//g, '~1');

export class OpenApiConformance {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  private readonly operations: Operation[] = [];
  private readonly seen = new Set<string>();

  constructor(
    readonly document: Json,
    private readonly baseUrl: string,
  ) {
    addFormats(this.ajv);
    this.ajv.addSchema({ ...document, $id: 'openapi.json' });
    const paths = (document['paths'] ?? {}) as Record<string, Record<string, Operation['responses'] | Json>>;
    for (const [template, item] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const segments = template.split('/');
        this.operations.push({
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(
            `^${segments.map((segment) => (/^\{.+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/')}$`,
          ),
          literalSegments: segments.filter((segment) => !/^\{.+\}$/.test(segment)).length,
          responses: ((operation as Json)['responses'] ?? {}) as Operation['responses'],
        });
      }
    }
  }

  /** Reads the document the service serves, without a token. */
  static async of(baseUrl: string): Promise<OpenApiConformance> {
    const answer = await fetch(`${baseUrl}/openapi.json`);
    if (answer.status !== 200) throw new Error(`GET /openapi.json answered ${answer.status}`);
    return new OpenApiConformance((await answer.json()) as Json, baseUrl);
  }

  private operationOf(method: string, path: string): Operation {
    const matches = this.operations
      .filter((operation) => operation.method === method && operation.pattern.test(path))
      .sort((a, b) => b.literalSegments - a.literalSegments);
    if (matches.length === 0) throw new Error(`${method} ${path} is not in the OpenAPI document`);
    return matches[0]!;
  }

  /** Throws, naming every difference, when the answer does not conform to the document. */
  check(method: string, url: string, status: number, contentType: string | null, body: unknown): void {
    const path = new URL(url, this.baseUrl).pathname;
    const operation = this.operationOf(method.toUpperCase(), path);
    this.seen.add(`${operation.method} ${operation.template}`);
    const key = operation.responses[String(status)] ? String(status) : 'default';
    const response = operation.responses[key];
    if (!response) throw new Error(`${method} ${operation.template} answered ${status}, which its OpenAPI document does not list`);
    const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (!response.content) {
      if (body !== undefined) throw new Error(`${method} ${operation.template} ${status} has no documented body but answered one`);
      return;
    }
    if (!response.content[mediaType])
      throw new Error(
        `${method} ${operation.template} ${status} answered ${mediaType || 'no content type'}; documented: ${Object.keys(response.content).join(', ')}`,
      );
    const pointer = ['paths', operation.template, operation.method.toLowerCase(), 'responses', key, 'content', mediaType, 'schema']
      .map(escapePointer)
      .join('/');
    const validate = this.ajv.getSchema(`openapi.json#/${pointer}`);
    if (!validate) throw new Error(`no schema at ${pointer}`);
    if (!validate(body)) {
      const problems = (validate.errors ?? []).map(
        (error) => `${error.instancePath || '(body)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
      );
      throw new Error(
        `${method} ${path} ${status} does not conform to the OpenAPI document:\n  ${problems.join('\n  ')}\nbody: ${JSON.stringify(body).slice(0, 2000)}`,
      );
    }
  }

  /**
   * Calls the service with a token of the given roles (null: none), checks the answer and
   * returns it. A string body is sent as is with its content type (YAML), anything else as JSON.
   */
  async call(
    method: string,
    path: string,
    options: { roles?: Role[] | null; body?: unknown; contentType?: string; headers?: Record<string, string> } = {},
  ): Promise<CheckedAnswer> {
    const roles = options.roles === undefined ? ['admin' as Role] : options.roles;
    const headers: Record<string, string> = { ...(roles ? { authorization: `Bearer ${testToken(roles)}` } : {}), ...options.headers };
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const answer = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await answer.text();
    const contentType = answer.headers.get('content-type');
    const isJson = (contentType ?? '').includes('json');
    const body = text === '' ? undefined : isJson ? (JSON.parse(text) as unknown) : text;
    this.check(method, path, answer.status, text === '' ? null : contentType, body);
    return { status: answer.status, headers: answer.headers, body, text };
  }

  /** Documented operations not yet called through check() or call(). */
  uncovered(): string[] {
    return this.operations.map((operation) => `${operation.method} ${operation.template}`).filter((name) => !this.seen.has(name));
  }
}
