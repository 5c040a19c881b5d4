/** Reading sessions: one with its log, and lists by dialog, record, user, state and status. Users see their own only. */
import { Injectable } from '@nestjs/common';
import type { Principal } from '@flowline/auth';
import { FlowlineError, type PageWindow } from '@flowline/rpc';
import { mayActForOthers, SessionAccess } from '../session-access';
import { SessionStore, type SessionFilter } from '../session-store';
import { actionJson, sessionJson, sessionView, type SessionDetail, type SessionJson } from '../session-view';
import { SessionErrorCode as Code } from '../session.errors';

@Injectable()
export class SessionQueries {
  constructor(
    private readonly access: SessionAccess,
    private readonly store: SessionStore,
  ) {}

  async get(sessionId: string, principal: Principal): Promise<SessionDetail> {
    const row = await this.access.load(sessionId, principal);
    return { ...sessionView(row), actions: (await this.store.actions(row.id)).map(actionJson) };
  }

  async list(
    filter: SessionFilter,
    window: PageWindow,
    principal: Principal,
  ): Promise<{ sessions: SessionJson[]; page: { nextPageToken: string; totalCount: number } }> {
    if (!mayActForOthers(principal)) {
      if (filter.startedBy && filter.startedBy !== principal.subject)
        throw new FlowlineError(
          'PERMISSION_DENIED',
          Code.NotYourSession,
          `only operators and admins may list the sessions of ${filter.startedBy}`,
        );
      filter = { ...filter, startedBy: principal.subject };
    }
    const { rows, page } = await this.store.list(filter, window);
    return { sessions: rows.map(sessionJson), page };
  }
}
