import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauthLoginDiagnosis } from '../../src/doctor/oauth/login.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import type { DoctorReport } from '../../src/shared/report.js';
import { browse, emulator, JANE, PROD_CLIENT, PROD_SECRET, stats } from './helpers.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const jane = JANE;
const root = (r: DoctorReport) => r.findings.find((f) => f.severity === 'error');

describe('doctor --oauth-login (authorization code through the browser)', () => {
  let emu: RunningEmulator;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    emu = await emulator({}, (w) => {
      w.clients[0]!.redirectUris.push(`http://127.0.0.1:${port}/oauth/callback`);
    });
  });
  afterAll(async () => emu.close());

  const run = (
    browser: (url: string) => Promise<void>,
    extra: { oauthScope?: string; redirectUri?: string } = {},
  ) =>
    oauthLoginDiagnosis({
      credentials: { apiUrl: `${emu.url}/ia/api/v1`, clientId: PROD_CLIENT, clientSecret: PROD_SECRET },
      callbackPort: port,
      waitMs: 10_000,
      timeoutMs: 5_000,
      openBrowser: (url) => {
        void browser(url);
      },
      ...extra,
    });

  /** The person signs in and the browser follows the redirect to the callback server. */
  const person =
    (decision: 'accept' | 'decline' = 'accept', tamper?: (location: string) => string) =>
    async (url: string) => {
      const outcome = await browse(url, { ...jane, decision });
      if (outcome.location) await fetch(tamper ? tamper(outcome.location) : outcome.location);
    };

  it('a successful sign-in and consent is healthy and counts its round trips', async () => {
    const before = await stats(emu);
    const r = await run(person());
    expect(r.ok).toBe(true);
    expect(r.checks.find((c) => c.id === 'token.exchange')?.detail).toContain('jane');
    // preflight page + token exchange + nine probes; the person's own page loads are not the doctor's.
    expect(r.roundTrips).toBe(11);
    expect((await stats(emu)).total - before.total).toBeGreaterThanOrEqual(11);
  });

  it('declining gives oauth.access_denied', async () => {
    const r = await run(person('decline'));
    expect(root(r)?.cause).toBe('oauth.access_denied');
  });

  it('a tampered state is caught and nothing is exchanged', async () => {
    const r = await run(person('accept', (l) => l.replace(/state=[^&]+/, 'state=forged')));
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.id === 'callback.state')?.status).toBe('fail');
    expect(r.checks.find((c) => c.id === 'token.exchange')?.status).toBe('unknown');
  });

  it('a code that cannot be exchanged gives oauth.invalid_grant', async () => {
    const r = await run(person('accept', (l) => l.replace(/code=[^&]+/, 'code=not-a-real-code')));
    expect(root(r)?.cause).toBe('oauth.invalid_grant');
  });

  it('an unregistered redirect URI is found before the browser opens', async () => {
    let opened = false;
    const r = await run(
      async () => {
        opened = true;
      },
      { redirectUri: `http://127.0.0.1:${port}/other/callback` },
    );
    expect(root(r)?.cause).toBe('oauth.redirect_uri_mismatch');
    expect(opened).toBe(false);
    expect(r.roundTrips).toBe(1);
  });

  it('without offline_access there is no refresh token: a warning, still ok', async () => {
    const r = await run(person(), { oauthScope: 'openid' });
    expect(r.ok).toBe(true);
    expect(r.findings.map((f) => [f.cause, f.severity])).toContainEqual([
      'oauth.no_refresh_token',
      'warning',
    ]);
  });
});
