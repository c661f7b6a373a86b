import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnoseOAuth } from '../../src/doctor/oauth/index.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import type { ConnectionCredentials } from '../../src/shared/credentials.js';
import type { DoctorReport, TranscriptEntry } from '../../src/shared/report.js';
import { emulator, PROD_CLIENT, PROD_SECRET, SANDBOX_CLIENT, SANDBOX_SECRET, stats } from './helpers.js';

describe('doctor, OAuth client-credentials mode', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await emulator();
  });
  afterAll(async () => emu.close());

  const creds = (over: Partial<ConnectionCredentials> = {}): ConnectionCredentials => ({
    apiUrl: `${emu.url}/ia/api/v1`,
    clientId: PROD_CLIENT,
    clientSecret: PROD_SECRET,
    userId: 'svc_sync',
    companyId: 'acme-healthy',
    ...over,
  });
  const run = async (
    over: Partial<ConnectionCredentials> = {},
    extra: { transcript?: TranscriptEntry[] } = {},
  ) => {
    const before = await stats(emu);
    const report = await diagnoseOAuth({ credentials: creds(over), timeoutMs: 5000, ...extra });
    const after = await stats(emu);
    // roundTrips counts exactly what reached the emulator.
    expect(report.roundTrips).toBe(after.total - before.total);
    return report;
  };
  const root = (r: DoctorReport) => r.findings.find((f) => f.severity === 'error');

  it('reports a healthy connection as ok in one token request plus one read per object', async () => {
    const r = await run();
    expect(r.ok).toBe(true);
    expect(r.mode).toBe('oauth');
    expect(r.findings).toEqual([]);
    expect(r.roundTrips).toBe(10);
    expect(r.checks.every((c) => c.status === 'pass')).toBe(true);
  });

  const situations: Array<[string, Partial<ConnectionCredentials>, string]> = [
    ['email instead of user ID', { userId: 'it@example.com' }, 'oauth.malformed_username'],
    ['no company ID', { companyId: '' }, 'oauth.malformed_username'],
    ['trailing space in company ID', { companyId: 'acme-healthy ' }, 'oauth.malformed_username'],
    ['unknown company', { companyId: 'acme-unknown' }, 'gateway.invalid_request'],
    ['no Web Services subscription', { companyId: 'no-subscription' }, 'gateway.invalid_request'],
    ['sender not authorized', { companyId: 'sender-off' }, 'gateway.invalid_request'],
    ['wrong client secret', { clientSecret: 'not-the-secret' }, 'oauth.invalid_client'],
    ['unknown client ID', { clientId: '0000000000aaaaaaaaaa.app.sage.com' }, 'oauth.invalid_client'],
    [
      'client missing from Authorized client applications',
      { companyId: 'client-not-authorized' },
      'oauth.client_not_authorized',
    ],
    ['client row inactive', { companyId: 'aca-inactive' }, 'oauth.client_not_authorized'],
    ['production keys on a sandbox company', { companyId: 'acme-sandbox' }, 'oauth.scope_mismatch'],
    [
      'user is not the one bound to the client',
      { companyId: 'client-user-mismatch' },
      'oauth.partner_user_not_found',
    ],
    ['user ID in the wrong case', { userId: 'SVC_SYNC' }, 'oauth.partner_user_not_found'],
    ['locked Web Services user', { companyId: 'locked-user' }, 'oauth.partner_user_not_found'],
    ['regular user (U23)', { companyId: 'regular-user' }, 'oauth.partner_user_not_found'],
    ['unknown entity', { companyId: 'acme-multi', entityId: 'FR' }, 'entity.not_found'],
    [
      'entity the user may not use',
      { companyId: 'entity-restricted', entityId: 'UK' },
      'entity.access_denied',
    ],
    ['restricted user at the top level', { companyId: 'entity-restricted' }, 'entity.top_level_denied'],
    ['role lacks permissions', { companyId: 'missing-perms-role' }, 'permission.missing'],
    ['user-based permissions missing', { companyId: 'missing-perms-user' }, 'permission.missing'],
    ['module not subscribed', { companyId: 'no-ap-module' }, 'module.not_subscribed'],
    ['throttled', { companyId: 'rate-limited' }, 'gateway.rate_limited'],
    ['outage', { companyId: 'outage' }, 'gateway.unavailable'],
    ['wrong token path', { apiUrl: 'REPLACE/api/v1' }, 'request.malformed'],
  ];

  for (const [name, over, cause] of situations) {
    it(`names ${cause} for: ${name}`, async () => {
      const fixed = over.apiUrl ? { ...over, apiUrl: over.apiUrl.replace('REPLACE', emu.url) } : over;
      const r = await run(fixed);
      expect(r.ok).toBe(false);
      expect(root(r)?.cause).toBe(cause);
      expect(r.checks.some((c) => c.status === 'fail' && c.cause === cause)).toBe(true);
    });
  }

  const sender = { senderId: 'IntacctConnect', senderPassword: 'sender-demo-secret' };
  for (const [companyId, cause] of [
    ['sender-off', 'sender.not_authorized'],
    ['acme-unknown', 'company.not_found'],
    ['no-subscription', 'company.web_services_disabled'],
  ] as const) {
    it(`narrows GW-0011 to ${cause} with an XML probe when the sender credentials are given`, async () => {
      const r = await run({ companyId, ...sender });
      expect(root(r)?.cause).toBe(cause);
      expect(root(r)?.detail).toMatch(/GW-0011/);
    });
  }

  it('uses a session ID in place of the username, and names session.invalid for a dead one', async () => {
    const dead = await run({ userId: undefined, companyId: undefined, sessionId: 'no-such-session..' });
    expect(root(dead)?.cause).toBe('session.invalid');
    const cc = await fetch(`${emu.url}/ia/api/v1/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: PROD_CLIENT,
        client_secret: PROD_SECRET,
        username: 'svc_sync@acme-healthy',
      }),
    });
    const token = ((await cc.json()) as { access_token: string }).access_token;
    const bridge = await fetch(`${emu.url}/ia/api/v1/services/core/session/id`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const sessionId = ((await bridge.json()) as { 'ia::result': { sessionId: string } })['ia::result']
      .sessionId;
    const r = await run({ userId: undefined, companyId: undefined, sessionId });
    expect(r.ok).toBe(true);
    expect(JSON.stringify(r)).not.toContain(sessionId);
  });

  it('refuses an API URL that is not a URL, before any request', async () => {
    const r = await run({ apiUrl: 'api.intacct.com/ia/api/v1' });
    expect(root(r)?.cause).toBe('request.malformed');
    expect(r.roundTrips).toBe(0);
  });

  it('checks a malformed username locally, before any request', async () => {
    const r = await run({ userId: 'it@example.com' });
    expect(r.roundTrips).toBe(0);
    expect(r.checks.filter((c) => c.status === 'unknown').length).toBeGreaterThan(5);
  });

  it('narrows REST-1216 with a refresh probe and says whether the client ID is known', async () => {
    const wrongSecret = await run({ clientSecret: 'not-the-secret' });
    expect(root(wrongSecret)!.detail).toMatch(/client ID is registered/);
    const unknown = await run({ clientId: '0000000000aaaaaaaaaa.app.sage.com' });
    expect(unknown.findings[0]!.evidence?.clientIdKnown).toBe(false);
    const aca = await run({ companyId: 'client-not-authorized' });
    const candidates = aca.findings[0]!.evidence?.candidates as Array<{ cause: string; inferred: boolean }>;
    expect(candidates.map((c) => c.cause)).toEqual(['oauth.client_not_authorized', 'oauth.scope_mismatch']);
    expect(candidates.every((c) => c.inferred)).toBe(true);
    expect(aca.checks.find((c) => c.id === 'client.credentials')?.status).toBe('pass');
  });

  it('names every missing object with its module, permission and rights', async () => {
    const r = await run({ companyId: 'missing-perms-role' });
    const missing = root(r)!.evidence!.missing!;
    expect(missing.map((m) => m.object).sort()).toEqual(['APBILL', 'GLENTRY', 'VENDOR']);
    expect(missing.find((m) => m.object === 'VENDOR')).toMatchObject({
      operation: 'readByQuery',
      module: 'Accounts Payable',
      permission: 'Vendors',
      rights: ['List'],
    });
  });

  it('diagnoses a non-production company with the sandbox keys as healthy', async () => {
    const r = await run({
      companyId: 'acme-sandbox',
      clientId: SANDBOX_CLIENT,
      clientSecret: SANDBOX_SECRET,
    });
    expect(r.ok).toBe(true);
  });

  it('cannot reach an endpoint: network.unreachable', async () => {
    const r = await diagnoseOAuth({
      credentials: creds({ apiUrl: 'http://127.0.0.1:1/ia/api/v1' }),
      timeoutMs: 3000,
    });
    expect(root(r)?.cause).toBe('network.unreachable');
  });

  it('never lets a planted secret into the transcript or the report', async () => {
    const planted = {
      clientSecret: 'PLANTED-client-secret-4711',
      userPassword: 'PLANTED-user-pw-0815',
      senderPassword: 'PLANTED-sender-pw-1234',
    };
    const transcript: TranscriptEntry[] = [];
    const bad = await run({ ...planted }, { transcript });
    expect(root(bad)?.cause).toBe('oauth.invalid_client');
    const good = await run({ clientSecret: PROD_SECRET, userPassword: planted.userPassword }, { transcript });
    expect(good.ok).toBe(true);
    expect(transcript.length).toBe(bad.roundTrips + good.roundTrips);
    const all = JSON.stringify({ transcript, bad, good });
    for (const secret of [...Object.values(planted), PROD_SECRET]) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(encodeURIComponent(secret));
    }
    // Tokens in responses are masked too: no JWT and no refresh token survive.
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
    expect(all).not.toMatch(/"refresh_token":"(?!\[REDACTED\])/);
    expect(all).toContain('[REDACTED]');
  });
});

describe('doctor under other token-endpoint behaviours (U13, U14)', () => {
  for (const behaviours of [
    { tokenErrorShape: 'oauth', rest1216Status: 400, partnerUserStatus: 401, partnerUserDash: 'hyphen' },
    { tokenErrorShape: 'A', tokenGw0011Status: 403 },
    { tokenErrorShape: 'C' },
  ] as const) {
    it(`names the same causes with ${JSON.stringify(behaviours)}`, async () => {
      const emu = await emulator(behaviours);
      try {
        const base = {
          apiUrl: `${emu.url}/ia/api/v1`,
          clientId: PROD_CLIENT,
          clientSecret: PROD_SECRET,
          userId: 'svc_sync',
        };
        const cause = async (over: Partial<ConnectionCredentials>) =>
          (await diagnoseOAuth({ credentials: { ...base, ...over } })).findings.find(
            (f) => f.severity === 'error',
          )?.cause;
        expect(await cause({ companyId: 'acme-healthy', clientSecret: 'wrong' })).toBe(
          'oauth.invalid_client',
        );
        expect(await cause({ companyId: 'client-not-authorized' })).toBe('oauth.client_not_authorized');
        expect(await cause({ companyId: 'acme-sandbox' })).toBe('oauth.scope_mismatch');
        expect(await cause({ companyId: 'client-user-mismatch' })).toBe('oauth.partner_user_not_found');
        expect(await cause({ companyId: 'nowhere' })).toBe('gateway.invalid_request');
        expect(await cause({ companyId: 'acme-healthy' })).toBeUndefined();
      } finally {
        await emu.close();
      }
    });
  }
});
