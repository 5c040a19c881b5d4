/**
 * Lookups the person searches (a lookup prompt with an entity and no options): finding records
 * of that entity by name for the page shown, and, when the page is answered, checking that each
 * chosen record exists and taking its name from the gateway rather than from the browser.
 * Both read through the gateway's Execute as the person, like every other record a dialog reads.
 */
import { Injectable } from '@nestjs/common';
import type { Principal } from '@flowline/auth';
import { badCharacter } from '@flowline/process-model';
import { referenceOf, type Json, type PromptView } from '@flowline/process-runtime';
import { FlowlineError, invalidArgument, type FieldViolation } from '@flowline/rpc';
import { RecordGateway } from '../clients/gateway-client';
import { isEnded } from './session-progress';
import { DIALOG_DEPTH } from './session-runner';
import type { ProcessSessionRow } from './process-session.entity';
import { sessionEnded } from './request-replay';
import { SessionAccess } from './session-access';
import { SessionErrorCode as Code } from './session.errors';
import { inSpan } from './tracing';

export const LOOKUP_PAGE_SIZE = { default: 20, max: 50 } as const;

export interface LookupSearchInput {
  sessionId: string;
  promptId: string;
  /** Part of the record's name; empty lists the first records by name. */
  search: string;
  pageSize?: number;
}

export interface LookupSearchResult {
  entity: string;
  records: Array<{ id: string; label: string }>;
  /** More records match than were returned: the person should type more of the name. */
  more: boolean;
}

type SearchedPrompt = PromptView & { response: { entity: string; idAttribute: string; labelAttribute: string } };

export function isSearchedLookup(prompt: PromptView): prompt is SearchedPrompt {
  const { type, entity, idAttribute, labelAttribute, options } = prompt.response;
  return type === 'lookup' && Boolean(entity && idAttribute && labelAttribute) && options === undefined;
}

/** `%`, `_` and `\` match themselves in the gateway's `like` (ILIKE, backslash escapes). */
export function likeContaining(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

const labelOf = (record: Record<string, unknown>, prompt: SearchedPrompt, id: string): string => {
  const value = record[prompt.response.labelAttribute];
  return value === null || value === undefined || value === '' ? id : String(value);
};

@Injectable()
export class LookupRecords {
  constructor(
    private readonly access: SessionAccess,
    private readonly gateway: RecordGateway,
  ) {}

  /** Records of a searched lookup on the page shown whose name contains the text, by name. */
  search(input: LookupSearchInput, principal: Principal): Promise<LookupSearchResult> {
    return inSpan(
      'session.lookup',
      { 'flowline.session_id': input.sessionId, 'flowline.prompt': input.promptId, 'flowline.user': principal.subject },
      async (span) => {
        const pageSize = input.pageSize || LOOKUP_PAGE_SIZE.default;
        const violations: FieldViolation[] = [];
        if (!input.promptId)
          violations.push({ field: 'promptId', description: 'the id of a lookup prompt on the page shown', code: 'REQUIRED' });
        if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > LOOKUP_PAGE_SIZE.max)
          violations.push({
            field: 'pageSize',
            description: `expected 1 to ${LOOKUP_PAGE_SIZE.max}, got ${String(input.pageSize)}`,
            code: 'PAGE_SIZE',
          });
        if ((input.search ?? '').length > 200)
          violations.push({ field: 'search', description: 'at most 200 characters', code: 'TOO_LONG' });
        const badSearch = badCharacter(input.search ?? '');
        if (badSearch) violations.push({ field: 'search', description: `the search text ${badSearch}`, code: 'BAD_CHARACTER' });
        if (violations.length > 0) throw invalidArgument(Code.InvalidRequest, 'the search cannot be run', violations);
        const row = await this.access.load(input.sessionId, principal);
        if (isEnded(row)) throw sessionEnded(row);
        const prompt = row.currentPage?.prompts.find((candidate) => candidate.id === input.promptId);
        if (!prompt || !isSearchedLookup(prompt)) {
          throw new FlowlineError(
            'FAILED_PRECONDITION',
            Code.PageNotShown,
            prompt
              ? `prompt '${input.promptId}' is not a lookup to search: it offers its choices on the page`
              : `the page shown ('${row.currentPageId ?? 'none'}') has no prompt '${input.promptId}'`,
          );
        }
        const text = (input.search ?? '').trim();
        const label = prompt.response.labelAttribute;
        const outcome = await this.gateway.execute({
          message: 'RetrieveMultiple',
          entity: prompt.response.entity,
          target: {},
          parameters: {
            conditions: text ? [{ attribute: label, operator: 'like', value: likeContaining(text) }] : [],
            orderBy: [{ attribute: label }],
            pageSize: pageSize + 1,
          },
          idempotencyKey: '',
          depth: DIALOG_DEPTH,
          correlationId: row.correlationId,
          initiatingUserId: principal.subject,
        });
        if (!outcome.ok) throw this.gatewayError(outcome, `search ${prompt.response.entity}`);
        const found = (outcome.records ?? []) as Array<Record<string, unknown>>;
        const records = found.slice(0, pageSize).map((record) => {
          const id = String(record[prompt.response.idAttribute]);
          return { id, label: labelOf(record, prompt, id) };
        });
        span.setAttribute('flowline.lookup.found', records.length);
        return { entity: prompt.response.entity, records, more: found.length > pageSize };
      },
    );
  }

  /**
   * The answers with every searched lookup confirmed: the record exists (read as the person)
   * and its name comes from it. A record that does not exist is a violation of its prompt.
   */
  async confirm(
    row: ProcessSessionRow,
    answers: Record<string, Json>,
    principal: Principal,
  ): Promise<{ answers: Record<string, Json>; violations: FieldViolation[] }> {
    const confirmed = { ...answers };
    const violations: FieldViolation[] = [];
    for (const prompt of row.currentPage?.prompts ?? []) {
      if (!isSearchedLookup(prompt)) continue;
      const given = referenceOf(answers[prompt.id]);
      const id = given.id.trim();
      // Empty, malformed or of another entity: the interpreter says what is wrong.
      if (id === '' || (given.entity !== undefined && given.entity !== prompt.response.entity)) continue;
      const outcome = await this.gateway.execute({
        message: 'Retrieve',
        entity: prompt.response.entity,
        recordId: id,
        target: {},
        parameters: {},
        idempotencyKey: '',
        depth: DIALOG_DEPTH,
        correlationId: row.correlationId,
        initiatingUserId: principal.subject,
      });
      if (outcome.ok && outcome.record) {
        confirmed[prompt.id] = { entity: prompt.response.entity, id, name: labelOf(outcome.record, prompt, id) };
      } else if (!outcome.ok && outcome.transient) {
        throw this.gatewayError(outcome, `read ${prompt.response.entity} ${id}`);
      } else {
        violations.push({
          field: `answers.${prompt.id}`,
          description: `no ${prompt.response.entity} record with id '${id}': search for it by name and choose it from the list`,
          code: 'ANSWER_INVALID',
        });
      }
    }
    return { answers: confirmed, violations };
  }

  private gatewayError(outcome: { transient: boolean; code: string; message: string }, what: string): FlowlineError {
    if (outcome.transient)
      return new FlowlineError(
        'UNAVAILABLE',
        Code.GatewayUnavailable,
        `the gateway could not ${what} (${outcome.code}: ${outcome.message}): try again`,
      );
    return invalidArgument(Code.InvalidRequest, `the gateway refused to ${what}: ${outcome.message}`, []);
  }
}
