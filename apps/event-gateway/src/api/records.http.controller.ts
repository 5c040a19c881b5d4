/**
 * REST: `POST /api/v1/messages/{message}` for any message, and record conveniences
 * `POST/GET/PATCH/DELETE /api/v1/records/{entity}[/{id}]` with `If-Match` (version) and
 * `Idempotency-Key` headers. Answers carry the record and its version as the ETag. Requests
 * are read by the schemas of gateway.http.routes.ts, which the OpenAPI document shows.
 */
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { z } from 'zod';
import type { Principal } from '@flowline/auth';
import { SdkMessage } from '@flowline/contracts';
import { CORRELATION_ID_HEADER, invalidArgument, type FieldViolation } from '@flowline/rpc';
import { badTextViolations, CurrentPrincipal, printableKey } from '@flowline/service-kit';
import { PipelineService } from '../pipeline/pipeline.service';
import type { ExecuteResult } from '../pipeline/pipeline.types';
import { DEPTH_HEADER, INITIATING_USER_HEADER, toExecuteInput, type RawExecute } from './execute-input';
import { GatewayRoutes as R } from './gateway.http.routes';

type HeaderMap = Record<string, string | undefined>;

/** The key of a PATCH body that holds relative operations (attribute names never start with `$`). */
const OPERATIONS_KEY = '$operations';

function versionFrom(ifMatch: string | undefined): number {
  if (!ifMatch) return 0;
  const version = Number(ifMatch.replace(/^W\//, '').replace(/"/g, ''));
  if (!Number.isInteger(version) || version < 1) {
    throw invalidArgument('INVALID_IF_MATCH', `If-Match must hold the record version, such as "3", got ${ifMatch}`, [
      { field: 'If-Match', description: 'expected a record version' },
    ]);
  }
  return version;
}

/**
 * The query string as text, refused naming the parameter when one is given twice or as an
 * object (`?a=1&a=2`, `?a[b]=1`: the route's query schema) or holds a NUL character or a lone
 * surrogate (`?name=a%00b`).
 */
function queryText(query: Record<string, unknown>, schema: z.ZodType): Record<string, string> {
  const violations: FieldViolation[] = [];
  const parsed = schema.safeParse(query);
  for (const issue of parsed.error?.issues ?? [])
    violations.push({ field: printableKey(String(issue.path[0] ?? '')), description: issue.message, code: 'QUERY_PARAMETER' });
  // Named as the caller wrote them: `name`, not a path into the query built from them.
  violations.push(...badTextViolations(query, ''));
  if (violations.length > 0)
    throw invalidArgument(
      'QUERY_INVALID',
      `the query string has ${violations.length} problem(s): ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`,
      violations,
    );
  return query as Record<string, string>;
}

function send(response: Response, status: number, result: ExecuteResult): void {
  if (result.version) response.setHeader('ETag', `"${result.version}"`);
  if (result.eventId) response.setHeader('x-flowline-event-id', result.eventId);
  if (result.replayed) response.setHeader('x-flowline-replayed', 'true');
  response.status(status).json(result);
}

@Controller('api/v1')
export class RecordsHttpController {
  constructor(private readonly pipeline: PipelineService) {}

  private run(raw: RawExecute, headers: HeaderMap, principal: Principal): Promise<ExecuteResult> {
    return this.pipeline.execute(
      toExecuteInput(
        {
          ...raw,
          ...(headers['idempotency-key'] ? { idempotencyKey: headers['idempotency-key'] } : {}),
          depth: Number(headers[DEPTH_HEADER] ?? 1) || 1,
          correlationId: headers[CORRELATION_ID_HEADER] ?? '',
        },
        principal,
        headers[INITIATING_USER_HEADER],
      ),
    );
  }

  @Post('messages/:message')
  @HttpCode(200)
  async message(
    @Param('message') message: string,
    @Body() body: Omit<RawExecute, 'message'>,
    @Headers() headers: HeaderMap,
    @CurrentPrincipal() principal: Principal,
    @Res() response: Response,
  ): Promise<void> {
    send(response, 200, await this.run({ ...body, message }, headers, principal));
  }

  @Post('records/:entity')
  async create(
    @Param('entity') entity: string,
    @Body() raw: unknown,
    @Headers() headers: HeaderMap,
    @CurrentPrincipal() principal: Principal,
    @Res() response: Response,
  ): Promise<void> {
    const { id, ...target } = R.create.parseBody(raw ?? {});
    const result = await this.run(
      { message: SdkMessage.Create, entity, ...(typeof id === 'string' ? { id } : {}), target },
      headers,
      principal,
    );
    response.setHeader('Location', `/api/v1/records/${entity}/${result.id}`);
    send(response, result.replayed ? 200 : 201, result);
  }

  @Get('records/:entity/:id')
  async retrieve(
    @Param('entity') entity: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Headers() headers: HeaderMap,
    @CurrentPrincipal() principal: Principal,
    @Res() response: Response,
  ): Promise<void> {
    const { columns } = queryText(query, R.retrieve.route.query);
    send(
      response,
      200,
      await this.run({ message: SdkMessage.Retrieve, entity, id, columns: columns ? columns.split(',') : [] }, headers, principal),
    );
  }

  /** Query: `?name=Contoso` equality filters (values read as each attribute's type), `orderBy=creditlimit desc`, `pageSize`, `pageToken`, `columns`. */
  @Get('records/:entity')
  async list(
    @Param('entity') entity: string,
    @Query() query: Record<string, unknown>,
    @Headers() headers: HeaderMap,
    @CurrentPrincipal() principal: Principal,
    @Res() response: Response,
  ): Promise<void> {
    const { orderBy, pageSize, pageToken, columns, ...filters } = queryText(query, R.list.route.query);
    const parameters = {
      conditions: Object.entries(filters).map(([attribute, value]) => ({
        attribute,
        operator: 'eq',
        // Text as given: the query reads it as the attribute's type (`?accountnumber=007` stays text).
        value,
      })),
      orderBy: orderBy
        ? orderBy.split(',').map((item) => ({ attribute: item.trim().split(/\s+/)[0]!, descending: /\sdesc$/i.test(item.trim()) }))
        : [],
      ...(pageSize ? { pageSize: Number(pageSize) } : {}),
      ...(pageToken ? { pageToken } : {}),
    };
    send(
      response,
      200,
      await this.run(
        { message: SdkMessage.RetrieveMultiple, entity, parameters, columns: columns ? columns.split(',') : [] },
        headers,
        principal,
      ),
    );
  }

  /**
   * The body holds the attributes to set; relative changes go under `$operations`:
   * `{"name": "Contoso", "$operations": {"numberofemployees": {"op": "increment", "value": 5}}}`.
   */
  @Patch('records/:entity/:id')
  async update(
    @Param('entity') entity: string,
    @Param('id') id: string,
    @Body() raw: unknown,
    @Headers() headers: HeaderMap,
    @CurrentPrincipal() principal: Principal,
    @Res() response: Response,
  ): Promise<void> {
    const { [OPERATIONS_KEY]: operations, ...target } = R.update.parseBody(raw ?? {});
    send(
      response,
      200,
      await this.run(
        {
          message: SdkMessage.Update,
          entity,
          id,
          target,
          ...(operations === undefined ? {} : { operations: operations as Record<string, unknown> }),
          expectedVersion: versionFrom(headers['if-match']),
        },
        headers,
        principal,
      ),
    );
  }

  @Delete('records/:entity/:id')
  async remove(
    @Param('entity') entity: string,
    @Param('id') id: string,
    @Headers() headers: HeaderMap,
    @CurrentPrincipal() principal: Principal,
    @Res() response: Response,
  ): Promise<void> {
    send(
      response,
      200,
      await this.run({ message: SdkMessage.Delete, entity, id, expectedVersion: versionFrom(headers['if-match']) }, headers, principal),
    );
  }
}
