/** Dead letters: the searchable list with reasons; a letter's page to inspect, edit and replay, or discard. */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { call, can, query, type Caller } from './api';
import { Field, href, navigate, Note, Pager, Problem, useLoad, when } from './common';

interface DeadLetter {
  id: string;
  status: 'pending' | 'replayed' | 'discarded';
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
  key: string | null;
  headers: Record<string, string>;
  value: string | null;
  valueEncoding: 'utf8' | 'base64';
  valueJson: unknown;
  reason: string;
  reasonCode: string;
  consumerGroup: string;
  attempts: number;
  failedAt: string;
  receivedAt: string;
  edited: { value: string | null; valueJson: unknown; headers: Record<string, string> | null } | null;
  replay: { count: number; at: string | null; partition: number | null; offset: string | null } | null;
  audit?: Array<{ action: string; actor: string; at: string; details: Record<string, unknown> }>;
}

const FILTERS = ['status', 'topic', 'reasonCode', 'key', 'text'] as const;

export function DeadLettersList({ params }: { params: URLSearchParams }): ReactNode {
  const filters = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const [draft, setDraft] = useState(filters);
  const [tokens, setTokens] = useState<string[]>([]);
  const key = params.toString();
  useEffect(() => {
    setDraft(filters);
    setTokens([]);
    // The filters are the address's: reset the form and the pages when it changes.
  }, [key]);
  const pageToken = tokens[tokens.length - 1] ?? '';
  const { data, error } = useLoad(
    () =>
      call<{ deadLetters: DeadLetter[]; page: { nextPageToken: string; totalCount: number } }>(
        'executor',
        'GET',
        `/api/v1/dead-letters${query({ ...filters, pageSize: 25, pageToken })}`,
      ),
    [key, pageToken],
    { everyMs: 10_000, live: true },
  );
  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate(href(['dead-letters'], draft));
  };
  return (
    <section aria-labelledby="dl-title">
      <h1 id="dl-title">Dead letters</h1>
      <p>Messages a service could not process, kept with the reason. Inspect one to edit and replay it, or discard it.</p>
      <form className="filters" aria-label="Filter dead letters" onSubmit={apply}>
        <div className="field">
          <label htmlFor="dl-status">Status</label>
          <select id="dl-status" value={draft.status} onChange={(event) => setDraft({ ...draft, status: event.target.value })}>
            <option value="">Any</option>
            <option value="pending">Pending</option>
            <option value="replayed">Replayed</option>
            <option value="discarded">Discarded</option>
          </select>
        </div>
        {(
          [
            ['text', 'Text'],
            ['topic', 'Topic'],
            ['reasonCode', 'Reason code'],
            ['key', 'Key'],
          ] as const
        ).map(([name, label]) => (
          <div className="field" key={name}>
            <label htmlFor={`dl-${name}`}>{label}</label>
            <input id={`dl-${name}`} value={draft[name]} onChange={(event) => setDraft({ ...draft, [name]: event.target.value })} />
          </div>
        ))}
        <div className="actions">
          <button type="submit">Apply filters</button>
        </div>
      </form>
      <Problem error={error} />
      {data ? (
        data.deadLetters.length === 0 ? (
          <p>No dead letters match.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Dead letters, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Failed</th>
                  <th scope="col">Topic</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Key</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {data.deadLetters.map((letter) => (
                  <tr key={letter.id}>
                    <td>
                      <a href={href(['dead-letters', letter.id])}>{when(letter.failedAt)}</a>
                    </td>
                    <td className="mono">{letter.originalTopic}</td>
                    <td>
                      <span className="badge bad">{letter.reasonCode}</span> {letter.reason}
                    </td>
                    <td className="mono">{letter.key}</td>
                    <td>
                      <span className={`badge ${letter.status === 'pending' ? 'wait' : 'muted'}`}>{letter.status}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      <Pager label="Pages of dead letters" tokens={tokens} setTokens={setTokens} nextPageToken={data?.page.nextPageToken} />
    </section>
  );
}

function valueText(letter: DeadLetter): string {
  const json = letter.edited ? letter.edited.valueJson : letter.valueJson;
  const raw = letter.edited ? letter.edited.value : letter.value;
  if (json !== null && json !== undefined) return JSON.stringify(json, null, 2);
  return raw ?? '';
}

export function DeadLetterPage({ id, caller }: { id: string; caller: Caller }): ReactNode {
  const { data, error, reload } = useLoad(() => call<DeadLetter>('executor', 'GET', `/api/v1/dead-letters/${id}`), [id]);
  const [text, setText] = useState('');
  const [outcome, setOutcome] = useState<string>();
  const [refusal, setRefusal] = useState<unknown>();
  const [force, setForce] = useState(false);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  useEffect(() => {
    if (data) setText(valueText(data));
  }, [data]);
  if (!data) return error ? <Problem error={error} /> : <p>Loading…</p>;
  const letter = data;
  const run = async (what: string, method: string, path: string, body?: unknown) => {
    setOutcome(undefined);
    setRefusal(undefined);
    try {
      await call<DeadLetter>('executor', method, path, body);
      setOutcome(what);
      reload();
    } catch (failure) {
      setRefusal(failure);
    }
  };
  const save = () => {
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: kept as text.
    }
    return run('Saved: the edited value is what a replay sends.', 'PATCH', `/api/v1/dead-letters/${id}`, { value });
  };
  const mayAct = can(caller, 'operate');
  return (
    <article aria-labelledby="letter-title">
      <p>
        <a href={href(['dead-letters'])}>← Dead letters</a>
      </p>
      <h1 id="letter-title">
        Dead letter from <span className="mono">{letter.originalTopic}</span>
      </h1>
      <dl className="details">
        <Field label="Status">
          <span className={`badge ${letter.status === 'pending' ? 'wait' : 'muted'}`}>{letter.status}</span>
        </Field>
        <Field label="Reason">
          <span className="badge bad">{letter.reasonCode}</span> {letter.reason}
        </Field>
        <Field label="Failed">{when(letter.failedAt)}</Field>
        <Field label="Consumer group">{letter.consumerGroup}</Field>
        <Field label="Attempts">{String(letter.attempts)}</Field>
        <Field label="Where it came from">
          partition {letter.originalPartition}, offset {letter.originalOffset}
        </Field>
        <Field label="Key">{letter.key ? <span className="mono">{letter.key}</span> : ''}</Field>
        <Field label="Replays">{letter.replay ? `${letter.replay.count}, last ${when(letter.replay.at)}` : ''}</Field>
      </dl>
      <h2>Headers</h2>
      <pre className="code">{JSON.stringify(letter.edited?.headers ?? letter.headers, null, 2)}</pre>
      <h2>{letter.edited ? 'Value (edited)' : 'Value'}</h2>
      {mayAct ? (
        <>
          <label htmlFor="letter-value">Value to replay (JSON, or text)</label>
          <textarea
            id="letter-value"
            className="source-edit"
            rows={14}
            value={text}
            spellCheck={false}
            onChange={(event) => setText(event.target.value)}
          />
          <div className="row">
            <button type="button" className="secondary" onClick={() => void save()}>
              Save edit
            </button>
            <label className="inline">
              <input type="checkbox" checked={force} onChange={(event) => setForce(event.target.checked)} /> Replay even if replayed or
              discarded before
            </label>
            <button
              type="button"
              onClick={() =>
                void run(
                  'Replayed: the message was written to its topic again.',
                  'POST',
                  `/api/v1/dead-letters/${id}/replay`,
                  force ? { force: true } : {},
                )
              }
            >
              Replay
            </button>
            {confirmDiscard ? (
              <span role="group" aria-label="Confirm discard">
                Discard this letter? It is kept for the record but not replayed.{' '}
                <button
                  type="button"
                  className="danger"
                  onClick={() => {
                    setConfirmDiscard(false);
                    void run('Discarded.', 'POST', `/api/v1/dead-letters/${id}/discard`);
                  }}
                >
                  Yes, discard
                </button>{' '}
                <button type="button" className="secondary" onClick={() => setConfirmDiscard(false)}>
                  Keep it
                </button>
              </span>
            ) : (
              <button type="button" className="danger" onClick={() => setConfirmDiscard(true)}>
                Discard
              </button>
            )}
          </div>
        </>
      ) : (
        <pre className="code">{text}</pre>
      )}
      {outcome ? <Note kind="success">{outcome}</Note> : null}
      <Problem error={refusal} title="Refused" />
      <h2>History</h2>
      <ol>
        {(letter.audit ?? []).map((entry, index) => (
          <li key={index}>
            {when(entry.at)}: <strong>{entry.action}</strong> by {entry.actor}
          </li>
        ))}
      </ol>
    </article>
  );
}
