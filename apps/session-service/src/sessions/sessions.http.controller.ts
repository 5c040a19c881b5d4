/**
 * REST: `/api/v1/sessions`. Start (POST, 201), list (GET with filters and paging), get one
 * with its log (GET /{id}), answer the page shown (POST /{id}/answers), go back (POST
 * /{id}/previous), cancel (POST /{id}/cancel), search the records of a lookup on the page
 * shown (GET /{id}/lookups/{promptId}?search=). Answers carry the session's row version as
 * the ETag: send it back as `pageToken` (or `If-Match`) with the next request. Text no store
 * can keep (a NUL character, a lone UTF-16 surrogate) is refused first, at its field (answers
 * at `answers.<prompt>` by the submit use case). Requests are read by the schemas of
 * sessions.http.routes.ts, which the OpenAPI document shows.
 */
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Principal } from '@flowline/auth';
import type { Json } from '@flowline/process-runtime';
import { CORRELATION_ID_HEADER, pageWindow } from '@flowline/rpc';
import { CurrentPrincipal, refuseBadText } from '@flowline/service-kit';
import { LookupRecords, type LookupSearchResult } from './lookup-records';
import type { SessionView } from './session-view';
import { SessionRoutes as R } from './sessions.http.routes';
import { CancelSessionUseCase } from './use-cases/cancel-session.use-case';
import { PreviousPageUseCase } from './use-cases/previous-page.use-case';
import { SessionQueries } from './use-cases/session-queries';
import { StartSessionUseCase } from './use-cases/start-session.use-case';
import { SubmitPageUseCase } from './use-cases/submit-page.use-case';

type HeaderMap = Record<string, string | undefined>;
type JsonBody = Record<string, unknown> | undefined;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A dialog named in a URL or body: a UUID is an id, anything else a unique name. */
export function dialogRef(value: string): { id?: string; uniqueName?: string } {
  return UUID.test(value) ? { id: value } : value ? { uniqueName: value } : {};
}

/** The page token from the body, or from If-Match ("3" or W/"3"); 0 when neither is there. */
function pageTokenOf(body: JsonBody, headers: HeaderMap): number {
  const fromBody = body?.['pageToken'];
  if (fromBody !== undefined && fromBody !== null) return typeof fromBody === 'number' ? fromBody : Number.NaN;
  const ifMatch = headers['if-match'];
  return ifMatch ? Number(ifMatch.replace(/^W\//, '').replace(/"/g, '')) : 0;
}

function send(response: Response, status: number, view: SessionView): void {
  response.setHeader('ETag', `"${view.session.rowVersion}"`);
  if (view.replayed) response.setHeader('x-flowline-replayed', 'true');
  response.status(status).json(view);
}

@Controller('api/v1/sessions')
export class SessionsHttpController {
  constructor(
    private readonly start: StartSessionUseCase,
    private readonly submit: SubmitPageUseCase,
    private readonly previous: PreviousPageUseCase,
    private readonly cancel: CancelSessionUseCase,
    private readonly queries: SessionQueries,
    private readonly lookups: LookupRecords,
  ) {}

  /** Records of a lookup prompt on the page shown whose name contains `search`; `pageSize` up to 50 (20 by default). */
  @Get(':id/lookups/:promptId')
  async searchLookup(
    @Param('id') id: string,
    @Param('promptId') promptId: string,
    @Query() query: Record<string, string | undefined>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<LookupSearchResult> {
    refuseBadText(query);
    const { search, pageSize } = R.lookup.parseQuery(query);
    return this.lookups.search(
      { sessionId: id, promptId, search: search ?? '', ...(pageSize !== undefined ? { pageSize } : {}) },
      principal,
    );
  }

  @Post()
  async startSession(
    @Body() body: JsonBody,
    @Headers() headers: HeaderMap,
    @CurrentPrincipal() principal: Principal,
    @Res() response: Response,
  ): Promise<void> {
    refuseBadText({
      dialog: body?.['dialog'],
      entity: body?.['entity'],
      recordId: body?.['recordId'],
      inputs: body?.['inputs'],
      requestId: body?.['requestId'],
    });
    const fields = R.start.parseBody(body ?? {});
    const requestId = fields.requestId || headers['idempotency-key'] || undefined;
    const view = await this.start.execute(
      {
        dialog: dialogRef(fields.dialog ?? ''),
        entity: fields.entity ?? '',
        recordId: fields.recordId ?? '',
        inputs: (fields.inputs ?? {}) as Record<string, Json>,
        ...(requestId ? { requestId } : {}),
        ...(headers[CORRELATION_ID_HEADER] ? { correlationId: headers[CORRELATION_ID_HEADER] } : {}),
      },
      principal,
    );
    response.setHeader('Location', `/api/v1/sessions/${view.session.id}`);
    send(response, view.replayed ? 200 : 201, view);
  }

  /** Filters: `dialog` (id or unique name), `entity`, `recordId`, `startedBy`, `state`, `status`; `pageSize`, `pageToken`. */
  @Get()
  async listSessions(@Query() query: Record<string, string | undefined>, @CurrentPrincipal() principal: Principal): Promise<unknown> {
    refuseBadText(query);
    const { entity, recordId, startedBy, state, status, pageSize, pageToken, ...rest } = R.list.parseQuery(query);
    const dialog = dialogRef(rest.dialog ?? '');
    return this.queries.list(
      {
        ...(dialog.id ? { dialogId: dialog.id } : {}),
        ...(dialog.uniqueName ? { dialogUniqueName: dialog.uniqueName } : {}),
        ...(entity ? { entity } : {}),
        ...(recordId ? { recordId } : {}),
        ...(startedBy ? { startedBy } : {}),
        ...(state !== undefined ? { state } : {}),
        ...(status !== undefined ? { status } : {}),
      },
      pageWindow({ ...(pageSize !== undefined ? { pageSize } : {}), ...(pageToken ? { pageToken } : {}) }),
      principal,
    );
  }

  @Get(':id')
  async getSession(@Param('id') id: string, @CurrentPrincipal() principal: Principal, @Res() response: Response): Promise<void> {
    const detail = await this.queries.get(id, principal);
    response.setHeader('ETag', `"${detail.session.rowVersion}"`);
    response.status(200).json(detail);
  }

  @Post(':id/answers')
  @HttpCode(200)
  async submitPage(
    @Param('id') id: string,
    @Body() body: JsonBody,
    @Headers() headers: HeaderMap,
    @CurrentPrincipal() principal: Principal,
    @Res() response: Response,
  ): Promise<void> {
    refuseBadText({ pageId: body?.['pageId'] });
    const fields = R.answer.parseBody(body ?? {});
    const view = await this.submit.execute(
      {
        sessionId: id,
        pageId: fields.pageId ?? '',
        answers: (fields.answers ?? {}) as Record<string, Json>,
        pageToken: pageTokenOf(body, headers),
      },
      principal,
    );
    send(response, 200, view);
  }

  @Post(':id/previous')
  async previousPage(
    @Param('id') id: string,
    @Body() body: JsonBody,
    @Headers() headers: HeaderMap,
    @CurrentPrincipal() principal: Principal,
    @Res() response: Response,
  ): Promise<void> {
    send(response, 200, await this.previous.execute({ sessionId: id, pageToken: pageTokenOf(body, headers) }, principal));
  }

  @Post(':id/cancel')
  async cancelSession(
    @Param('id') id: string,
    @Body() body: JsonBody,
    @Headers() headers: HeaderMap,
    @CurrentPrincipal() principal: Principal,
    @Res() response: Response,
  ): Promise<void> {
    refuseBadText({ reason: body?.['reason'] });
    const reason = R.cancel.parseBody(body ?? {}).reason ?? '';
    send(
      response,
      200,
      await this.cancel.execute({ sessionId: id, pageToken: pageTokenOf(body, headers) || 0, ...(reason ? { reason } : {}) }, principal),
    );
  }
}
