/** gRPC: flowline.session.v1.SessionService, the same use cases as the REST API. */
import { Ctx, GrpcMethod, Payload } from '@nestjs/microservices';
import type { Principal } from '@flowline/auth';
import { correlationIdOf, pageWindow, type Metadata, type SessionProto } from '@flowline/rpc';
import { CurrentPrincipal, GrpcController } from '@flowline/service-kit';
import { LookupRecords } from './lookup-records';
import { detailToProto, parseJsonObject, sessionToProto, viewToProto } from './session.mapper';
import { CancelSessionUseCase } from './use-cases/cancel-session.use-case';
import { PreviousPageUseCase } from './use-cases/previous-page.use-case';
import { SessionQueries } from './use-cases/session-queries';
import { StartSessionUseCase } from './use-cases/start-session.use-case';
import { SubmitPageUseCase } from './use-cases/submit-page.use-case';

const SERVICE = 'SessionService';

@GrpcController()
export class SessionsGrpcController {
  constructor(
    private readonly start: StartSessionUseCase,
    private readonly submit: SubmitPageUseCase,
    private readonly previous: PreviousPageUseCase,
    private readonly cancel: CancelSessionUseCase,
    private readonly queries: SessionQueries,
    private readonly lookups: LookupRecords,
  ) {}

  @GrpcMethod(SERVICE, 'SearchLookup')
  async searchLookup(
    @Payload() request: SessionProto.SearchLookupRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SessionProto.SearchLookupResponse> {
    const found = await this.lookups.search(
      {
        sessionId: request.sessionId,
        promptId: request.promptId,
        search: request.search,
        ...(request.pageSize ? { pageSize: request.pageSize } : {}),
      },
      principal,
    );
    return { entity: found.entity, records: found.records.map((record) => ({ value: record.id, label: record.label })), more: found.more };
  }

  @GrpcMethod(SERVICE, 'StartSession')
  async startSession(
    @Payload() request: SessionProto.StartSessionRequest,
    @Ctx() metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SessionProto.SessionView> {
    const view = await this.start.execute(
      {
        dialog: {
          ...(request.dialog?.id ? { id: request.dialog.id } : {}),
          ...(request.dialog?.uniqueName ? { uniqueName: request.dialog.uniqueName } : {}),
        },
        entity: request.entity,
        recordId: request.recordId,
        inputs: parseJsonObject(request.inputsJson, 'inputsJson'),
        ...(request.requestId ? { requestId: request.requestId } : {}),
        correlationId: correlationIdOf(metadata),
      },
      principal,
    );
    return viewToProto(view);
  }

  @GrpcMethod(SERVICE, 'SubmitPage')
  async submitPage(
    @Payload() request: SessionProto.SubmitPageRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SessionProto.SessionView> {
    const answers = parseJsonObject(request.answersJson, 'answersJson');
    return viewToProto(
      await this.submit.execute({ sessionId: request.sessionId, pageId: request.pageId, answers, pageToken: request.pageToken }, principal),
    );
  }

  @GrpcMethod(SERVICE, 'PreviousPage')
  async previousPage(
    @Payload() request: SessionProto.PreviousPageRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SessionProto.SessionView> {
    return viewToProto(await this.previous.execute({ sessionId: request.sessionId, pageToken: request.pageToken }, principal));
  }

  @GrpcMethod(SERVICE, 'CancelSession')
  async cancelSession(
    @Payload() request: SessionProto.CancelSessionRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SessionProto.SessionView> {
    return viewToProto(
      await this.cancel.execute(
        { sessionId: request.sessionId, pageToken: request.pageToken, ...(request.reason ? { reason: request.reason } : {}) },
        principal,
      ),
    );
  }

  @GrpcMethod(SERVICE, 'GetSession')
  async getSession(
    @Payload() request: SessionProto.GetSessionRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SessionProto.SessionDetail> {
    return detailToProto(await this.queries.get(request.sessionId, principal));
  }

  @GrpcMethod(SERVICE, 'ListSessions')
  async listSessions(
    @Payload() request: SessionProto.ListSessionsRequest,
    @Ctx() _metadata: Metadata,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SessionProto.ListSessionsResponse> {
    const { sessions, page } = await this.queries.list(
      {
        ...(request.dialog?.id ? { dialogId: request.dialog.id } : {}),
        ...(request.dialog?.uniqueName ? { dialogUniqueName: request.dialog.uniqueName } : {}),
        ...(request.entity ? { entity: request.entity } : {}),
        ...(request.recordId ? { recordId: request.recordId } : {}),
        ...(request.startedBy ? { startedBy: request.startedBy } : {}),
        ...(request.filterByState ? { state: request.state } : {}),
        ...(request.status ? { status: request.status } : {}),
      },
      pageWindow(request.page),
      principal,
    );
    return { sessions: sessions.map(sessionToProto), page };
  }
}
