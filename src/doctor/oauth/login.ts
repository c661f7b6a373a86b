import { createServer, type Server } from 'node:http';
import { IntacctRestError } from '../../client/rest/errors.js';
import type { OAuthCallbackError, TokenSet } from '../../client/rest/oauth.js';
import type { CauseId } from '../../shared/causes.js';
import type { DoctorOptions, DoctorReport, Finding } from '../../shared/report.js';
import { CheckTracker } from '../checks.js';
import { loadCauseLookup } from '../findings.js';
import { assembleReport } from '../report.js';
import { evidenceOf, finding, OAuthRecorder, transportCause } from './common.js';
import { probeWithToken } from './index.js';
import { classifyTokenError, narrowRest1216 } from './token-failure.js';

export interface OAuthLoginOptions extends DoctorOptions {
  /** Opens the authorize URL in the person's browser; tests drive the pages themselves here. */
  openBrowser?: (url: string) => void;
  /** Port of the local callback server on 127.0.0.1 (default 3000, as the demo client registers). */
  callbackPort?: number;
  /** The registered redirect URI; default `http://127.0.0.1:<callbackPort>/oauth/callback`. */
  redirectUri?: string;
  /** Scope to request; default `offline_access`. */
  oauthScope?: string;
  /** How long to wait for the browser to come back (default 5 minutes). */
  waitMs?: number;
  /** Where the URL is printed when no `openBrowser` is given (default standard error). */
  print?: (line: string) => void;
}

export const LOGIN_CHECKS = [
  { id: 'authorize.page', title: 'Authorize page accepts the client and redirect URI' },
  { id: 'browser.consent', title: 'Sign-in and consent in the browser' },
  { id: 'callback.state', title: 'Callback carries the state that was sent' },
  { id: 'token.exchange', title: 'Code exchanged for tokens (PKCE)' },
  { id: 'token.refresh', title: 'Refresh token issued (offline_access)' },
  { id: 'entity.access', title: 'Entity access' },
  { id: 'module.subscription', title: 'Modules subscribed' },
  { id: 'permissions.required', title: 'Permissions for the required operations' },
] as const;

const DONE_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Intacct Connect</title></head>
<body><main><h1>Back in Intacct Connect</h1><p>You can close this window; the diagnosis continues in the terminal.</p></main></body></html>`;

/** Waits for one request on the callback path; resolves with its full URL. */
function waitForCallback(
  server: Server,
  path: string,
  port: number,
  waitMs: number,
): Promise<URL | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), waitMs);
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      if (url.pathname !== path) {
        res.writeHead(404).end();
        return;
      }
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(DONE_PAGE);
      clearTimeout(timer);
      resolve(url);
    });
  });
}

/** Runs the authorization-code flow through the person's browser and diagnoses what happens. */
export async function oauthLoginDiagnosis(options: OAuthLoginOptions): Promise<DoctorReport> {
  const started = Date.now();
  const lookup = await loadCauseLookup();
  const tracker = new CheckTracker(LOGIN_CHECKS, options.onProgress);
  const rec = new OAuthRecorder(options);
  const findings: Finding[] = [];
  const c = options.credentials;
  const port = options.callbackPort ?? 3000;
  const redirectUri = options.redirectUri ?? `http://127.0.0.1:${port}/oauth/callback`;
  const report = () => {
    tracker.finishRemaining('Not checked: an earlier step failed.');
    return assembleReport({
      mode: 'oauth',
      roundTrips: rec.roundTrips,
      checks: tracker.list(),
      findings,
      ms: Date.now() - started,
      supportIds: rec.supportIds,
      requestIds: rec.requestIds,
      subject: { companyId: c.companyId, userId: c.userId, clientId: c.clientId, apiUrl: rec.apiUrl },
    });
  };
  const fail = (
    check: string,
    cause: CauseId,
    detail: string,
    evidence?: Finding['evidence'],
    severity: Finding['severity'] = 'error',
  ) => {
    tracker.finish(check, { status: severity === 'error' ? 'fail' : 'warn', cause, detail });
    findings.push(finding(lookup, { cause, detail, severity, ...(evidence ? { evidence } : {}) }));
  };

  if (!c.clientId) {
    fail(
      'authorize.page',
      'oauth.invalid_client',
      'No client ID was given (--client-id or INTACCT_CLIENT_ID).',
    );
    return report();
  }
  const client = rec.oauthClient(redirectUri);
  const request = await client.createAuthorizationRequest({
    scope: options.oauthScope ?? 'offline_access',
    redirectUri,
  });
  rec.addSecret(request.codeVerifier);

  // 1. Load the page ourselves first: an unknown client or unregistered redirect never reaches the callback.
  tracker.start('authorize.page');
  let page: string;
  try {
    page = await client.probeAuthorizePage(request.url);
  } catch (error) {
    const t = transportCause(error) ?? { cause: 'network.unreachable' as const, detail: String(error) };
    fail('authorize.page', t.cause, t.detail);
    return report();
  }
  if (/redirect_uri_mismatch|redirect URI/i.test(page) && !page.startsWith('200')) {
    fail(
      'authorize.page',
      'oauth.redirect_uri_mismatch',
      `The authorize page refused redirect URI ${redirectUri}: it must be registered for client ${c.clientId} exactly (scheme, host, port and path).`,
      { redirectUri },
    );
    return report();
  }
  if (/invalid_client|not a registered application/i.test(page) && !page.startsWith('200')) {
    fail(
      'authorize.page',
      'oauth.invalid_client',
      `The authorize page does not know client ID ${c.clientId}.`,
    );
    return report();
  }
  if (!page.startsWith('200')) {
    fail(
      'authorize.page',
      'request.malformed',
      `The authorize page answered ${page.slice(0, 120).replace(/\s+/g, ' ')}`,
    );
    return report();
  }
  tracker.finish('authorize.page', { status: 'pass' });

  // 2. The person signs in and consents; the browser comes back to our callback server.
  tracker.start('browser.consent');
  const server = createServer();
  const listening = await new Promise<Error | undefined>((resolve) => {
    server.once('error', resolve);
    server.listen(port, '127.0.0.1', () => resolve(undefined));
  });
  if (listening) {
    fail(
      'browser.consent',
      'request.malformed',
      `Cannot listen for the callback on 127.0.0.1:${port}: ${listening.message}`,
    );
    return report();
  }
  let callback: URL | undefined;
  try {
    const waiting = waitForCallback(server, new URL(redirectUri).pathname, port, options.waitMs ?? 300_000);
    if (options.openBrowser) options.openBrowser(request.url);
    else
      (options.print ?? ((l: string) => process.stderr.write(`${l}\n`)))(
        `Open this URL in a browser and sign in:\n${request.url}`,
      );
    callback = await waiting;
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
  if (!callback) {
    fail(
      'browser.consent',
      'network.timeout',
      'The browser did not come back to the callback in time (sign-in not finished, or an error page was shown).',
    );
    return report();
  }

  let code: string;
  try {
    code = client.parseCallback(callback, request.state).code;
  } catch (error) {
    const e = error as OAuthCallbackError;
    if (e.kind === 'state_mismatch') {
      tracker.finish('browser.consent', { status: 'pass' });
      fail(
        'callback.state',
        'request.malformed',
        'The callback carried a different state than the authorize request: it belongs to another attempt or was forged. Nothing was exchanged; start again.',
      );
    } else if (e.kind === 'access_denied') {
      fail(
        'browser.consent',
        'oauth.access_denied',
        'The person declined on the consent page (error=access_denied).',
      );
    } else if (e.error === 'unauthorized_client') {
      fail(
        'browser.consent',
        'sender.not_authorized',
        `${e.errorDescription ?? 'The application is not authorized for the company.'} Sign in as an administrator, or add the sender at Web Services authorizations first.`,
      );
    } else {
      fail('browser.consent', 'request.malformed', e.message);
    }
    return report();
  }
  rec.addSecret(code);
  tracker.finish('browser.consent', { status: 'pass' });
  tracker.finish('callback.state', { status: 'pass' });

  // 3. Exchange the code with the PKCE verifier.
  tracker.start('token.exchange');
  let tokens: TokenSet;
  try {
    tokens = await client.exchangeCode({ code, codeVerifier: request.codeVerifier, redirectUri });
  } catch (error) {
    const t = transportCause(error);
    if (t || !(error instanceof IntacctRestError)) {
      const tt = t ?? { cause: 'network.unreachable' as const, detail: String(error) };
      fail('token.exchange', tt.cause, tt.detail, evidenceOf(error));
      return report();
    }
    let d = classifyTokenError(error);
    if (d.cause === 'oauth.invalid_client') d = await narrowRest1216(client, undefined, error);
    fail(
      'token.exchange',
      d.cause,
      d.cause === 'oauth.invalid_grant'
        ? `${d.detail} The code was rejected: reused, expired, issued for another redirect URI, or the PKCE verifier does not match.`
        : d.detail,
      {
        ...evidenceOf(error),
        ...(d.candidates ? { candidates: d.candidates, inferred: true } : {}),
      },
    );
    return report();
  }
  rec.addSecret(tokens.accessToken);
  rec.addSecret(tokens.refreshToken);
  tracker.finish('token.exchange', {
    status: 'pass',
    detail: `Signed in as ${tokens.claims.userId ?? '?'} in ${tokens.claims.cnyId ?? '?'}`,
  });
  if (tokens.refreshToken) tracker.finish('token.refresh', { status: 'pass' });
  else {
    fail(
      'token.refresh',
      'oauth.no_refresh_token',
      `No refresh token was issued${(options.oauthScope ?? 'offline_access').split(/\s+/).includes('offline_access') ? '' : ' because the scope lacked offline_access'}: the connection stops working when the access token expires.`,
      { scope: options.oauthScope ?? 'offline_access' },
      'warning',
    );
  }

  // 4. What the authorizing user may do.
  await probeWithToken(rec, tracker, lookup, findings, tokens.accessToken, options);
  return report();
}
