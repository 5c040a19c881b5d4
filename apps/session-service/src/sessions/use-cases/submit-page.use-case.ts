/**
 * Answers the page shown: answers for prompts the page lacks, text with NUL or lone
 * surrogates and impossible dates are refused first (answer-edge.ts); the interpreter checks every answer against its prompt's response
 * type (refused answers come back per prompt and change nothing), then runs the steps up to
 * the next page or the end, acting on records through the gateway. The page token (the
 * session's row version when the page was shown) makes a repeated submit act once.
 */
import { Injectable } from '@nestjs/common';
import type { Principal } from '@flowline/auth';
import { checkAnswers, type Json } from '@flowline/process-runtime';
import { FlowlineError, invalidArgument, type FieldViolation } from '@flowline/rpc';
import { DialogDefinitions } from '../../clients/dialog-definitions';
import { answerEdgeViolations } from '../answer-edge';
import { LookupRecords } from '../lookup-records';
import { RequestReplay, sameJson, sessionEnded } from '../request-replay';
import { SessionAccess } from '../session-access';
import { SessionMetrics } from '../session-metrics';
import { isEnded, SessionProgress } from '../session-progress';
import { SessionRunner } from '../session-runner';
import { continueSession } from './continue-session';
import { SessionVersionConflict } from '../session-store';
import { sessionView, type SessionView } from '../session-view';
import { SessionErrorCode as Code } from '../session.errors';
import { inSpan } from '../tracing';

export interface SubmitPageInput {
  sessionId: string;
  pageId: string;
  answers: Record<string, Json>;
  pageToken: number;
}

export function checkPageToken(pageToken: number, violations: FieldViolation[] = []): FieldViolation[] {
  if (!Number.isInteger(pageToken) || pageToken < 1)
    violations.push({
      field: 'pageToken',
      description: "the session's rowVersion when the page was shown (a whole number from 1)",
      code: 'REQUIRED',
    });
  return violations;
}

const violation = (promptId: string, description: string): FieldViolation => ({
  field: `answers.${promptId}`,
  description,
  code: 'ANSWER_INVALID',
});

function answersRefused(violations: FieldViolation[]): FlowlineError {
  const count = violations.length;
  return invalidArgument(
    Code.AnswersInvalid,
    `${count} answer${count === 1 ? ' was' : 's were'} refused: correct ${count === 1 ? 'it' : 'them'} and submit the page again`,
    violations,
  );
}

@Injectable()
export class SubmitPageUseCase {
  constructor(
    private readonly access: SessionAccess,
    private readonly definitions: DialogDefinitions,
    private readonly runner: SessionRunner,
    private readonly progress: SessionProgress,
    private readonly replay: RequestReplay,
    private readonly metrics: SessionMetrics,
    private readonly lookups: LookupRecords,
  ) {}

  execute(input: SubmitPageInput, principal: Principal): Promise<SessionView> {
    return inSpan(
      'session.submit',
      { 'flowline.session_id': input.sessionId, 'flowline.page': input.pageId, 'flowline.user': principal.subject },
      async (span) => {
        const violations = checkPageToken(input.pageToken);
        if (!input.pageId) violations.push({ field: 'pageId', description: 'the id of the page answered', code: 'REQUIRED' });
        if (violations.length > 0) throw invalidArgument(Code.InvalidRequest, 'the answers cannot be taken', violations);
        const row = await this.access.load(input.sessionId, principal);
        const isTwin = (detail: Record<string, Json>) => detail['pageId'] === input.pageId && sameJson(detail['submitted'], input.answers);
        if (input.pageToken !== row.rowVersion) {
          const view = await this.replay.answer(row, input.pageToken, 'pageAnswered', isTwin);
          this.metrics.submitted('replayed');
          span.setAttribute('flowline.replayed', true);
          return view;
        }
        if (isEnded(row)) throw sessionEnded(row);
        if (row.currentPageId !== input.pageId) {
          throw new FlowlineError(
            'FAILED_PRECONDITION',
            Code.PageNotShown,
            `'${input.pageId}' is not the page shown: session ${row.id} shows '${row.currentPageId ?? ''}'`,
          );
        }
        // Refused at the edge, for good (not "try again"): unknown prompts, NUL or lone surrogates, impossible dates.
        const prompts = row.currentPage?.prompts ?? [];
        const refused = answerEdgeViolations(input.pageId, prompts, input.answers);
        if (refused.length > 0) {
          const fields = new Set(refused.map((violation) => violation.field));
          const others = checkAnswers(
            prompts.filter((prompt) => !fields.has(`answers.${prompt.id}`)),
            input.answers,
          ).errors;
          this.metrics.submitted('invalid');
          throw answersRefused([...refused, ...Object.entries(others).map(([promptId, description]) => violation(promptId, description))]);
        }
        // Records the person searched for must exist; their names come from the gateway.
        const lookups = await this.lookups.confirm(row, input.answers, principal);
        if (lookups.violations.length > 0) {
          // Refused before anything runs; the other answers are checked too, so every problem shows at once.
          const missing = new Set(lookups.violations.map((violation) => violation.field));
          const others = checkAnswers(
            (row.currentPage?.prompts ?? []).filter((prompt) => !missing.has(`answers.${prompt.id}`)),
            lookups.answers,
          ).errors;
          this.metrics.submitted('invalid');
          throw answersRefused([
            ...Object.entries(others).map(([promptId, description]) => violation(promptId, description)),
            ...lookups.violations,
          ]);
        }
        const { run, now } = await continueSession(this.definitions, this.runner, row, principal.subject, (at) => ({
          type: 'pageAnswers',
          pageId: input.pageId,
          answers: lookups.answers,
          now: at,
        }));
        if (!run.ok) {
          this.metrics.submitted('invalid');
          throw answersRefused(Object.entries(run.invalid).map(([promptId, description]) => violation(promptId, description)));
        }
        try {
          const saved = await this.progress.save({
            row,
            result: run.result,
            request: 'pageAnswered',
            actor: principal.subject,
            now,
            pageToken: input.pageToken,
            requestActions: [
              {
                kind: 'pageAnswered',
                stepId: input.pageId,
                entity: null,
                recordId: null,
                detail: { pageId: input.pageId, answers: run.result.state.answers[input.pageId] ?? {}, submitted: input.answers },
              },
            ],
          });
          this.metrics.submitted('accepted');
          return sessionView(saved);
        } catch (error) {
          if (!(error instanceof SessionVersionConflict)) throw error;
          // A twin of this request was saved first: its answer is ours (it acted, we did not act twice).
          const latest = await this.access.load(input.sessionId, principal);
          const view = await this.replay.answer(latest, input.pageToken, 'pageAnswered', isTwin);
          this.metrics.submitted('replayed');
          return view;
        }
      },
    );
  }
}
