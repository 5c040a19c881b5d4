/** Back to the page answered before, its earlier answers shown again; acts on the page token like a submit. */
import { Injectable } from '@nestjs/common';
import type { Principal } from '@flowline/auth';
import type { Json } from '@flowline/process-runtime';
import { FlowlineError, invalidArgument } from '@flowline/rpc';
import { DialogDefinitions } from '../../clients/dialog-definitions';
import { RequestReplay, sessionEnded } from '../request-replay';
import { SessionAccess } from '../session-access';
import { isEnded, SessionProgress } from '../session-progress';
import { SessionRunner } from '../session-runner';
import { continueSession } from './continue-session';
import { SessionVersionConflict } from '../session-store';
import { sessionView, type SessionView } from '../session-view';
import { SessionErrorCode as Code } from '../session.errors';
import { inSpan } from '../tracing';
import { checkPageToken } from './submit-page.use-case';

export interface PreviousPageInput {
  sessionId: string;
  pageToken: number;
}

@Injectable()
export class PreviousPageUseCase {
  constructor(
    private readonly access: SessionAccess,
    private readonly definitions: DialogDefinitions,
    private readonly runner: SessionRunner,
    private readonly progress: SessionProgress,
    private readonly replay: RequestReplay,
  ) {}

  execute(input: PreviousPageInput, principal: Principal): Promise<SessionView> {
    return inSpan('session.previous', { 'flowline.session_id': input.sessionId, 'flowline.user': principal.subject }, async () => {
      const violations = checkPageToken(input.pageToken);
      if (violations.length > 0) throw invalidArgument(Code.InvalidRequest, 'the session cannot go back', violations);
      const row = await this.access.load(input.sessionId, principal);
      const anyTwin = (_detail: Record<string, Json>) => true;
      if (input.pageToken !== row.rowVersion) return this.replay.answer(row, input.pageToken, 'previousPage', anyTwin);
      if (isEnded(row)) throw sessionEnded(row);
      const { run, now } = await continueSession(this.definitions, this.runner, row, principal.subject, (at) => ({
        type: 'previousPage',
        now: at,
      }));
      if (!run.ok)
        throw new FlowlineError(
          'FAILED_PRECONDITION',
          Code.NoPreviousPage,
          `'${row.currentPageId ?? ''}' is the first page: there is no page before it`,
        );
      try {
        const saved = await this.progress.save({
          row,
          result: run.result,
          request: 'previousPage',
          actor: principal.subject,
          now,
          pageToken: input.pageToken,
          requestActions: [
            { kind: 'previousPage', stepId: row.currentPageId, entity: null, recordId: null, detail: { fromPageId: row.currentPageId } },
          ],
        });
        return sessionView(saved);
      } catch (error) {
        if (!(error instanceof SessionVersionConflict)) throw error;
        return this.replay.answer(await this.access.load(input.sessionId, principal), input.pageToken, 'previousPage', anyTwin);
      }
    });
  }
}
