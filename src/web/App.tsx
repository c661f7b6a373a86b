import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type ConnectConfig } from './api.js';
import { type Credentials, EMPTY_CREDENTIALS } from './components/CredentialsForm.js';
import { errorText, Notice, useFocusOnChange } from './components/common.js';
import { Dashboard } from './components/Dashboard.js';
import { Help } from './components/Help.js';
import { OAuthError } from './components/OAuthError.js';
import { OAuthResult } from './components/OAuthResult.js';
import { type PrecheckState, Setup, stepFrom } from './components/Setup.js';
import { isEmbedded, post } from './embed.js';
import { m } from './messages.js';
import { href, type Route, useRoute } from './router.js';
import { forgetToken, obtainToken } from './session.js';
import { useTheme } from './theme.js';
import { useConnectRun } from './useConnectRun.js';

type Session =
  | { phase: 'loading' }
  | { phase: 'ready'; token: string; config: ConnectConfig }
  | { phase: 'error'; message: string };

/** Loads the connect token and the application's config once, for every screen that needs them. */
function useConnectSession(active: boolean): Session {
  const [session, setSession] = useState<Session>({ phase: 'loading' });
  const started = useRef(false);
  useEffect(() => {
    if (!active || started.current) return;
    started.current = true;
    const load = async (retry: boolean): Promise<void> => {
      const outcome = await obtainToken(window.location.search);
      if ('error' in outcome) {
        setSession({
          phase: 'error',
          message: outcome.error === 'network' ? m.common.networkError : m.token.missing,
        });
        return;
      }
      try {
        const config = await api.config(outcome.token);
        setSession({ phase: 'ready', token: outcome.token, config });
        dropTokenFromUrl();
      } catch (error) {
        const status = (error as { status?: number }).status;
        const fromUrl = new URLSearchParams(window.location.search).has('token');
        if ((status === 401 || status === 403) && !fromUrl && retry) {
          // The token kept for this tab has expired: get a fresh one once.
          forgetToken();
          return load(false);
        }
        setSession({
          phase: 'error',
          message: status === 401 || status === 403 ? m.token.expired : errorText(error),
        });
      }
    };
    void load(true);
  }, [active]);
  return session;
}

// The token stays in this tab's storage; removing it from the address bar keeps it out of screenshots,
// bookmarks and Referer headers.
function dropTokenFromUrl(): void {
  const url = new URL(window.location.href);
  if (!url.searchParams.has('token')) return;
  url.searchParams.delete('token');
  window.history.replaceState(null, '', url.toString());
}

const needsSession = (route: Route) => route.name === 'setup' || route.name === 'oauth-result';

export function App() {
  const route = useRoute();
  const [theme, cycleTheme] = useTheme();
  const session = useConnectSession(needsSession(route));
  const [values, setValues] = useState<Credentials>(EMPTY_CREDENTIALS);
  const [precheck, setPrecheck] = useState<PrecheckState>({ phase: 'idle' });
  const token = session.phase === 'ready' ? session.token : null;
  const { run, start, reset } = useConnectRun(token);
  const mainRef = useRef<HTMLElement>(null);
  const embedded = isEmbedded();
  useFocusOnChange(mainRef, route.name);

  // Each screen has its own document title, so history entries and screen readers can tell them apart.
  useEffect(() => {
    const screen =
      route.name === 'help'
        ? m.help.title
        : route.name === 'dashboard'
          ? m.dashboard.title
          : route.name === 'setup'
            ? m.nav.setup
            : m.oauthResult.heading;
    document.title = m.pageTitle(screen);
  }, [route.name]);

  useEffect(() => {
    post({ event: 'ready' });
    const onHide = () => {
      if (window.opener) post({ event: 'closed' });
    };
    window.addEventListener('pagehide', onHide);
    return () => window.removeEventListener('pagehide', onHide);
  }, []);

  // A retry for the same company updates the connection the last attempt stored instead of adding
  // another one; a different company ID starts a new connection.
  const lastAttempt = useRef<{ id: string; companyId: string } | null>(null);
  useEffect(() => {
    if (run?.phase === 'done' && run.connectionId)
      lastAttempt.current = { id: run.connectionId, companyId: run.companyId };
  }, [run]);
  const connect = useCallback(() => {
    const last = lastAttempt.current;
    const sameCompany = last && last.companyId.toLowerCase() === values.companyId.toLowerCase();
    void start({
      companyId: values.companyId,
      userId: values.userId,
      userPassword: values.userPassword,
      ...(values.entityId ? { entityId: values.entityId } : {}),
      ...(sameCompany ? { connectionId: last.id } : {}),
    });
  }, [start, values]);

  const runPrecheck = useCallback(
    async (companyId: string) => {
      if (!token) return;
      setPrecheck({ phase: 'running', companyId });
      try {
        const answer = await api.precheck(token, companyId);
        setPrecheck({ phase: 'done', companyId, checks: answer.checks, findings: answer.findings });
      } catch (error) {
        setPrecheck({ phase: 'error', companyId, error: errorText(error) });
      }
    },
    [token],
  );

  const close = () => post({ event: 'closed', connectionId: run?.connectionId ?? null });

  return (
    <>
      <button type="button" className="skip-link" onClick={() => mainRef.current?.focus()}>
        {m.skipToContent}
      </button>
      <header className="topbar">
        <a className="brand" href={href({ name: 'setup', step: null })}>
          {m.appTitle}
        </a>
        <nav aria-label={m.nav.label}>
          <ul>
            <li>
              <a href="#/" aria-current={route.name === 'setup' ? 'page' : undefined}>
                {m.nav.setup}
              </a>
            </li>
            <li>
              <a href="#/help" aria-current={route.name === 'help' ? 'page' : undefined}>
                {m.nav.help}
              </a>
            </li>
            {!embedded && (
              <li>
                <a href="#/dashboard" aria-current={route.name === 'dashboard' ? 'page' : undefined}>
                  {m.nav.dashboard}
                </a>
              </li>
            )}
          </ul>
        </nav>
        <div className="topbar-actions">
          <button type="button" className="ghost" onClick={cycleTheme} title={m.theme.label}>
            {m.theme[theme]}
          </button>
          {embedded && (
            <button type="button" className="ghost" onClick={close}>
              {m.common.close}
            </button>
          )}
        </div>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        {route.name === 'help' && <Help article={route.article} />}
        {route.name === 'dashboard' && <Dashboard />}
        {needsSession(route) && session.phase === 'loading' && <p>{m.common.loading}</p>}
        {needsSession(route) && session.phase === 'error' && (
          <div className="card">
            <h1>{m.appTitle}</h1>
            <Notice kind="error">{session.message}</Notice>
          </div>
        )}
        {route.name === 'oauth-error' && <OAuthError reason={route.reason} />}
        {route.name === 'oauth-result' && session.phase === 'ready' && (
          <OAuthResult id={route.id} token={session.token} />
        )}
        {route.name === 'setup' && session.phase === 'ready' && (
          <Setup
            config={session.config}
            token={session.token}
            step={stepFrom(route.step)}
            values={values}
            onValues={setValues}
            run={run}
            onConnect={connect}
            onTryAgain={reset}
            onDone={embedded ? close : undefined}
            precheck={precheck}
            onPrecheck={runPrecheck}
          />
        )}
      </main>
    </>
  );
}
