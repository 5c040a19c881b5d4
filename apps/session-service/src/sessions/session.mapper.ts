/** The session views as flowline.session.v1 messages: typed values travel as JSON text. */
import type { Json } from '@flowline/process-runtime';
import { invalidArgument, type SessionProto } from '@flowline/rpc';
import type { PageView, SessionActionJson, SessionDetail, SessionJson, SessionView, SummaryItem } from './session-view';
import { SessionErrorCode as Code } from './session.errors';

const json = (value: Json | undefined): string => (value === undefined ? '' : JSON.stringify(value));

export function sessionToProto(session: SessionJson): SessionProto.Session {
  return {
    id: session.id,
    dialogId: session.dialog.id,
    dialogUniqueName: session.dialog.uniqueName,
    dialogName: session.dialog.name,
    dialogVersion: session.dialog.version,
    entity: session.entity,
    recordId: session.recordId,
    state: session.state,
    status: session.status,
    stateName: session.stateName,
    statusName: session.statusName,
    currentPageId: session.currentPageId ?? '',
    answersJson: JSON.stringify(session.answers),
    inputsJson: JSON.stringify(session.inputs),
    startedBy: session.startedBy,
    startedOn: session.startedOn,
    completedBy: session.completedBy ?? '',
    completedOn: session.completedOn ?? '',
    canceledBy: session.canceledBy ?? '',
    canceledOn: session.canceledOn ?? '',
    outcomeMessage: session.outcomeMessage ?? '',
    errorCode: session.errorCode ?? '',
    nextDialog: session.nextDialog ?? '',
    correlationId: session.correlationId,
    modifiedOn: session.modifiedOn,
    rowVersion: session.rowVersion,
  };
}

function pageToProto(page: PageView): SessionProto.Page {
  return {
    id: page.id,
    title: page.title,
    canGoBack: page.canGoBack,
    last: page.last,
    prompts: page.prompts.map((prompt) => ({
      id: prompt.id,
      text: prompt.text,
      responseType: prompt.response.type,
      required: prompt.response.required,
      display: prompt.response.display ?? '',
      options: (prompt.response.options ?? []).map((option) => ({ value: String(option.value), label: option.label })),
      defaultJson: json(prompt.response.default),
      answerJson: json(prompt.answer),
      lookupEntity: prompt.response.entity ?? '',
    })),
  };
}

const summaryToProto = (item: SummaryItem): SessionProto.SummaryItem => ({
  pageId: item.pageId,
  pageTitle: item.pageTitle,
  promptId: item.promptId,
  text: item.text,
  answerJson: json(item.answer),
  answerLabel: item.answerLabel,
});

export function viewToProto(view: SessionView): SessionProto.SessionView {
  return {
    session: sessionToProto(view.session),
    ...(view.page ? { page: pageToProto(view.page) } : {}),
    summary: view.summary.map(summaryToProto),
    replayed: view.replayed,
  };
}

const actionToProto = (action: SessionActionJson): SessionProto.SessionAction => ({
  sequence: action.sequence,
  kind: action.kind,
  stepId: action.stepId ?? '',
  entity: action.entity ?? '',
  recordId: action.recordId ?? '',
  detailJson: JSON.stringify(action.detail),
  performedBy: action.performedBy,
  performedOn: action.performedOn,
  pageToken: action.pageToken,
});

export function detailToProto(detail: SessionDetail): SessionProto.SessionDetail {
  const { actions, ...view } = detail;
  return { view: viewToProto(view), actions: actions.map(actionToProto) };
}

/** A JSON object field of a request; empty text is an empty object. */
export function parseJsonObject(text: string, field: string): Record<string, Json> {
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalidArgument(Code.InvalidRequest, `${field} is not JSON: ${(error as Error).message}`, [
      { field, description: 'expected a JSON object' },
    ]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(Code.InvalidRequest, `${field} must be a JSON object`, [{ field, description: 'expected a JSON object' }]);
  return value as Record<string, Json>;
}
