/**
 * What callers see of a session: the session itself, the page to answer, a summary of the
 * pages answered, and the log. One shape for REST (plain JSON) that the gRPC mapper turns
 * into the proto messages.
 */
import { ProcessSessionState, ProcessSessionStatus } from '@flowline/contracts';
import type { Json, PromptView } from '@flowline/process-runtime';
import type { ProcessSessionRow } from './process-session.entity';
import type { SessionActionKind, SessionActionRow } from './session-action.entity';

export interface PageView {
  id: string;
  title: string;
  prompts: PromptView[];
  canGoBack: boolean;
  /** No page can follow this one (its button reads Finish). */
  last: boolean;
}

export interface SummaryItem {
  pageId: string;
  pageTitle: string;
  promptId: string;
  text: string;
  answer: Json;
  /** The option's label, or the answer as text ('' when not answered). */
  answerLabel: string;
}

export interface SessionJson {
  id: string;
  dialog: { id: string; uniqueName: string; name: string; version: number };
  entity: string;
  recordId: string;
  state: number;
  stateName: string;
  status: number;
  statusName: string;
  currentPageId: string | null;
  answers: Record<string, Record<string, Json>>;
  inputs: Record<string, Json>;
  startedBy: string;
  startedOn: string;
  completedBy: string | null;
  completedOn: string | null;
  canceledBy: string | null;
  canceledOn: string | null;
  outcomeMessage: string | null;
  errorCode: string | null;
  nextDialog: string | null;
  correlationId: string;
  modifiedOn: string;
  /** Also the page token: answer the page shown with it. */
  rowVersion: number;
}

export interface SessionView {
  session: SessionJson;
  page: PageView | null;
  summary: SummaryItem[];
  /** The answer to a repeated request: nothing was done again. */
  replayed: boolean;
}

export interface SessionActionJson {
  sequence: number;
  kind: SessionActionKind;
  stepId: string | null;
  entity: string | null;
  recordId: string | null;
  detail: Record<string, Json>;
  performedBy: string;
  performedOn: string;
  pageToken: number;
}

export interface SessionDetail extends SessionView {
  actions: SessionActionJson[];
}

export const STATE_NAMES: Record<number, string> = {
  [ProcessSessionState.Incomplete]: 'Incomplete',
  [ProcessSessionState.Complete]: 'Complete',
};

export const STATUS_NAMES: Record<number, string> = {
  [ProcessSessionStatus.NotStarted]: 'Not Started',
  [ProcessSessionStatus.InProgress]: 'In Progress',
  [ProcessSessionStatus.Paused]: 'Paused',
  [ProcessSessionStatus.Completed]: 'Completed',
  [ProcessSessionStatus.Canceled]: 'Canceled',
  [ProcessSessionStatus.Failed]: 'Failed',
};

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function sessionJson(row: ProcessSessionRow): SessionJson {
  return {
    id: row.id,
    dialog: { id: row.dialogId, uniqueName: row.dialogUniqueName, name: row.dialogName, version: row.dialogVersion },
    entity: row.entity,
    recordId: row.recordId,
    state: row.state,
    stateName: STATE_NAMES[row.state] ?? String(row.state),
    status: row.status,
    statusName: STATUS_NAMES[row.status] ?? String(row.status),
    currentPageId: row.currentPageId,
    answers: row.answers,
    inputs: row.inputs,
    startedBy: row.startedBy,
    startedOn: row.startedOn.toISOString(),
    completedBy: row.completedBy,
    completedOn: iso(row.completedOn),
    canceledBy: row.canceledBy,
    canceledOn: iso(row.canceledOn),
    outcomeMessage: row.outcomeMessage,
    errorCode: row.errorCode,
    nextDialog: row.nextDialog,
    correlationId: row.correlationId,
    modifiedOn: row.modifiedOn.toISOString(),
    rowVersion: row.rowVersion,
  };
}

function label(prompt: PromptView, answer: Json | undefined): string {
  if (answer === undefined || answer === null) return '';
  // A record chosen from a query's records is stored as a reference; its option is by id.
  const value = typeof answer === 'object' && !Array.isArray(answer) && typeof answer['id'] === 'string' ? answer['id'] : answer;
  const option = prompt.response.options?.find((candidate) => String(candidate.value) === String(value));
  if (option) return option.label;
  // A record the person searched for carries the name the gateway gave it.
  if (answer !== null && typeof answer === 'object' && !Array.isArray(answer) && typeof answer['name'] === 'string') return answer['name'];
  return typeof answer === 'object' ? JSON.stringify(answer) : String(answer);
}

/** The pages answered on the way to where the session is, in order, with their questions and answers. */
export function summaryOf(row: ProcessSessionRow): SummaryItem[] {
  const answered = row.interpreterState.history.map((entry) => entry.pageId);
  return answered.flatMap((pageId) => {
    const page = row.pagesShown[pageId];
    if (!page) return [];
    return page.prompts
      .filter((prompt) => prompt.response.type !== 'none')
      .map((prompt) => {
        const answer = row.answers[pageId]?.[prompt.id] ?? null;
        return { pageId, pageTitle: page.title, promptId: prompt.id, text: prompt.text, answer, answerLabel: label(prompt, answer) };
      });
  });
}

export function sessionView(row: ProcessSessionRow, replayed = false): SessionView {
  return { session: sessionJson(row), page: row.currentPage, summary: summaryOf(row), replayed };
}

export function actionJson(row: SessionActionRow): SessionActionJson {
  return {
    sequence: row.sequence,
    kind: row.kind,
    stepId: row.stepId,
    entity: row.entity,
    recordId: row.recordId,
    detail: row.detail,
    performedBy: row.performedBy,
    performedOn: row.performedOn.toISOString(),
    pageToken: row.pageToken,
  };
}
