/** Dialogs: sessions with their status and action log, and a form that runs a dialog on a record. */
import { useState, type FormEvent, type ReactNode } from 'react';
import { call, can, query, type Caller } from './api';
import { Field, href, navigate, Pager, Problem, useLoad, when } from './common';

interface Session {
  id: string;
  dialog: { id: string; uniqueName: string; name: string; version: number };
  entity: string;
  recordId: string;
  state: number;
  stateName: string;
  status: number;
  statusName: string;
  startedBy: string;
  startedOn: string;
  completedOn: string | null;
  canceledOn: string | null;
  outcomeMessage: string | null;
  errorCode: string | null;
  correlationId: string;
}

interface Action {
  sequence: number;
  kind: string;
  stepId: string | null;
  entity: string | null;
  recordId: string | null;
  detail: Record<string, unknown>;
  performedBy: string;
  performedOn: string;
}

const SESSION_STATUSES: Record<number, string> = {
  1: 'Not started',
  2: 'In progress',
  3: 'Paused',
  4: 'Completed',
  5: 'Canceled',
  6: 'Failed',
};

/** `pageShown` as "Page shown". */
function plainWords(kind: string): string {
  const words = kind.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The dialog runner's address for a dialog on a record (the runner reads this tab's token). */
export function runnerUrl(dialog: string, entity: string, recordId: string): string {
  return `/dialogs/${encodeURIComponent(dialog)}/run?entity=${encodeURIComponent(entity)}&id=${encodeURIComponent(recordId)}`;
}

function RunDialog(): ReactNode {
  const { data } = useLoad(
    () =>
      call<{ definitions: Array<{ uniqueName: string; name: string; primaryEntity: string }> }>(
        'registry',
        'GET',
        '/api/v1/definitions?category=1&state=1&pageSize=200',
      ),
    [],
  );
  const [dialog, setDialog] = useState('');
  const [recordId, setRecordId] = useState('');
  const chosen = data?.definitions.find((definition) => definition.uniqueName === dialog);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (chosen) window.location.assign(runnerUrl(chosen.uniqueName, chosen.primaryEntity, recordId.trim()));
  };
  return (
    <form className="panel" aria-labelledby="run-title" onSubmit={submit}>
      <h2 id="run-title">Run a dialog on a record</h2>
      <div className="row">
        <div className="field">
          <label htmlFor="run-dialog">Dialog</label>
          <select id="run-dialog" value={dialog} onChange={(event) => setDialog(event.target.value)} required>
            <option value="">Choose…</option>
            {data?.definitions.map((definition) => (
              <option key={definition.uniqueName} value={definition.uniqueName}>
                {definition.name} ({definition.primaryEntity})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="run-record">{chosen ? `${chosen.primaryEntity} record id` : 'Record id'}</label>
          <input id="run-record" value={recordId} onChange={(event) => setRecordId(event.target.value)} required />
        </div>
        <button type="submit" disabled={!chosen}>
          Run the dialog
        </button>
      </div>
    </form>
  );
}

export function DialogsList({ params, caller }: { params: URLSearchParams; caller: Caller }): ReactNode {
  const status = params.get('status') ?? '';
  const dialog = params.get('dialog') ?? '';
  const recordId = params.get('recordId') ?? '';
  const [draft, setDraft] = useState({ status, dialog, recordId });
  const [tokens, setTokens] = useState<string[]>([]);
  const pageToken = tokens[tokens.length - 1] ?? '';
  const { data, error } = useLoad(
    () =>
      call<{ sessions: Session[]; page: { nextPageToken: string; totalCount: number } }>(
        'sessions',
        'GET',
        `/api/v1/sessions${query({ status, dialog, recordId, pageSize: 25, pageToken })}`,
      ),
    [status, dialog, recordId, pageToken],
    { everyMs: 10_000, live: true },
  );
  return (
    <section aria-labelledby="dialogs-title">
      <h1 id="dialogs-title">Dialogs</h1>
      <p>{can(caller, 'operate') ? 'Every dialog session, newest first.' : 'Your dialog sessions, newest first.'}</p>
      <RunDialog />
      <form
        className="filters"
        aria-label="Filter sessions"
        onSubmit={(event) => {
          event.preventDefault();
          setTokens([]);
          navigate(href(['dialogs'], draft));
        }}
      >
        <div className="field">
          <label htmlFor="s-status">Status</label>
          <select id="s-status" value={draft.status} onChange={(event) => setDraft({ ...draft, status: event.target.value })}>
            <option value="">Any</option>
            {Object.entries(SESSION_STATUSES).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="s-dialog">Dialog (unique name)</label>
          <input id="s-dialog" value={draft.dialog} onChange={(event) => setDraft({ ...draft, dialog: event.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="s-record">Record id</label>
          <input id="s-record" value={draft.recordId} onChange={(event) => setDraft({ ...draft, recordId: event.target.value })} />
        </div>
        <div className="actions">
          <button type="submit">Apply filters</button>
        </div>
      </form>
      <Problem error={error} />
      {data ? (
        data.sessions.length === 0 ? (
          <p>No sessions match.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Dialog sessions</caption>
              <thead>
                <tr>
                  <th scope="col">Dialog</th>
                  <th scope="col">Record</th>
                  <th scope="col">Status</th>
                  <th scope="col">Started by</th>
                  <th scope="col">Started</th>
                </tr>
              </thead>
              <tbody>
                {data.sessions.map((session) => (
                  <tr key={session.id}>
                    <td>
                      <a href={href(['dialogs', session.id])}>{session.dialog.name}</a>
                    </td>
                    <td>
                      {session.entity} <span className="mono">{session.recordId}</span>
                    </td>
                    <td>
                      <span
                        className={`badge ${session.status === 4 ? 'good' : session.status === 6 ? 'bad' : session.status === 5 ? 'muted' : 'wait'}`}
                      >
                        {session.stateName} · {session.statusName}
                      </span>
                    </td>
                    <td>{session.startedBy}</td>
                    <td>{when(session.startedOn)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      <Pager label="Pages of sessions" tokens={tokens} setTokens={setTokens} nextPageToken={data?.page.nextPageToken} />
    </section>
  );
}

export function SessionPage({ id }: { id: string }): ReactNode {
  const { data, error } = useLoad(() => call<{ session: Session; actions: Action[] }>('sessions', 'GET', `/api/v1/sessions/${id}`), [id], {
    everyMs: 5000,
    live: true,
  });
  if (!data) return error ? <Problem error={error} /> : <p>Loading…</p>;
  const { session, actions } = data;
  return (
    <article aria-labelledby="session-title">
      <p>
        <a href={href(['dialogs'])}>← Dialogs</a>
      </p>
      <h1 id="session-title">{session.dialog.name}</h1>
      <dl className="details">
        <Field label="Status">
          {session.stateName} · {session.statusName}
        </Field>
        <Field label="Record">
          {session.entity} <span className="mono">{session.recordId}</span>
        </Field>
        <Field label="Dialog version">{`${session.dialog.uniqueName}, version ${session.dialog.version}`}</Field>
        <Field label="Started">
          {when(session.startedOn)} by {session.startedBy}
        </Field>
        <Field label="Ended">{when(session.completedOn ?? session.canceledOn)}</Field>
        <Field label="Outcome">{session.outcomeMessage ?? session.errorCode ?? ''}</Field>
        <Field label="Correlation id">
          <span className="mono">{session.correlationId}</span>
        </Field>
      </dl>
      {session.state === 0 && session.status !== 5 && session.status !== 6 ? (
        <p>
          <a href={`${runnerUrl(session.dialog.uniqueName, session.entity, session.recordId)}&session=${encodeURIComponent(session.id)}`}>
            Continue this session in the dialog runner
          </a>
        </p>
      ) : null}
      <h2>Action log</h2>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">What happened in the session, in order</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">What</th>
              <th scope="col">Step</th>
              <th scope="col">Record</th>
              <th scope="col">By</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {actions.map((action) => (
              <tr key={action.sequence}>
                <td>{action.sequence}</td>
                <td>{plainWords(action.kind)}</td>
                <td className="mono">{action.stepId}</td>
                <td>
                  {action.entity} <span className="mono">{action.recordId}</span>
                </td>
                <td>{action.performedBy}</td>
                <td>{when(action.performedOn)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </article>
  );
}
