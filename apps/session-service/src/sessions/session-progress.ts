/**
 * Applies what a request did (a run of the interpreter) to the session, and saves it: the
 * session row (checked against the version it was read at), its log entries and the change
 * event, in one transaction. State and status follow the source platform: finishing completes
 * the session (Complete / Completed); canceling or failing leaves it Incomplete.
 */
import { Injectable, Logger } from '@nestjs/common';
import { ProcessSessionState as State, ProcessSessionStatus as Status, type SessionChange } from '@flowline/contracts';
import type { ProcessSessionRow } from './process-session.entity';
import { SessionEvents } from './session-events';
import { SessionMetrics } from './session-metrics';
import type { ActionDraft, RunResult } from './session-runner';
import { SessionStore } from './session-store';

export function applyRun(row: ProcessSessionRow, result: RunResult, actor: string, now: Date): void {
  row.interpreterState = result.state;
  row.answers = result.state.answers;
  row.currentPage = result.page;
  row.currentPageId = result.page?.id ?? null;
  if (result.page) row.pagesShown = { ...row.pagesShown, [result.page.id]: result.page };
  if (result.nextDialog) row.nextDialog = result.nextDialog;
  row.modifiedOn = now;
  switch (result.ending?.status) {
    case undefined:
      row.state = State.Incomplete;
      row.status = Status.InProgress;
      break;
    case 'completed':
      row.state = State.Complete;
      row.status = Status.Completed;
      row.completedBy = actor;
      row.completedOn = now;
      row.outcomeMessage = result.ending.message || null;
      break;
    case 'canceled':
      row.state = State.Incomplete;
      row.status = Status.Canceled;
      row.canceledBy = actor;
      row.canceledOn = now;
      row.outcomeMessage = result.ending.message || null;
      break;
    case 'failed':
      row.state = State.Incomplete;
      row.status = Status.Failed;
      row.errorCode = result.ending.code;
      row.outcomeMessage = result.ending.message;
      break;
  }
}

export const isEnded = (row: ProcessSessionRow): boolean => row.status !== Status.InProgress;

function changeOf(result: RunResult, request: SessionChange['change']): SessionChange['change'] {
  return result.ending?.status ?? request;
}

export interface ProgressWrite {
  row: ProcessSessionRow;
  result: RunResult;
  /** What the request was: started, pageAnswered, previousPage or canceled. */
  request: SessionChange['change'];
  actor: string;
  now: Date;
  /** The version the row was read at (0: a new session). */
  pageToken: number;
  /** Log entries of the request itself, before those of the run. */
  requestActions: ActionDraft[];
}

@Injectable()
export class SessionProgress {
  private readonly logger = new Logger('Sessions');

  constructor(
    private readonly store: SessionStore,
    private readonly events: SessionEvents,
    private readonly metrics: SessionMetrics,
  ) {}

  /** Saves the run; throws SessionVersionConflict when another request got there first. */
  async save(write: ProgressWrite): Promise<ProcessSessionRow> {
    const { row, result, actor, now, pageToken } = write;
    const statusBefore = pageToken === 0 ? undefined : row.status;
    applyRun(row, result, actor, now);
    const change = changeOf(result, write.request);
    await this.store.transaction(async (manager) => {
      if (pageToken === 0) {
        row.rowVersion = 1;
        await this.store.insert(manager, row);
      } else {
        await this.store.update(manager, row, pageToken);
      }
      await this.store.appendActions(manager, row.id, [...write.requestActions, ...result.actions], { by: actor, on: now, pageToken });
      await this.events.record(manager, row, change, actor);
    });
    if (statusBefore === undefined) this.metrics.reached(Status.InProgress);
    if (row.status !== Status.InProgress && row.status !== statusBefore) this.metrics.reached(row.status);
    this.logger.log({
      sessionId: row.id,
      correlationId: row.correlationId,
      dialog: row.dialogUniqueName,
      change,
      page: row.currentPageId,
      status: row.status,
      actor,
      msg: `session ${row.id} of ${row.dialogUniqueName}: ${change}${row.currentPageId ? `, now on page ${row.currentPageId}` : ''}`,
    });
    return row;
  }
}
