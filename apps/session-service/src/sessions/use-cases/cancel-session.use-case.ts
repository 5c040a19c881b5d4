/** Cancels a session: it stays Incomplete with status Canceled. Canceling a canceled session answers as the first cancel did. */
import { Injectable } from '@nestjs/common';
import type { Principal } from '@flowline/auth';
import { ProcessSessionStatus } from '@flowline/contracts';
import { FlowlineError } from '@flowline/rpc';
import { DialogDefinitions } from '../../clients/dialog-definitions';
import { sessionEnded } from '../request-replay';
import { SessionAccess } from '../session-access';
import { isEnded, SessionProgress } from '../session-progress';
import { SessionRunner } from '../session-runner';
import { continueSession } from './continue-session';
import { SessionVersionConflict } from '../session-store';
import { sessionView, type SessionView } from '../session-view';
import { SessionErrorCode as Code } from '../session.errors';
import { inSpan } from '../tracing';

export interface CancelSessionInput {
  sessionId: string;
  /** 0: cancel whatever page is shown. */
  pageToken: number;
  reason?: string;
}

@Injectable()
export class CancelSessionUseCase {
  constructor(
    private readonly access: SessionAccess,
    private readonly definitions: DialogDefinitions,
    private readonly runner: SessionRunner,
    private readonly progress: SessionProgress,
  ) {}

  execute(input: CancelSessionInput, principal: Principal): Promise<SessionView> {
    return inSpan('session.cancel', { 'flowline.session_id': input.sessionId, 'flowline.user': principal.subject }, async () => {
      const row = await this.access.load(input.sessionId, principal);
      if (row.status === ProcessSessionStatus.Canceled) return sessionView(row, true);
      if (isEnded(row)) throw sessionEnded(row);
      if (input.pageToken && input.pageToken !== row.rowVersion) {
        throw new FlowlineError(
          'ABORTED',
          Code.SessionChanged,
          `session ${row.id} has moved on since that page was shown (page token ${input.pageToken}, the session is at ${row.rowVersion}): reload it`,
        );
      }
      const reason = input.reason?.trim() || `canceled by ${principal.subject}`;
      const { run, now } = await continueSession(this.definitions, this.runner, row, principal.subject, (at) => ({
        type: 'cancel',
        now: at,
        reason,
      }));
      if (!run.ok) throw new Error('the interpreter refused a cancel');
      try {
        return sessionView(
          await this.progress.save({
            row,
            result: run.result,
            request: 'canceled',
            actor: principal.subject,
            now,
            pageToken: row.rowVersion,
            requestActions: [],
          }),
        );
      } catch (error) {
        if (!(error instanceof SessionVersionConflict)) throw error;
        const latest = await this.access.load(input.sessionId, principal);
        if (latest.status === ProcessSessionStatus.Canceled) return sessionView(latest, true);
        throw new FlowlineError(
          'ABORTED',
          Code.SessionChanged,
          `session ${row.id} changed while it was being canceled: reload it and cancel again`,
        );
      }
    });
  }
}
