/** The Flowline operator console: sign-in, the navigation its role allows, and the views (docs/adr/0013). */
import { StrictMode, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { call, can, readToken, storeCaller, storedCaller, setApiToken, type Caller } from './api';
import { href, Problem, useRoute, type Route } from './common';
import { DeadLetterPage, DeadLettersList } from './dead-letters';
import { DefinitionPage, DefinitionsList } from './definitions';
import { DialogsList, SessionPage } from './dialogs';
import { HealthView } from './health';
import { JobPage, JobsList } from './jobs';
import './styles.css';

interface Section {
  path: string;
  label: string;
  allowed: (caller: Caller) => boolean;
}

const SECTIONS: Section[] = [
  { path: 'jobs', label: 'System jobs', allowed: (caller) => can(caller, 'operate') },
  { path: 'definitions', label: 'Definitions', allowed: () => true },
  { path: 'dead-letters', label: 'Dead letters', allowed: (caller) => can(caller, 'operate') },
  { path: 'dialogs', label: 'Dialogs', allowed: () => true },
  { path: 'health', label: 'Health', allowed: (caller) => can(caller, 'operate') },
];

function SignIn({ onSignedIn, reason }: { onSignedIn: (caller: Caller) => void; reason: string | undefined }): ReactNode {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    let caller: Caller;
    try {
      caller = readToken(token);
    } catch (failure) {
      setError(failure);
      return;
    }
    setBusy(true);
    setApiToken(caller.token, () => undefined);
    try {
      // Any valid token may list its own sessions: the session service says whether it accepts this one.
      await call('sessions', 'GET', '/api/v1/sessions?pageSize=1');
      onSignedIn(caller);
    } catch (failure) {
      setApiToken(null, () => undefined);
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in" id="main">
      <h1>Flowline console</h1>
      <p>Sign in with your access token. It is kept in this browser tab only and forgotten when the tab closes.</p>
      {reason ? (
        <p className="problem" role="alert">
          {reason}
        </p>
      ) : null}
      <form onSubmit={(event) => void submit(event)}>
        <label htmlFor="token">Access token</label>
        <textarea
          id="token"
          name="token"
          rows={4}
          value={token}
          onChange={(event) => setToken(event.target.value)}
          required
          autoComplete="off"
          spellCheck={false}
          aria-describedby="token-help"
        />
        <p id="token-help" className="help">
          On a development machine, <code>npm start</code> prints an administrator token; <code>flowline login</code> or your identity
          provider gives one for your own account.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <Problem error={error} title="Not signed in" />
    </main>
  );
}

function View({ route, caller }: { route: Route; caller: Caller }): ReactNode {
  const [section = '', id] = route.path;
  const allowed = SECTIONS.find((candidate) => candidate.path === section);
  if (allowed && !allowed.allowed(caller))
    return (
      <p className="problem" role="alert">
        Your role ({caller.roles.join(', ') || 'none'}) may not see {allowed.label.toLowerCase()}.
      </p>
    );
  switch (section) {
    case 'jobs':
      return id ? <JobPage id={id} caller={caller} /> : <JobsList params={route.params} caller={caller} />;
    case 'definitions':
      return id ? <DefinitionPage reference={id} caller={caller} params={route.params} /> : <DefinitionsList params={route.params} />;
    case 'dead-letters':
      return id ? <DeadLetterPage id={id} caller={caller} /> : <DeadLettersList params={route.params} />;
    case 'dialogs':
      return id ? <SessionPage id={id} /> : <DialogsList params={route.params} caller={caller} />;
    case 'health':
      return <HealthView />;
    default:
      return <p>Page not found.</p>;
  }
}

function App(): ReactNode {
  const [caller, setCaller] = useState<Caller | null>(() => storedCaller());
  const [signedOutReason, setSignedOutReason] = useState<string>();
  const route = useRoute();
  setApiToken(caller?.token ?? null, () => {
    storeCaller(null);
    setCaller(null);
    setSignedOutReason('Your token was refused (expired or revoked): sign in again.');
  });
  const sections = caller ? SECTIONS.filter((section) => section.allowed(caller)) : [];
  useEffect(() => {
    if (caller && route.path.length === 0 && sections[0]) window.location.replace(href([sections[0].path]));
  }, [caller, route.path.length, sections]);
  const current = route.path[0] ?? '';
  useEffect(() => {
    const label = SECTIONS.find((section) => section.path === current)?.label;
    document.title = label ? `${label} · Flowline console` : 'Flowline console';
  }, [current]);
  if (!caller)
    return (
      <SignIn
        reason={signedOutReason}
        onSignedIn={(signedIn) => {
          storeCaller(signedIn);
          setSignedOutReason(undefined);
          setCaller(signedIn);
        }}
      />
    );
  return (
    <>
      <a className="skip" href="#main" onClick={(event) => (event.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Flowline console</span>
        <nav aria-label="Sections">
          <ul>
            {sections.map((section) => (
              <li key={section.path}>
                <a href={href([section.path])} aria-current={current === section.path ? 'page' : undefined}>
                  {section.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          Signed in as <strong>{caller.name || caller.subject}</strong> ({caller.roles.join(', ') || 'no role'})
        </span>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            storeCaller(null);
            setCaller(null);
            setSignedOutReason(undefined);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <View route={route} caller={caller} />
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
