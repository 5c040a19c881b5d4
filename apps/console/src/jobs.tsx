/** System jobs: the filtered, sorted, paged and live list; a job's page with its step timeline and actions; bulk actions. */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { call, can, query, type Caller } from './api';
import {
  duration,
  Field,
  formatMs,
  href,
  isoToLocal,
  localToIso,
  navigate,
  Note,
  Pager,
  Problem,
  STATES,
  StatusBadge,
  STATUSES,
  useLoad,
  when,
} from './common';

export interface Operation {
  id: string;
  name: string;
  operationType: number;
  state: number;
  status: number;
  stateName: string;
  statusName: string;
  definitionId: string;
  definitionVersion: number;
  stepRegistrationId: string;
  correlationId: string;
  depth: number;
  primaryEntity: string;
  regardingId: string;
  owner: string;
  postponeUntil: string;
  retryCount: number;
  errorCode: string;
  friendlyMessage: string;
  currentStage: string;
  host: string;
  createdOn: string;
  startedOn: string;
  completedOn: string;
  executionTimeMs: number;
  nextAttemptAt: string;
  lastError: string;
  unavailableSince: string;
  unavailableAttempts: number;
  parentOperationId: string;
  traceId?: string;
  inputs?: Record<string, unknown>;
  inputParameters?: Record<string, unknown>;
}

interface StepEntry {
  attempt: number;
  stepId: string;
  path: string;
  stepType: string;
  status: number;
  message: string;
  startedOn: string;
  loggedOn: string;
}

interface Related {
  id: string;
  name: string;
  state: number;
  status: number;
  createdOn?: string;
}

interface OperationsPage {
  operations: Operation[];
  page: { nextPageToken: string; totalCount: number };
  totalCountCapped?: boolean;
  estimatedTotalCount?: number;
}

const OPERATION_TYPES: Record<number, string> = { 1: 'System event', 10: 'Workflow', 13: 'Bulk action', 54: 'Execute async request' };
const STEP_STATUSES: Record<number, string> = { 1: 'In progress', 2: 'Succeeded', 3: 'Failed', 4: 'Canceled', 5: 'Waiting' };
const FILTERS = [
  'state',
  'status',
  'definitionId',
  'name',
  'entity',
  'recordId',
  'correlationId',
  'createdAfter',
  'createdBefore',
  'text',
] as const;
type FilterName = (typeof FILTERS)[number];
const SORTS: Record<string, string> = {
  '-createdOn': 'Newest first',
  createdOn: 'Oldest first',
  '-completedOn': 'Completed, latest first',
  completedOn: 'Completed, earliest first',
  name: 'Name A to Z',
  '-name': 'Name Z to A',
};
const POLL_MS = 5000;

function filtersOf(params: URLSearchParams): Record<FilterName, string> {
  return Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ''])) as Record<FilterName, string>;
}

/** The filter as the bulk action endpoint takes it: the list's names and values. */
function bulkFilterOf(filters: Record<FilterName, string>): Record<string, string> {
  const filter: Record<string, string> = {};
  for (const name of FILTERS) if (filters[name]) filter[name] = filters[name];
  return filter;
}

export function JobsList({ params, caller }: { params: URLSearchParams; caller: Caller }): ReactNode {
  const filters = filtersOf(params);
  const sort = params.get('sort') ?? '-createdOn';
  const pageSize = Number(params.get('pageSize') ?? '') || 25;
  const [tokens, setTokens] = useState<string[]>([]); // the page tokens used to get here (page 1 has none)
  const [live, setLive] = useState(true);
  const key = params.toString();
  useEffect(() => setTokens([]), [key]);
  const pageToken = tokens[tokens.length - 1] ?? '';
  const { data, error, loading, loadedAt, reload } = useLoad(
    () => call<OperationsPage>('executor', 'GET', `/api/v1/operations${query({ ...filters, sort, pageSize, pageToken })}`),
    [key, pageToken],
    { everyMs: POLL_MS, live },
  );
  const total = data
    ? data.totalCountCapped
      ? `more than ${data.page.totalCount.toLocaleString()}${data.estimatedTotalCount ? ` (about ${data.estimatedTotalCount.toLocaleString()})` : ''}`
      : data.page.totalCount.toLocaleString()
    : '';
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">System jobs</h1>
      <JobFilters filters={filters} sort={sort} pageSize={params.get('pageSize') ?? ''} />
      <div className="toolbar">
        <label className="inline">
          <input type="checkbox" checked={live} onChange={(event) => setLive(event.target.checked)} /> Live updates (every {POLL_MS / 1000}{' '}
          s)
        </label>
        <span className="muted" aria-live="polite">
          {loading && !data ? 'Loading…' : data ? `${total} matching · updated ${loadedAt?.toLocaleTimeString() ?? ''}` : ''}
        </span>
      </div>
      <Problem error={error} />
      {data ? (
        data.operations.length === 0 ? (
          <p>No system jobs match.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">System jobs, {SORTS[sort] ?? sort}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">State and status</th>
                  <th scope="col">Record</th>
                  <th scope="col">Created</th>
                  <th scope="col">Retries</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {data.operations.map((operation) => (
                  <tr key={operation.id}>
                    <td>
                      <a href={href(['jobs', operation.id])}>{operation.name || operation.id}</a>
                    </td>
                    <td>
                      <StatusBadge state={operation.state} status={operation.status} />
                    </td>
                    <td>
                      {operation.primaryEntity} <span className="mono">{operation.regardingId}</span>
                    </td>
                    <td>{when(operation.createdOn)}</td>
                    <td>{operation.retryCount || ''}</td>
                    <td className="error-text">{operation.friendlyMessage || operation.errorCode}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      <Pager label="Pages of system jobs" tokens={tokens} setTokens={setTokens} nextPageToken={data?.page.nextPageToken} first />
      {can(caller, 'operate') ? <BulkPanel filters={filters} caller={caller} onDone={reload} /> : null}
    </section>
  );
}

function JobFilters({ filters, sort, pageSize }: { filters: Record<FilterName, string>; sort: string; pageSize: string }): ReactNode {
  const [draft, setDraft] = useState(filters);
  const [draftSort, setDraftSort] = useState(sort);
  const key = JSON.stringify(filters) + sort;
  useEffect(() => {
    setDraft(filters);
    setDraftSort(sort);
  }, [key]);
  const states = draft.state ? draft.state.split(',') : [];
  const set = (name: FilterName, value: string) => setDraft({ ...draft, [name]: value });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate(href(['jobs'], { ...draft, sort: draftSort === '-createdOn' ? '' : draftSort, pageSize }));
  };
  const text = (name: FilterName, label: string, placeholder = '') => (
    <div className="field">
      <label htmlFor={`filter-${name}`}>{label}</label>
      <input id={`filter-${name}`} value={draft[name]} placeholder={placeholder} onChange={(event) => set(name, event.target.value)} />
    </div>
  );
  return (
    <form className="filters" onSubmit={apply} aria-label="Filter system jobs">
      <fieldset className="field states">
        <legend>State</legend>
        {Object.entries(STATES).map(([value, label]) => (
          <label key={value} className="inline">
            <input
              type="checkbox"
              checked={states.includes(value)}
              onChange={(event) =>
                set('state', (event.target.checked ? [...states, value] : states.filter((state) => state !== value)).sort().join(','))
              }
            />{' '}
            {label}
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="filter-status">Status reason</label>
        <select id="filter-status" value={draft.status} onChange={(event) => set('status', event.target.value)}>
          <option value="">Any</option>
          {Object.entries(STATUSES).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      {text('text', 'Text', 'name, error code or message')}
      {text('name', 'Name (exact)')}
      {text('definitionId', 'Definition id')}
      {text('entity', 'Entity', 'account')}
      {text('recordId', 'Record id')}
      {text('correlationId', 'Correlation id')}
      <div className="field">
        <label htmlFor="filter-createdAfter">Created from</label>
        <input
          id="filter-createdAfter"
          type="datetime-local"
          value={isoToLocal(draft.createdAfter)}
          onChange={(event) => set('createdAfter', localToIso(event.target.value))}
        />
      </div>
      <div className="field">
        <label htmlFor="filter-createdBefore">Created before</label>
        <input
          id="filter-createdBefore"
          type="datetime-local"
          value={isoToLocal(draft.createdBefore)}
          onChange={(event) => set('createdBefore', localToIso(event.target.value))}
        />
      </div>
      <div className="field">
        <label htmlFor="sort">Sort</label>
        <select id="sort" value={draftSort} onChange={(event) => setDraftSort(event.target.value)}>
          {Object.entries(SORTS).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div className="actions">
        <button type="submit">Apply filters</button>
        <button type="button" className="secondary" onClick={() => navigate(href(['jobs']))}>
          Clear
        </button>
      </div>
    </form>
  );
}

interface BulkAction {
  operation: Operation;
  action: string;
  progress: { done: number; total: number; applied: number; refused: number };
  refusals: Array<{ operationId: string; position: number; message: string | null }>;
}
interface DryRun {
  dryRun: true;
  matching: number;
  byState: Record<string, number>;
}

const BULK_ACTIONS = ['cancel', 'pause', 'resume', 'postpone', 'retry', 'delete'];

function BulkPanel({ filters, caller, onDone }: { filters: Record<FilterName, string>; caller: Caller; onDone: () => void }): ReactNode {
  const [action, setAction] = useState('cancel');
  const [until, setUntil] = useState('');
  const [count, setCount] = useState<DryRun>();
  const [bulkId, setBulkId] = useState<string>();
  const [error, setError] = useState<unknown>();
  const filter = bulkFilterOf(filters);
  const filterKey = JSON.stringify(filter);
  useEffect(() => {
    setCount(undefined);
    setError(undefined);
  }, [filterKey, action]);
  const body = () => ({ action, filter, ...(action === 'postpone' && until ? { until: localToIso(until) } : {}) });
  const countThem = async () => {
    setError(undefined);
    try {
      setCount(await call<DryRun>('executor', 'POST', '/api/v1/operations/bulk', { ...body(), dryRun: true }));
    } catch (failure) {
      setError(failure);
    }
  };
  const start = async () => {
    setError(undefined);
    try {
      const started = await call<BulkAction>('executor', 'POST', '/api/v1/operations/bulk', body());
      setBulkId(started.operation.id);
      setCount(undefined);
    } catch (failure) {
      setError(failure);
    }
  };
  const actions = BULK_ACTIONS.filter((candidate) => candidate !== 'delete' || can(caller, 'admin'));
  const described = Object.keys(filter).length ? 'every system job matching the filters above' : 'every system job (no filter is set)';
  return (
    <section className="panel" aria-labelledby="bulk-title">
      <h2 id="bulk-title">Act on all matching jobs</h2>
      <p>Applies one action to {described}. Count them first; the action runs in the background as a bulk action job.</p>
      <div className="row">
        <div className="field">
          <label htmlFor="bulk-action">Action</label>
          <select id="bulk-action" value={action} onChange={(event) => setAction(event.target.value)}>
            {actions.map((name) => (
              <option key={name} value={name}>
                {name[0]!.toUpperCase() + name.slice(1)}
              </option>
            ))}
          </select>
        </div>
        {action === 'postpone' ? (
          <div className="field">
            <label htmlFor="bulk-until">Not before</label>
            <input id="bulk-until" type="datetime-local" value={until} onChange={(event) => setUntil(event.target.value)} />
          </div>
        ) : null}
        <button type="button" className="secondary" onClick={() => void countThem()}>
          Count matching jobs
        </button>
      </div>
      {count ? (
        <div className="confirm" role="group" aria-label="Confirm the bulk action">
          <p>
            <strong>{count.matching.toLocaleString()}</strong> job(s) match now
            {Object.keys(count.byState).length
              ? ` (${Object.entries(count.byState)
                  .map(([state, n]) => `${n} ${STATES[Number(state)] ?? state}`)
                  .join(', ')})`
              : ''}
            . Jobs whose state does not allow it are left as they are and listed as refused.
          </p>
          <button type="button" className="danger" disabled={count.matching === 0} onClick={() => void start()}>
            {`${action[0]!.toUpperCase()}${action.slice(1)} ${count.matching.toLocaleString()} job(s)`}
          </button>{' '}
          <button type="button" className="secondary" onClick={() => setCount(undefined)}>
            Do nothing
          </button>
        </div>
      ) : null}
      <Problem error={error} />
      {bulkId ? <BulkProgress id={bulkId} onDone={onDone} /> : null}
    </section>
  );
}

function BulkProgress({ id, onDone }: { id: string; onDone: () => void }): ReactNode {
  const [done, setDone] = useState(false);
  const { data, error } = useLoad(() => call<BulkAction>('executor', 'GET', `/api/v1/operations/bulk/${id}`), [id], {
    everyMs: 1000,
    live: !done,
  });
  useEffect(() => {
    if (data && data.operation.state === 3 && !done) {
      setDone(true);
      onDone();
    }
  }, [data, done, onDone]);
  if (!data) return <Problem error={error} />;
  const { progress } = data;
  return (
    <div className="bulk-progress">
      <h3>
        Bulk {data.action}: <StatusBadge state={data.operation.state} status={data.operation.status} />
      </h3>
      <label htmlFor="bulk-bar">Progress</label>{' '}
      <progress id="bulk-bar" max={progress.total || 1} value={progress.done}>
        {progress.done} of {progress.total}
      </progress>
      <p aria-live="polite">
        {progress.done} of {progress.total} done: {progress.applied} applied, {progress.refused} refused.{' '}
        <a href={href(['jobs', data.operation.id])}>Open the bulk action job</a>
      </p>
      {data.refusals.length ? (
        <details>
          <summary>Refused ({data.refusals.length})</summary>
          <ul>
            {data.refusals.map((refusal) => (
              <li key={refusal.operationId}>
                <a href={href(['jobs', refusal.operationId])}>{refusal.operationId}</a>: {refusal.message}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}

interface OperationDetail {
  operation: Operation;
  steps: StepEntry[];
  parent?: Related;
  children?: Related[];
  traceId?: string;
  /** JSON text: the run's step outputs by step id. */
  outputs?: string;
  input?: string;
}

/** What a state allows (as the executor's transitions say); anything else is refused there anyway. */
function allowedActions(operation: Operation): string[] {
  switch (operation.state) {
    case 0:
      return ['cancel', 'postpone'];
    case 1:
      return ['resume', 'cancel', 'postpone'];
    case 2:
      return operation.status === 20 ? ['pause', 'cancel'] : ['cancel'];
    case 3:
      return operation.status === 31 ? ['retry'] : [];
    default:
      return [];
  }
}

export function JobPage({ id, caller }: { id: string; caller: Caller }): ReactNode {
  const { data, error, reload } = useLoad(() => call<OperationDetail>('executor', 'GET', `/api/v1/operations/${id}`), [id], {
    everyMs: POLL_MS,
    live: true,
  });
  const [outcome, setOutcome] = useState<string>();
  const [refusal, setRefusal] = useState<unknown>();
  const [until, setUntil] = useState('');
  if (!data) return error ? <Problem error={error} /> : <p>Loading…</p>;
  const { operation, steps } = data;
  const act = async (verb: string) => {
    setOutcome(undefined);
    setRefusal(undefined);
    try {
      const body = verb === 'postpone' ? { until: localToIso(until) || until } : undefined;
      const after = await call<Operation & { childrenCanceled?: number }>('executor', 'POST', `/api/v1/operations/${id}/${verb}`, body);
      setOutcome(
        `${verb[0]!.toUpperCase()}${verb.slice(1)}: the job is now ${after.stateName} (${after.statusName})` +
          (after.childrenCanceled ? `, and ${after.childrenCanceled} child job(s) were canceled with it` : '') +
          '.',
      );
      reload();
    } catch (failure) {
      setRefusal(failure);
      reload();
    }
  };
  // What it was started with: the workflow's inputs, and the event that triggered it.
  let started: { inputs?: Record<string, unknown>; message?: string; changedAttributes?: string[]; postImage?: unknown } = {};
  try {
    started = data.input ? (JSON.parse(data.input) as typeof started) : {};
  } catch {
    started = {};
  }
  const inputs = started.inputs ?? operation.inputs ?? operation.inputParameters;
  const trigger = started.message ? started : undefined;
  const traceId = data.traceId || operation.traceId;
  let outputs: unknown = undefined;
  try {
    outputs = data.outputs ? JSON.parse(data.outputs) : undefined;
  } catch {
    outputs = data.outputs;
  }
  const hasOutputs = outputs !== undefined && !(typeof outputs === 'object' && outputs !== null && Object.keys(outputs).length === 0);
  const actions = can(caller, 'operate') ? allowedActions(operation) : [];
  return (
    <article aria-labelledby="job-title">
      <p>
        <a href={href(['jobs'])}>← System jobs</a>
      </p>
      <h1 id="job-title">{operation.name || 'System job'}</h1>
      <p>
        <StatusBadge state={operation.state} status={operation.status} />
      </p>
      <section className="panel" aria-labelledby="actions-title">
        <h2 id="actions-title">Actions</h2>
        {actions.length === 0 ? (
          <p>Nothing can be done with a job that is {operation.statusName.toLowerCase() || 'in this state'}.</p>
        ) : null}
        <div className="row">
          {actions.includes('postpone') ? (
            <div className="field">
              <label htmlFor="postpone-until">Postpone until</label>
              <input id="postpone-until" type="datetime-local" value={until} onChange={(event) => setUntil(event.target.value)} />
            </div>
          ) : null}
          {actions.map((verb) => (
            <button key={verb} type="button" className={verb === 'cancel' ? 'danger' : ''} onClick={() => void act(verb)}>
              {verb[0]!.toUpperCase() + verb.slice(1)}
            </button>
          ))}
        </div>
        {outcome ? <Note kind="success">{outcome}</Note> : null}
        <Problem error={refusal} title="Refused" />
      </section>
      <dl className="details">
        <Field label="Id">
          <span className="mono">{operation.id}</span>
        </Field>
        <Field label="Type">{OPERATION_TYPES[operation.operationType] ?? operation.operationType}</Field>
        <Field label="Record">
          {operation.primaryEntity ? (
            <a href={href(['jobs'], { entity: operation.primaryEntity, recordId: operation.regardingId })}>
              {operation.primaryEntity} {operation.regardingId}
            </a>
          ) : (
            ''
          )}
        </Field>
        <Field label="Definition">
          {operation.definitionId ? (
            <>
              <a href={href(['definitions', operation.definitionId])}>{operation.definitionId}</a>, version {operation.definitionVersion}
            </>
          ) : (
            ''
          )}
        </Field>
        <Field label="Correlation id">
          {operation.correlationId ? (
            <a href={href(['jobs'], { correlationId: operation.correlationId })} className="mono">
              {operation.correlationId}
            </a>
          ) : (
            ''
          )}
        </Field>
        <Field label="Trace id">{traceId ? <span className="mono">{traceId}</span> : ''}</Field>
        <Field label="Created">{when(operation.createdOn)}</Field>
        <Field label="Started">{when(operation.startedOn)}</Field>
        <Field label="Completed">{when(operation.completedOn)}</Field>
        <Field label="Run time">{operation.executionTimeMs ? `${operation.executionTimeMs} ms` : ''}</Field>
        <Field label="Retries">{String(operation.retryCount)}</Field>
        <Field label="Postponed until">
          {operation.postponeUntil.startsWith('9999') ? 'until an event, a timer or a child job wakes it' : when(operation.postponeUntil)}
        </Field>
        <Field label="Next attempt">{when(operation.nextAttemptAt)}</Field>
        <Field label="Waiting for a dependency since">
          {operation.unavailableSince ? `${when(operation.unavailableSince)} (${operation.unavailableAttempts} attempt(s))` : ''}
        </Field>
        <Field label="Error">
          {operation.errorCode || operation.friendlyMessage ? (
            <span className="error-text">
              {operation.errorCode} {operation.friendlyMessage}
            </span>
          ) : (
            ''
          )}
        </Field>
        <Field label="Last error">{operation.lastError}</Field>
        <Field label="Host">{operation.host}</Field>
        <Field label="Depth">{String(operation.depth)}</Field>
        <Field label="Parent job">
          {data.parent ? (
            <a href={href(['jobs', data.parent.id])}>
              {data.parent.name} ({STATUSES[data.parent.status] ?? data.parent.status})
            </a>
          ) : operation.parentOperationId ? (
            <a href={href(['jobs', operation.parentOperationId])}>{operation.parentOperationId}</a>
          ) : (
            ''
          )}
        </Field>
      </dl>
      {inputs && Object.keys(inputs).length > 0 ? (
        <section aria-labelledby="inputs-title">
          <h2 id="inputs-title">Inputs</h2>
          <pre className="code">{JSON.stringify(inputs, null, 2)}</pre>
        </section>
      ) : null}
      {trigger ? (
        <section aria-labelledby="trigger-title">
          <h2 id="trigger-title">Triggering event</h2>
          <p>
            {trigger.message}
            {trigger.changedAttributes && trigger.changedAttributes.length > 0 ? `, changing ${trigger.changedAttributes.join(', ')}` : ''}
          </p>
          {trigger.postImage ? (
            <details>
              <summary>The record as the event left it</summary>
              <pre className="code">{JSON.stringify(trigger.postImage, null, 2)}</pre>
            </details>
          ) : null}
        </section>
      ) : null}
      {traceId ? <TraceTimeline traceId={traceId} /> : null}
      {hasOutputs ? (
        <section aria-labelledby="outputs-title">
          <h2 id="outputs-title">Step outputs</h2>
          <pre className="code">{typeof outputs === 'string' ? outputs : JSON.stringify(outputs, null, 2)}</pre>
        </section>
      ) : null}
      <section aria-labelledby="children-title">
        <h2 id="children-title">Child jobs</h2>
        {data.children === undefined ? (
          <p className="muted">This executor does not list child jobs.</p>
        ) : data.children.length === 0 ? (
          <p>None.</p>
        ) : (
          <ul>
            {data.children.map((child) => (
              <li key={child.id}>
                <a href={href(['jobs', child.id])}>{child.name}</a> <StatusBadge state={child.state} status={child.status} />
              </li>
            ))}
          </ul>
        )}
      </section>
      <StepTimeline steps={steps} />
    </article>
  );
}

function StepTimeline({ steps }: { steps: StepEntry[] }): ReactNode {
  const attempts = [...new Set(steps.map((step) => step.attempt))];
  return (
    <section aria-labelledby="steps-title">
      <h2 id="steps-title">Step log</h2>
      {steps.length === 0 ? <p>No step has run yet.</p> : null}
      {attempts.map((attempt) => (
        <div key={attempt} className="attempt">
          <h3>{attempt <= 1 ? (attempt === 0 ? 'Steps' : 'Attempt 1') : `Attempt ${attempt} (retry ${attempt - 1})`}</h3>
          <ol className="timeline">
            {steps
              .filter((step) => step.attempt === attempt)
              .map((step, index) => (
                <li key={index} className={`step s${step.status}`}>
                  <span className="step-name">
                    {step.stepId} <span className="muted">({step.stepType})</span>
                  </span>
                  <span className={`badge ${step.status === 3 ? 'bad' : step.status === 2 ? 'good' : 'wait'}`}>
                    {STEP_STATUSES[step.status] ?? step.status}
                  </span>
                  <span className="muted">
                    {when(step.startedOn)}
                    {[2, 3, 4].includes(step.status) && duration(step.startedOn, step.loggedOn)
                      ? ` · took ${duration(step.startedOn, step.loggedOn)}`
                      : step.status === 5
                        ? ' · waiting'
                        : ''}
                  </span>
                  {step.message ? <span className={step.status === 3 ? 'error-text' : ''}>{step.message}</span> : null}
                </li>
              ))}
          </ol>
        </div>
      ))}
    </section>
  );
}

interface TraceAnswer {
  traceId: string;
  kept: boolean;
  link: string;
  spans: Array<{ service: string; name: string; kind: string; depth: number; offsetMs: number; durationMs: number; error: boolean }>;
}

/** The job's trace as a timeline of spans, when the session service reads the trace files; a link to the trace viewer when one is set. */
function TraceTimeline({ traceId }: { traceId: string }): ReactNode {
  const { data, error, reload } = useLoad(() => call<TraceAnswer>('sessions', 'GET', `/api/v1/traces/${traceId}`), [traceId]);
  if (error || !data || (!data.kept && !data.link)) return null;
  const total = Math.max(1, ...data.spans.map((span) => span.offsetMs + span.durationMs));
  return (
    <section aria-labelledby="trace-title">
      <h2 id="trace-title">Trace</h2>
      {data.link ? (
        <p>
          <a href={data.link} rel="noreferrer" target="_blank">
            Open this trace in the trace viewer
          </a>
        </p>
      ) : null}
      {data.kept && data.spans.length === 0 ? (
        <p className="muted">
          No spans of this trace in the trace files yet.{' '}
          <button type="button" className="secondary" onClick={reload}>
            Look again
          </button>
        </p>
      ) : null}
      {data.spans.length > 0 ? (
        <table className="trace">
          <caption>
            {data.spans.length} span(s) over {formatMs(total)}
          </caption>
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Span</th>
              <th scope="col">Starts at</th>
              <th scope="col">Takes</th>
              <th scope="col">
                <span className="visually-hidden">Timeline</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.spans.map((span, index) => (
              <tr key={index} className={span.error ? 'failed' : undefined}>
                <td>{span.service}</td>
                <td style={{ paddingLeft: `${0.5 + span.depth}em` }}>
                  {span.name}
                  {span.kind ? <span className="muted"> ({span.kind})</span> : null}
                  {span.error ? <span className="badge bad"> error</span> : null}
                </td>
                <td>+{formatMs(span.offsetMs)}</td>
                <td>{formatMs(span.durationMs)}</td>
                <td className="trace-bar-cell" aria-hidden="true">
                  <span
                    className="trace-bar"
                    style={{ marginLeft: `${(100 * span.offsetMs) / total}%`, width: `${Math.max(0.5, (100 * span.durationMs) / total)}%` }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
