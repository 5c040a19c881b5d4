/** Small parts every view uses: the address (hash) router, polling, dates, refusals, state names. */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from './api';

export interface Route {
  path: string[];
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [pathText = '', queryText = ''] = text.split('?', 2);
  return { path: pathText.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(queryText) };
}

export function href(path: string[], params?: Record<string, string | undefined> | URLSearchParams): string {
  const search = params instanceof URLSearchParams ? params : new URLSearchParams();
  if (params && !(params instanceof URLSearchParams))
    for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, value);
  const text = search.toString();
  return `#/${path.map(encodeURIComponent).join('/')}${text ? `?${text}` : ''}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export function navigate(to: string): void {
  window.location.hash = to;
}

/** Loads with `load`, again whenever `deps` change, and every `everyMs` while `live`. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
  options: { everyMs?: number; live?: boolean } = {},
): { data: T | undefined; error: ApiError | Error | undefined; loading: boolean; reload: () => void; loadedAt: Date | undefined } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError | Error>();
  const [loading, setLoading] = useState(true);
  const [loadedAt, setLoadedAt] = useState<Date>();
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const run = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    loadRef
      .current()
      .then((value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(undefined);
        setLoadedAt(new Date());
      })
      .catch((failure: unknown) => {
        if (mine === generation.current) setError(failure as Error);
      })
      .finally(() => {
        if (mine === generation.current) setLoading(false);
      });
  }, []);
  useEffect(run, deps);
  useEffect(() => {
    if (!options.live || !options.everyMs) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState !== 'hidden') run();
    }, options.everyMs);
    return () => window.clearInterval(timer);
  }, [options.live, options.everyMs, run]);
  return { data, error, loading, reload: run, loadedAt };
}

export function when(value: string | null | undefined): string {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function duration(fromIso: string | null | undefined, toIso: string | null | undefined): string {
  if (!fromIso || !toIso) return '';
  const ms = new Date(toIso).getTime() - new Date(fromIso).getTime();
  if (!Number.isFinite(ms) || ms < 0) return '';
  return formatMs(ms);
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

/** A refusal or failure, in the service's words, with each violation at its field. */
export function Problem({ error, title }: { error: unknown; title?: string }): ReactNode {
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="problem" role="alert">
      <strong>{title ?? (apiError && apiError.status >= 400 && apiError.status < 500 ? 'Refused' : 'Something went wrong')}</strong>
      {apiError ? <span className="code"> ({apiError.code})</span> : null}: {message}
      {apiError && apiError.violations.length > 0 ? (
        <ul>
          {apiError.violations.map((violation, index) => (
            <li key={index}>
              <code>{violation.field}</code>: {violation.description}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function Note({ children, kind = 'info' }: { children: ReactNode; kind?: 'info' | 'success' }): ReactNode {
  return (
    <div className={`note ${kind}`} role="status">
      {children}
    </div>
  );
}

export const STATES: Record<number, string> = { 0: 'Ready', 1: 'Suspended', 2: 'Locked', 3: 'Completed' };
export const STATUSES: Record<number, string> = {
  0: 'Waiting for resources',
  10: 'Waiting',
  20: 'In progress',
  21: 'Pausing',
  22: 'Canceling',
  30: 'Succeeded',
  31: 'Failed',
  32: 'Canceled',
};
export const STATUS_STATE: Record<number, number> = { 0: 0, 10: 1, 20: 2, 21: 2, 22: 2, 30: 3, 31: 3, 32: 3 };

export function StatusBadge({ state, status }: { state: number; status: number }): ReactNode {
  const tone = status === 31 ? 'bad' : status === 30 ? 'good' : status === 32 ? 'muted' : state === 2 ? 'busy' : 'wait';
  return (
    <span className={`badge ${tone}`}>
      {STATES[state] ?? state} · {STATUSES[status] ?? status}
    </span>
  );
}

export function Field({ label, children }: { label: string; children: ReactNode }): ReactNode {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children === '' || children === null || children === undefined ? <span className="muted">none</span> : children}</dd>
    </>
  );
}

/** A datetime-local input's value as RFC 3339 (local time), or '' when empty. */
export function localToIso(value: string): string {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

export function isoToLocal(value: string | null | undefined): string {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * Server-side paging by tokens: `tokens` holds the token of each page before the current one
 * (none on the first page); the next page is the answer's `nextPageToken`.
 */
export function Pager({
  label,
  tokens,
  setTokens,
  nextPageToken,
  first = false,
}: {
  label: string;
  tokens: string[];
  setTokens: (tokens: string[]) => void;
  nextPageToken: string | undefined;
  first?: boolean;
}): ReactNode {
  return (
    <nav className="pager" aria-label={label}>
      {first ? (
        <button type="button" className="secondary" disabled={tokens.length === 0} onClick={() => setTokens([])}>
          First page
        </button>
      ) : null}
      <button type="button" className="secondary" disabled={tokens.length === 0} onClick={() => setTokens(tokens.slice(0, -1))}>
        Previous page
      </button>
      <span>Page {tokens.length + 1}</span>
      <button
        type="button"
        className="secondary"
        disabled={!nextPageToken}
        onClick={() => nextPageToken && setTokens([...tokens, nextPageToken])}
      >
        Next page
      </button>
    </nav>
  );
}
