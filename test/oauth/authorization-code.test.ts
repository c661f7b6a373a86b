import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntacctRestError } from '../../src/client/rest/errors.js';
import { type IntacctOAuthClient, OAuthCallbackError } from '../../src/client/rest/oauth.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { browse, emulator, JANE, PROD_CLIENT, prodClient, stats, testWorld } from './helpers.js';

const jane = JANE;

describe('authorization-code flow over HTTP form posts', () => {
  let emu: RunningEmulator;
  let client: IntacctOAuthClient;
  beforeAll(async () => {
    emu = await emulator();
    client = prodClient(emu);
  });
  afterAll(async () => emu.close());

  it('signs in, consents, exchanges the code with PKCE and gets a verifiable JWT and a refresh token', async () => {
    const request = await client.createAuthorizationRequest({ scope: 'offline_access' });
    expect(request.url).toContain('code_challenge_method=S256');
    const outcome = await browse(request.url, jane);
    expect(outcome.status).toBe(302);
    const { code } = client.parseCallback(outcome.location!, request.state);
    const tokens = await client.exchangeCode({ code, codeVerifier: request.codeVerifier });
    expect(tokens.refreshToken).toBeTruthy();
    expect(tokens.claims.cnyId).toBe('acme-healthy');
    expect(tokens.claims.userId).toBe('jane');
    const jwks = await (await fetch(`${emu.url}/.well-known/jwks.json`)).json();
    const { payload, protectedHeader } = await jwtVerify(tokens.accessToken, createLocalJWKSet(jwks), {
      issuer: emu.url,
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.exp! - payload.iat!).toBe(43200);
    expect(tokens.expiresAt).toBe(payload.exp! * 1000);
    for (const claim of [
      'aud',
      'sub',
      'oid',
      'clientId',
      'cnyKey',
      'userKey',
      'entityId',
      'entityKey',
      'sessionId',
      'agentId',
      'aiEnabled',
    ]) {
      expect(payload).toHaveProperty(claim);
    }
  });

  it('serves the authorize page at /ia/authorize too (the discovery document points there)', async () => {
    const discovery = await client.discover();
    expect(discovery.authorization_endpoint).toBe(`${emu.url}/ia/authorize`);
    const request = await client.createAuthorizationRequest();
    const outcome = await browse(request.url.replace('/ia/api/v1/oauth2/authorize', '/ia/authorize'), jane);
    expect(client.parseCallback(outcome.location!, request.state).code).toBeTruthy();
  });

  it('rejects a tampered state before any exchange', async () => {
    const request = await client.createAuthorizationRequest();
    const outcome = await browse(request.url, jane);
    const tampered = outcome.location!.replace(`state=${request.state}`, 'state=forged');
    expect(() => client.parseCallback(tampered, request.state)).toThrow(OAuthCallbackError);
    try {
      client.parseCallback(tampered, request.state);
    } catch (e) {
      expect((e as OAuthCallbackError).kind).toBe('state_mismatch');
    }
  });

  it('refuses a wrong PKCE verifier and a reused code with invalid_grant', async () => {
    const request = await client.createAuthorizationRequest();
    const { code } = client.parseCallback((await browse(request.url, jane)).location!, request.state);
    const wrong = await client.exchangeCode({ code, codeVerifier: 'x'.repeat(43) }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(IntacctRestError);
    expect((wrong as IntacctRestError).kind).toBe('invalid_grant');

    const request2 = await client.createAuthorizationRequest();
    const code2 = client.parseCallback((await browse(request2.url, jane)).location!, request2.state).code;
    await client.exchangeCode({ code: code2, codeVerifier: request2.codeVerifier });
    const reused = await client
      .exchangeCode({ code: code2, codeVerifier: request2.codeVerifier })
      .catch((e: unknown) => e);
    expect((reused as IntacctRestError).kind).toBe('invalid_grant');
  });

  it('refuses a redirect_uri that differs from the authorize request', async () => {
    const request = await client.createAuthorizationRequest();
    const { code } = client.parseCallback((await browse(request.url, jane)).location!, request.state);
    const e = await client
      .exchangeCode({
        code,
        codeVerifier: request.codeVerifier,
        redirectUri: 'https://app.example.com/oauth/callback',
      })
      .catch((err: unknown) => err);
    expect((e as IntacctRestError).kind).toBe('invalid_grant');
  });

  it('declining sends access_denied with the state', async () => {
    const request = await client.createAuthorizationRequest();
    const outcome = await browse(request.url, { ...jane, decision: 'decline' });
    expect(outcome.location).toContain('error=access_denied');
    expect(() => client.parseCallback(outcome.location!, request.state)).toThrow(/declined/);
  });

  it('shows an error page, not a redirect, for an unknown client or an unregistered redirect URI', async () => {
    const badRedirect = await client.createAuthorizationRequest({
      redirectUri: 'https://evil.example.com/cb',
    });
    const page = await fetch(badRedirect.url, { redirect: 'manual' });
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    expect(await page.text()).toContain('redirect_uri_mismatch');
    const unknown = await fetch(badRedirect.url.replace(PROD_CLIENT, 'ffff.app.sage.com'), {
      redirect: 'manual',
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('invalid_client');
  });

  it('a wrong password keeps the person on the sign-in page; a Web Services user cannot sign in', async () => {
    const request = await client.createAuthorizationRequest();
    const wrong = await browse(request.url, { ...jane, password: 'nope' });
    expect(wrong.location).toBeUndefined();
    expect(wrong.html).toContain('Invalid sign-in');
    const ws = await browse(request.url, {
      companyId: 'acme-healthy',
      userId: 'svc_sync',
      password: 'Connect-Demo-1',
    });
    expect(ws.html).toContain('Web Services users cannot sign in');
  });

  it('gives no refresh token without offline_access', async () => {
    const request = await client.createAuthorizationRequest({ scope: 'openid' });
    const { code } = client.parseCallback((await browse(request.url, jane)).location!, request.state);
    const tokens = await client.exchangeCode({ code, codeVerifier: request.codeVerifier });
    expect(tokens.refreshToken).toBeUndefined();
  });

  it('counts every OAuth request in the stats', async () => {
    const before = (await stats(emu)).oauth;
    await fetch(`${emu.url}/.well-known/openid-configuration`);
    await fetch(`${emu.url}/ia/api/v1/oauth2/token`, { method: 'POST' });
    expect((await stats(emu)).oauth).toBe(before + 2);
  });
});

describe('consent and sender authorization', () => {
  it('an admin consent authorizes the sender; a non-admin gets the error page (U21 default)', async () => {
    const emu = await emulator();
    try {
      const client = prodClient(emu);
      const r1 = await client.createAuthorizationRequest();
      const bob = await browse(r1.url, {
        companyId: 'consent-needed',
        userId: 'bob',
        password: 'Bob-Pass-1',
      });
      expect(bob.status).toBe(403);
      expect(bob.html).toContain('sender_not_authorized');
      expect(emu.context.findCompany('consent-needed')!.senderAuthorizations).toHaveLength(0);

      const r2 = await client.createAuthorizationRequest();
      const admin = await browse(r2.url, {
        companyId: 'consent-needed',
        userId: 'jane',
        password: 'Jane-Pass-1',
      });
      const { code } = client.parseCallback(admin.location!, r2.state);
      expect(emu.context.findCompany('consent-needed')!.senderAuthorizations).toEqual([
        { sender: 'IntacctConnect', status: 'active' },
      ]);
      await expect(client.exchangeCode({ code, codeVerifier: r2.codeVerifier })).resolves.toBeTruthy();
    } finally {
      await emu.close();
    }
  });

  it('U20: an Authorized-client-applications row is required only when the world says so', async () => {
    const addJane = (w: Parameters<NonNullable<Parameters<typeof emulator>[1]>>[0]) => {
      const c = w.companies.find((x) => x.id === 'client-not-authorized')!;
      c.users.push({
        ...structuredClone(c.users[0]!),
        id: 'jane',
        password: 'Jane-Pass-1',
        webServicesOnly: false,
      });
    };
    const person = { companyId: 'client-not-authorized', userId: 'jane', password: 'Jane-Pass-1' };
    const attempt = async (emu: Awaited<ReturnType<typeof emulator>>) => {
      const client = prodClient(emu);
      const r = await client.createAuthorizationRequest();
      const { code } = client.parseCallback((await browse(r.url, person)).location!, r.state);
      return client.exchangeCode({ code, codeVerifier: r.codeVerifier }).catch((e: unknown) => e);
    };
    for (const [behaviours, works] of [
      [{}, true],
      [{ authCodeRequiresAcaRow: true }, false],
      [{ authCodeRequiresAcaRow: true, consentCreatesAcaRow: true }, true],
    ] as const) {
      const emu = await emulator(behaviours, addJane);
      try {
        const result = await attempt(emu);
        if (works) expect(result).not.toBeInstanceOf(IntacctRestError);
        else expect((result as IntacctRestError).errorId).toBe('REST-1216');
      } finally {
        await emu.close();
      }
    }
  });

  it('U21 redirect: a non-admin is sent back with an error', async () => {
    const emu = await emulator({ nonAdminConsentUnauthorizedSender: 'redirect' });
    try {
      const client = prodClient(emu);
      const r = await client.createAuthorizationRequest();
      const bob = await browse(r.url, { companyId: 'consent-needed', userId: 'bob', password: 'Bob-Pass-1' });
      expect(bob.location).toContain('error=unauthorized_client');
      expect(() => client.parseCallback(bob.location!, r.state)).toThrow(OAuthCallbackError);
    } finally {
      await emu.close();
    }
  });
});

describe('expiry on the emulator clock', () => {
  it('an authorization code expires after 10 minutes; a refresh token after refreshTtlDays', async () => {
    let clock = Date.now();
    const emu = await startEmulator({ world: testWorld({ refreshTtlDays: 1 }), port: 0, now: () => clock });
    try {
      const client = prodClient(emu);
      const r = await client.createAuthorizationRequest();
      const { code } = client.parseCallback((await browse(r.url, jane)).location!, r.state);
      clock += 11 * 60_000;
      const late = await client.exchangeCode({ code, codeVerifier: r.codeVerifier }).catch((e: unknown) => e);
      expect((late as IntacctRestError).kind).toBe('invalid_grant');
      expect((late as IntacctRestError).message).toMatch(/expired/);

      const t = await client.clientCredentials({ userId: 'svc_sync', companyId: 'acme-healthy' });
      clock += 2 * 86_400_000;
      const old = await client.refresh(t.refreshToken!).catch((e: unknown) => e);
      expect((old as IntacctRestError).kind).toBe('invalid_grant');
    } finally {
      await emu.close();
    }
  });
});
