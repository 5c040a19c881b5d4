/** Definitions: the list with state and active version; a definition's versions, source with its errors at their lines, diffs, activation. */
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { diffLines } from 'diff';
import { isMap, isSeq, parseDocument, stringify, type Node as YamlNode } from 'yaml';
import { call, can, query, type Caller, type Violation } from './api';
import { Field, href, navigate, Note, Problem, useLoad, when } from './common';

interface Definition {
  id: string;
  uniqueName: string;
  name: string;
  description: string;
  category: number;
  primaryEntity: string;
  state: number;
  source: Record<string, unknown>;
  activeVersion: number;
  latestVersion: number;
  modifiedBy: string;
  modifiedOn: string;
  rowVersion: number;
}

interface DefinitionVersion {
  version: number;
  contentHash: string;
  compiled: Record<string, unknown>;
  activatedBy: string;
  activatedOn: string;
  deactivatedOn: string | null;
  triggers: Array<{ message: string; entity: string; attributes: string[] }>;
}

const CATEGORIES: Record<number, string> = { 0: 'Workflow', 1: 'Dialog' };
const DEFINITION_STATES: Record<number, string> = { 0: 'Draft', 1: 'Activated' };

export function DefinitionsList({ params }: { params: URLSearchParams }): ReactNode {
  const [search, setSearch] = useState(params.get('nameContains') ?? '');
  const state = params.get('state') ?? '';
  const category = params.get('category') ?? '';
  const nameContains = params.get('nameContains') ?? '';
  const { data, error } = useLoad(
    () =>
      call<{ definitions: Definition[]; page: { totalCount: number } }>(
        'registry',
        'GET',
        `/api/v1/definitions${query({ state, category, nameContains, pageSize: 200 })}`,
      ),
    [state, category, nameContains],
  );
  const go = (changes: Record<string, string>) => navigate(href(['definitions'], { state, category, nameContains, ...changes }));
  return (
    <section aria-labelledby="definitions-title">
      <h1 id="definitions-title">Definitions</h1>
      <form
        className="filters"
        aria-label="Filter definitions"
        onSubmit={(event) => {
          event.preventDefault();
          go({ nameContains: search });
        }}
      >
        <div className="field">
          <label htmlFor="def-search">Name contains</label>
          <input id="def-search" type="search" value={search} onChange={(event) => setSearch(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="def-state">State</label>
          <select id="def-state" value={state} onChange={(event) => go({ state: event.target.value })}>
            <option value="">Any</option>
            <option value="0">Draft</option>
            <option value="1">Activated</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="def-category">Kind</label>
          <select id="def-category" value={category} onChange={(event) => go({ category: event.target.value })}>
            <option value="">Any</option>
            <option value="0">Workflow</option>
            <option value="1">Dialog</option>
          </select>
        </div>
        <div className="actions">
          <button type="submit">Search</button>
        </div>
      </form>
      <Problem error={error} />
      {data ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Definitions</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Unique name</th>
                <th scope="col">Kind</th>
                <th scope="col">Entity</th>
                <th scope="col">State</th>
                <th scope="col">Active version</th>
                <th scope="col">Modified</th>
              </tr>
            </thead>
            <tbody>
              {data.definitions.map((definition) => (
                <tr key={definition.id}>
                  <td>
                    <a href={href(['definitions', definition.uniqueName])}>{definition.name}</a>
                  </td>
                  <td className="mono">{definition.uniqueName}</td>
                  <td>{CATEGORIES[definition.category] ?? definition.category}</td>
                  <td>{definition.primaryEntity}</td>
                  <td>
                    <span className={`badge ${definition.state === 1 ? 'good' : 'muted'}`}>{DEFINITION_STATES[definition.state]}</span>
                  </td>
                  <td>{definition.activeVersion || <span className="muted">none</span>}</td>
                  <td>{when(definition.modifiedOn)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.definitions.length === 0 ? <p>No definitions match.</p> : null}
        </div>
      ) : null}
    </section>
  );
}

/** YAML path parts of a violation's field: `$.steps[1].id` → ['steps', 1, 'id']. */
export function pathOf(field: string): Array<string | number> {
  const parts: Array<string | number> = [];
  const pattern = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]/g;
  const text = field.replace(/^\$/, '');
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text))) parts.push(match[2] !== undefined ? Number(match[2]) : (match[1] ?? match[3] ?? ''));
  return parts;
}

/** The line (1-based) where the node of a path starts in the YAML text, or of its nearest existing parent. */
function lineOf(source: string, field: string): number {
  const document = parseDocument(source);
  const lineStarts = [0];
  for (let index = 0; index < source.length; index++) if (source[index] === '\n') lineStarts.push(index + 1);
  const lineAt = (offset: number) => {
    let line = 0;
    while (line + 1 < lineStarts.length && lineStarts[line + 1]! <= offset) line++;
    return line + 1;
  };
  let node: unknown = document.contents;
  let offset = 0;
  for (const part of pathOf(field)) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === part);
      if (!pair) break;
      offset = (pair.key as YamlNode).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number' && node.items[part]) {
      node = node.items[part];
      offset = (node as YamlNode).range?.[0] ?? offset;
    } else break;
  }
  return lineAt(offset);
}

interface SourceProblem {
  line: number;
  field: string;
  description: string;
}

function SourceView({ text, problems }: { text: string; problems: SourceProblem[] }): ReactNode {
  const byLine = new Map<number, SourceProblem[]>();
  for (const problem of problems) byLine.set(problem.line, [...(byLine.get(problem.line) ?? []), problem]);
  return (
    <ol className="source" aria-label="Source, by line">
      {text.split('\n').map((line, index) => {
        const here = byLine.get(index + 1);
        return (
          <li key={index} className={here ? 'has-error' : ''} id={`line-${index + 1}`}>
            <code>{line || ' '}</code>
            {here?.map((problem, at) => (
              <span key={at} className="line-error" role="note">
                Line {index + 1}: {problem.description} <span className="mono">({problem.field})</span>
              </span>
            ))}
          </li>
        );
      })}
    </ol>
  );
}

export function DefinitionPage({ reference, caller, params }: { reference: string; caller: Caller; params: URLSearchParams }): ReactNode {
  const { data, error, reload } = useLoad(async () => {
    const definition = await call<Definition>('registry', 'GET', `/api/v1/definitions/${encodeURIComponent(reference)}`);
    const versions = await call<{ versions: DefinitionVersion[] }>(
      'registry',
      'GET',
      `/api/v1/definitions/${encodeURIComponent(reference)}/versions?pageSize=100`,
    );
    return { definition, versions: versions.versions };
  }, [reference]);
  const [outcome, setOutcome] = useState<string>();
  const [refusal, setRefusal] = useState<unknown>();
  if (!data) return error ? <Problem error={error} /> : <p>Loading…</p>;
  const { definition, versions } = data;
  const act = async (verb: 'activate' | 'deactivate') => {
    setOutcome(undefined);
    setRefusal(undefined);
    try {
      const after = await call<{ version?: number }>(
        'registry',
        'POST',
        `/api/v1/definitions/${encodeURIComponent(definition.uniqueName)}/${verb}`,
      );
      setOutcome(
        verb === 'activate'
          ? `Activated: version ${after.version ?? ''} is the active one.`
          : 'Deactivated: it is a Draft again. Running jobs keep the version they started with.',
      );
      reload();
    } catch (failure) {
      setRefusal(failure);
    }
  };
  return (
    <article aria-labelledby="definition-title">
      <p>
        <a href={href(['definitions'])}>← Definitions</a>
      </p>
      <h1 id="definition-title">{definition.name}</h1>
      <dl className="details">
        <Field label="Unique name">
          <span className="mono">{definition.uniqueName}</span>
        </Field>
        <Field label="Kind">{CATEGORIES[definition.category]}</Field>
        <Field label="Entity">{definition.primaryEntity}</Field>
        <Field label="State">
          <span className={`badge ${definition.state === 1 ? 'good' : 'muted'}`}>{DEFINITION_STATES[definition.state]}</span>
        </Field>
        <Field label="Active version">{definition.activeVersion ? String(definition.activeVersion) : ''}</Field>
        <Field label="Modified">
          {when(definition.modifiedOn)} by {definition.modifiedBy}
        </Field>
        <Field label="Description">{definition.description}</Field>
        <Field label="Jobs">
          <a href={href(['jobs'], { definitionId: definition.id })}>System jobs of this definition</a>
        </Field>
      </dl>
      {can(caller, 'author') ? (
        <section className="panel" aria-labelledby="def-actions">
          <h2 id="def-actions">Actions</h2>
          {definition.state === 0 ? (
            <button type="button" onClick={() => void act('activate')}>
              Activate
            </button>
          ) : (
            <button type="button" className="danger" onClick={() => void act('deactivate')}>
              Deactivate
            </button>
          )}
          {outcome ? <Note kind="success">{outcome}</Note> : null}
          <Problem error={refusal} title="Refused" />
        </section>
      ) : null}
      <SourceEditor definition={definition} />
      <VersionsView versions={versions} params={params} reference={reference} />
    </article>
  );
}

function SourceEditor({ definition }: { definition: Definition }): ReactNode {
  const original = useMemo(() => stringify(definition.source, { lineWidth: 0 }), [definition.source]);
  const [text, setText] = useState(original);
  const [editing, setEditing] = useState(false);
  const [problems, setProblems] = useState<SourceProblem[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => setText(original), [original]);
  const check = async () => {
    setError(undefined);
    const document = parseDocument(text);
    if (document.errors.length) {
      setProblems(
        document.errors.map((problem) => ({
          line: problem.linePos?.[0]?.line ?? 1,
          field: 'YAML',
          description: problem.message.split('\n')[0]!,
        })),
      );
      return;
    }
    try {
      const answer = await call<{ valid: boolean; violations: Violation[] }>(
        'registry',
        'POST',
        '/api/v1/definitions/validate',
        document.toJS(),
      );
      setProblems(answer.violations.map((violation) => ({ line: lineOf(text, violation.field), ...violation })));
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section aria-labelledby="source-title">
      <h2 id="source-title">Source (YAML)</h2>
      <div className="row">
        <button type="button" className="secondary" onClick={() => setEditing(!editing)} aria-pressed={editing}>
          {editing ? 'Show with line numbers' : 'Edit to check a change'}
        </button>
        <button type="button" onClick={() => void check()}>
          Check
        </button>
      </div>
      {editing ? (
        <>
          <label htmlFor="source-text">YAML source (changes here are checked, not saved)</label>
          <textarea
            id="source-text"
            className="source-edit"
            rows={Math.min(30, text.split('\n').length + 2)}
            value={text}
            spellCheck={false}
            onChange={(event) => {
              setText(event.target.value);
              setProblems(undefined);
            }}
          />
        </>
      ) : null}
      {problems ? (
        problems.length === 0 ? (
          <Note kind="success">The source is valid.</Note>
        ) : (
          <div className="problem" role="alert">
            <strong>{problems.length} problem(s)</strong>
            <ul>
              {problems.map((problem, index) => (
                <li key={index}>
                  <a href={`#line-${problem.line}`} onClick={(event) => (event.preventDefault(), setEditing(false))}>
                    Line {problem.line}
                  </a>
                  : {problem.description} <span className="mono">({problem.field})</span>
                </li>
              ))}
            </ul>
          </div>
        )
      ) : null}
      <Problem error={error} />
      {!editing ? <SourceView text={text} problems={problems ?? []} /> : null}
    </section>
  );
}

function VersionsView({
  versions,
  params,
  reference,
}: {
  versions: DefinitionVersion[];
  params: URLSearchParams;
  reference: string;
}): ReactNode {
  const newest = versions[0]?.version ?? 0;
  const [left, setLeft] = useState(Number(params.get('from') ?? (newest > 1 ? newest - 1 : newest)));
  const [right, setRight] = useState(Number(params.get('to') ?? newest));
  const text = (number: number) => {
    const version = versions.find((candidate) => candidate.version === number);
    return version ? stringify(version.compiled, { lineWidth: 0 }) : '';
  };
  const parts = left && right ? diffLines(text(left), text(right)) : [];
  const changed = parts.some((part) => part.added || part.removed);
  return (
    <section aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      {versions.length === 0 ? (
        <p>Never activated.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Activated versions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Activated</th>
                <th scope="col">By</th>
                <th scope="col">Deactivated</th>
                <th scope="col">Triggers</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((version) => (
                <tr key={version.version}>
                  <td>{version.version}</td>
                  <td>{when(version.activatedOn)}</td>
                  <td>{version.activatedBy}</td>
                  <td>{version.deactivatedOn ? when(version.deactivatedOn) : <span className="badge good">active</span>}</td>
                  <td>{version.triggers.map((trigger) => `${trigger.message} ${trigger.entity}`).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {versions.length > 0 ? (
        <>
          <h3>Difference between two versions</h3>
          <div className="row">
            <div className="field">
              <label htmlFor="diff-from">From version</label>
              <select id="diff-from" value={left} onChange={(event) => setLeft(Number(event.target.value))}>
                {versions.map((version) => (
                  <option key={version.version} value={version.version}>
                    {version.version}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="diff-to">To version</label>
              <select id="diff-to" value={right} onChange={(event) => setRight(Number(event.target.value))}>
                {versions.map((version) => (
                  <option key={version.version} value={version.version}>
                    {version.version}
                  </option>
                ))}
              </select>
            </div>
            <a href={href(['definitions', reference], { from: String(left), to: String(right) })}>Link to this comparison</a>
          </div>
          {!changed ? (
            <p>
              No difference between version {left} and version {right}.
            </p>
          ) : null}
          <pre className="diff" aria-label={`Difference from version ${left} to version ${right}`}>
            {parts.map((part, index) => (
              <span key={index} className={part.added ? 'added' : part.removed ? 'removed' : 'same'}>
                {part.value
                  .replace(/\n$/, '')
                  .split('\n')
                  .map((line) => `${part.added ? '+ ' : part.removed ? '- ' : '  '}${line}`)
                  .join('\n') + '\n'}
              </span>
            ))}
          </pre>
        </>
      ) : null}
    </section>
  );
}
