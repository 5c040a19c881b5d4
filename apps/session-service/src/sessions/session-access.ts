/** A session belongs to the user who started it: others need the operator role (admins always may). */
import { Injectable } from '@nestjs/common';
import { hasAnyRole, Roles, type Principal } from '@flowline/auth';
import { FlowlineError, invalidArgument } from '@flowline/rpc';
import type { ProcessSessionRow } from './process-session.entity';
import { SessionErrorCode as Code } from './session.errors';
import { SessionStore } from './session-store';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function mayActForOthers(principal: Principal): boolean {
  return hasAnyRole(principal, [Roles.operator]);
}

export function assertMaySee(principal: Principal, row: ProcessSessionRow): void {
  if (row.startedBy === principal.subject || mayActForOthers(principal)) return;
  throw new FlowlineError(
    'PERMISSION_DENIED',
    Code.NotYourSession,
    `session ${row.id} belongs to ${row.startedBy}: only they, an operator or an admin may see or change it`,
  );
}

@Injectable()
export class SessionAccess {
  constructor(private readonly store: SessionStore) {}

  /** The session, if it exists and the caller may see it. */
  async load(sessionId: string, principal: Principal): Promise<ProcessSessionRow> {
    if (!UUID.test(sessionId))
      throw invalidArgument(Code.InvalidRequest, `'${sessionId}' is not a session id`, [
        { field: 'sessionId', description: 'expected a UUID' },
      ]);
    const row = await this.store.find(sessionId);
    if (!row) throw new FlowlineError('NOT_FOUND', Code.SessionNotFound, `no session ${sessionId}`);
    assertMaySee(principal, row);
    return row;
  }
}
