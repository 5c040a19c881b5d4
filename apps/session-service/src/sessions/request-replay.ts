/**
 * Requests that arrive with a page token older than the session: a repeat of a request already
 * done (the same page and answers, a second click, a retry after a lost answer) gets the
 * session as that request left it, with nothing done again; anything else is refused, because
 * the person is looking at a page that is no longer the one shown.
 */
import { Injectable } from '@nestjs/common';
import { FlowlineError } from '@flowline/rpc';
import type { Json } from '@flowline/process-runtime';
import type { ProcessSessionRow } from './process-session.entity';
import type { SessionActionRow } from './session-action.entity';
import { isEnded } from './session-progress';
import { SessionStore } from './session-store';
import { sessionView, STATUS_NAMES, type SessionView } from './session-view';
import { SessionErrorCode as Code } from './session.errors';

/** The same JSON value, whatever the order of object keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
          )
        : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export function sessionEnded(row: ProcessSessionRow): FlowlineError {
  return new FlowlineError(
    'FAILED_PRECONDITION',
    Code.SessionEnded,
    `session ${row.id} is ${STATUS_NAMES[row.status] ?? row.status}: run the dialog again to start a new session`,
  );
}

@Injectable()
export class RequestReplay {
  constructor(private readonly store: SessionStore) {}

  async answer(
    row: ProcessSessionRow,
    pageToken: number,
    kind: SessionActionRow['kind'],
    isTwin: (detail: Record<string, Json>) => boolean,
  ): Promise<SessionView> {
    const done = await this.store.actionAt(row.id, kind, pageToken);
    if (done && isTwin(done.detail)) return sessionView(row, true);
    if (isEnded(row)) throw sessionEnded(row);
    throw new FlowlineError(
      'ABORTED',
      Code.SessionChanged,
      `session ${row.id} has moved on since that page was shown (page token ${pageToken}, the session is at ${row.rowVersion}), in another tab or by another request: reload it to see where it is`,
    );
  }
}
