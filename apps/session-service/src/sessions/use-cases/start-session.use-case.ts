/**
 * Starts the active version of a dialog on a record: checks the dialog and the record (read
 * through the gateway, as the person), runs the interpreter to the first page, and saves the
 * new session with its log and a `started` change. A start repeated with the same request id
 * (by the same person) returns the session the first one started.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Principal } from '@flowline/auth';
import { ProcessSessionState, ProcessSessionStatus } from '@flowline/contracts';
import type { Json } from '@flowline/process-runtime';
import { FlowlineError, invalidArgument, type FieldViolation } from '@flowline/rpc';
import { DialogDefinitions, type DialogRef } from '../../clients/dialog-definitions';
import { RecordGateway } from '../../clients/gateway-client';
import { ProcessSessionRow } from '../process-session.entity';
import { SessionProgress } from '../session-progress';
import { SessionRunner } from '../session-runner';
import { SessionStore } from '../session-store';
import { sessionView, type SessionView } from '../session-view';
import { SessionErrorCode as Code } from '../session.errors';
import { inSpan } from '../tracing';

export interface StartSessionInput {
  dialog: DialogRef;
  entity: string;
  recordId: string;
  inputs: Record<string, Json>;
  requestId?: string;
  correlationId?: string;
}

/** A UUID that only this person's request id gives: the same start twice is the same session. */
function sessionIdFor(subject: string, requestId: string): string {
  const hex = createHash('sha256').update(`${subject}\n${requestId}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function check(input: StartSessionInput): void {
  const violations: FieldViolation[] = [];
  if (!input.dialog.id && !input.dialog.uniqueName)
    violations.push({ field: 'dialog', description: 'name the dialog by id or unique name', code: 'REQUIRED' });
  if (!input.entity)
    violations.push({ field: 'entity', description: "the entity of the record, the dialog's primary entity", code: 'REQUIRED' });
  if (!input.recordId) violations.push({ field: 'recordId', description: 'the id of the record the dialog runs on', code: 'REQUIRED' });
  if (input.requestId !== undefined && (input.requestId.length === 0 || input.requestId.length > 200))
    violations.push({ field: 'requestId', description: 'from 1 to 200 characters', code: 'INVALID' });
  if (violations.length > 0) throw invalidArgument(Code.InvalidRequest, 'the session cannot start', violations);
}

@Injectable()
export class StartSessionUseCase {
  constructor(
    private readonly definitions: DialogDefinitions,
    private readonly gateway: RecordGateway,
    private readonly runner: SessionRunner,
    private readonly store: SessionStore,
    private readonly progress: SessionProgress,
  ) {}

  execute(input: StartSessionInput, principal: Principal): Promise<SessionView> {
    return inSpan(
      'session.start',
      {
        'flowline.dialog': input.dialog.uniqueName ?? input.dialog.id ?? '',
        'flowline.entity': input.entity,
        'flowline.user': principal.subject,
      },
      async (span) => {
        check(input);
        const id = input.requestId ? sessionIdFor(principal.subject, input.requestId) : randomUUID();
        span.setAttribute('flowline.session_id', id);
        if (input.requestId) {
          const existing = await this.store.find(id);
          if (existing) return sessionView(existing, true);
        }
        const dialog = await this.definitions.active(input.dialog);
        if (input.entity !== dialog.primaryEntity) {
          throw invalidArgument(
            Code.EntityMismatch,
            `dialog '${dialog.uniqueName}' runs on ${dialog.primaryEntity} records, not ${input.entity}`,
            [{ field: 'entity', description: `expected ${dialog.primaryEntity}`, code: 'ENTITY_MISMATCH' }],
          );
        }
        const correlationId = input.correlationId || id;
        const record = await this.record(input.entity, input.recordId, principal.subject, correlationId);
        const now = new Date();
        const run = await this.runner.run(
          { sessionId: id, compiled: dialog.compiled, actor: principal.subject, correlationId, pageToken: 0, now: () => new Date() },
          undefined,
          {
            type: 'start',
            operationId: id,
            now: now.toISOString(),
            depth: 1,
            record: { ...record, ref: { entity: input.entity, id: input.recordId } } as Record<string, Json>,
            inputs: input.inputs,
          },
        );
        if (!run.ok) throw new Error('the interpreter refused a start');
        const row = Object.assign(new ProcessSessionRow(), {
          id,
          dialogId: dialog.definitionId,
          dialogUniqueName: dialog.uniqueName,
          dialogName: dialog.name,
          dialogVersion: dialog.version,
          entity: input.entity,
          recordId: input.recordId,
          inputs: input.inputs,
          requestId: input.requestId ?? null,
          correlationId,
          state: ProcessSessionState.Incomplete,
          status: ProcessSessionStatus.InProgress,
          pagesShown: {},
          startedBy: principal.subject,
          startedOn: now,
          completedBy: null,
          completedOn: null,
          canceledBy: null,
          canceledOn: null,
          outcomeMessage: null,
          errorCode: null,
          nextDialog: null,
        } satisfies Partial<ProcessSessionRow>);
        try {
          await this.progress.save({
            row,
            result: run.result,
            request: 'started',
            actor: principal.subject,
            now,
            pageToken: 0,
            requestActions: [],
          });
        } catch (error) {
          // Two starts with one request id raced: the first one's session is the answer.
          const existing = input.requestId && /PK_process_session|duplicate key/.test(String(error)) ? await this.store.find(id) : null;
          if (existing) return sessionView(existing, true);
          throw error;
        }
        return sessionView(row);
      },
    );
  }

  /** The record as the person may see it now, read through the pipeline. */
  private async record(entity: string, recordId: string, user: string, correlationId: string): Promise<Record<string, unknown>> {
    const found = await this.gateway.execute({
      message: 'Retrieve',
      entity,
      recordId,
      target: {},
      parameters: {},
      idempotencyKey: '',
      depth: 1,
      correlationId,
      initiatingUserId: user,
    });
    if (found.ok) return found.record ?? {};
    if (found.grpcCode === 5)
      throw new FlowlineError('NOT_FOUND', Code.RecordNotFound, `no ${entity} record ${recordId}: the dialog needs an existing record`);
    if (found.grpcCode === 3)
      throw invalidArgument(Code.InvalidRequest, `the record cannot be read: ${found.message}`, [
        { field: 'recordId', description: found.message, code: found.code },
      ]);
    if (found.transient)
      throw new FlowlineError('UNAVAILABLE', Code.GatewayUnavailable, `the gateway did not answer (${found.message}): try again shortly`);
    throw new FlowlineError('FAILED_PRECONDITION', found.code, found.message);
  }
}
