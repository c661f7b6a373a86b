import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestClient } from '../../src/client/rest/client.js';
import { IntacctRestError } from '../../src/client/rest/errors.js';
import { IntacctOAuthClient, OAuthConnection, type TokenSet } from '../../src/client/rest/oauth.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import {
  browse,
  ccForm,
  emulator,
  JANE,
  PROD_CLIENT,
  PROD_SECRET,
  postToken,
  prodClient,
  stats,
  testWorld,
} from './helpers.js';

const jane = JANE;

async function authorize(client: IntacctOAuthClient, person = jane): Promise<TokenSet> {
  const request = await client.createAuthorizationRequest({ scope: 'offline_access' });
  const { code } = client.parseCallback((await browse(request.url, person)).location!, request.state);
  return client.exchangeCode({ code, codeVerifier: request.codeVerifier });
}

describe('refresh, supersession and revoke', () => {
  let emu: RunningEmulator;
  let client: IntacctOAuthClient;
  beforeAll(async () => {
    emu = await emulator();
    client = prodClient(emu);
  });
  afterAll(async () => emu.close());

  it('50 concurrent callers of an expiring connection cause exactly one token request', async () => {
    const tokens = await authorize(client);
    // Pretend the token is about to expire so every caller wants a refresh.
    const connection = new OAuthConnection(client, { ...tokens, expiresAt: Date.now() + 1000 });
    const before = (await stats(emu)).oauth;
    const results = await Promise.all(Array.from({ length: 50 }, () => connection.accessToken()));
    expect((await stats(emu)).oauth - before).toBe(1);
    expect(new Set(results).size).toBe(1);
    expect(results[0]).not.toBe(tokens.accessToken);
    // Rotation: the old refresh token is dead, the new one works.
    const old = await client.refresh(tokens.refreshToken!).catch((e: unknown) => e);
    expect((old as IntacctRestError).kind).toBe('invalid_grant');
    await expect(client.refresh(connection.tokens.refreshToken!)).resolves.toBeTruthy();
  });

  it('a failed refresh fails every waiting caller with one request, and the next call may try again', async () => {
    const tokens = await authorize(client);
    await client.revoke(tokens.refreshToken!);
    const connection = new OAuthConnection(client, { ...tokens, expiresAt: Date.now() });
    const before = (await stats(emu)).oauth;
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => connection.accessToken()));
    expect(
      results.every(
        (r) => r.status === 'rejected' && (r.reason as IntacctRestError).kind === 'invalid_grant',
      ),
    ).toBe(true);
    expect((await stats(emu)).oauth - before).toBe(1);
    await expect(connection.accessToken()).rejects.toBeInstanceOf(IntacctRestError);
    expect((await stats(emu)).oauth - before).toBe(2);
  });

  it('a second authorization for the same user and company supersedes the first (U18)', async () => {
    const first = await authorize(client);
    const rest = new RestClient({ apiUrl: `${emu.url}/ia/api/v1`, auth: first.accessToken });
    await expect(rest.listPage('general-ledger/account', { size: 1 })).resolves.toBeTruthy();
    await authorize(client);
    const call = await rest.listPage('general-ledger/account', { size: 1 }).catch((e: unknown) => e);
    expect(call).toBeInstanceOf(IntacctRestError);
    expect((call as IntacctRestError).errorId).toBe('REST-2102');
    expect((call as IntacctRestError).shape).toBe('B');
    expect((call as IntacctRestError).httpStatus).toBe(401);
    const refresh = await client.refresh(first.refreshToken!).catch((e: unknown) => e);
    expect((refresh as IntacctRestError).kind).toBe('invalid_grant');
  });

  it('revoking one token revokes every grant of the same user and company', async () => {
    const a = await postToken(emu, ccForm('svc_sync@acme-healthy'));
    const b = await postToken(emu, ccForm('svc_sync@acme-healthy'));
    await client.revoke(String(a.json.refresh_token));
    for (const t of [a, b]) {
      const res = await fetch(`${emu.url}/ia/api/v1/objects/general-ledger/account`, {
        headers: { authorization: `Bearer ${String(t.json.access_token)}` },
      });
      expect(res.status).toBe(401);
      expect(await res.text()).toContain('REST-2102');
    }
    const r = await client.refresh(String(b.json.refresh_token)).catch((e: unknown) => e);
    expect((r as IntacctRestError).kind).toBe('invalid_grant');
  });

  it('the emulator reset forgets every grant and token', async () => {
    const t = await client.clientCredentials({ userId: 'svc_sync', companyId: 'acme-healthy' });
    await fetch(`${emu.url}/_emulator/reset`, { method: 'POST' });
    const res = await fetch(`${emu.url}/ia/api/v1/objects/general-ledger/account`, {
      headers: { authorization: `Bearer ${t.accessToken}` },
    });
    expect(res.status).toBe(401);
    expect((await stats(emu)).total).toBe(1);
    const r = await client.refresh(t.refreshToken!).catch((e: unknown) => e);
    expect((r as IntacctRestError).kind).toBe('invalid_grant');
  });

  it('client credentials without a refresh token are repeated on refresh', async () => {
    const subject = { userId: 'svc_sync', companyId: 'acme-healthy' };
    const tokens = await client.clientCredentials(subject);
    const withoutRefresh: TokenSet = { ...tokens };
    delete withoutRefresh.refreshToken;
    const connection = new OAuthConnection(client, withoutRefresh, { subject });
    const next = await connection.refresh();
    expect(next.accessToken).not.toBe(tokens.accessToken);
    expect(next.claims.userId).toBe('svc_sync');
  });
});

describe('behaviour switches on the token lifecycle', () => {
  it('U19 accept: Basic auth on refresh works when the world allows it', async () => {
    const emu = await emulator({ basicAuthOnRefresh: 'accept' });
    try {
      const cc = await postToken(emu, ccForm('svc_sync@acme-healthy'));
      const r = await postToken(
        emu,
        new URLSearchParams({ grant_type: 'refresh_token', refresh_token: String(cc.json.refresh_token) }),
        {
          headers: {
            authorization: `Basic ${Buffer.from(`${PROD_CLIENT}:${PROD_SECRET}`).toString('base64')}`,
          },
        },
      );
      expect(r.status).toBe(200);
    } finally {
      await emu.close();
    }
  });

  it('U16 C: a revoked token is reported in the top-level error shape', async () => {
    const emu = await emulator({ invalidTokenShape: 'C' });
    try {
      const client = new IntacctOAuthClient({
        clientId: PROD_CLIENT,
        clientSecret: PROD_SECRET,
        apiUrl: `${emu.url}/ia/api/v1`,
      });
      const t = await client.clientCredentials({ userId: 'svc_sync', companyId: 'acme-healthy' });
      await client.revoke(t.accessToken);
      const rest = new RestClient({ apiUrl: `${emu.url}/ia/api/v1`, auth: t.accessToken });
      const e = (await rest
        .listPage('general-ledger/account')
        .catch((err: unknown) => err)) as IntacctRestError;
      expect(e.shape).toBe('C');
      expect(e.errorId).toBe('REST-2102');
      expect(e.kind).toBe('token_superseded');
    } finally {
      await emu.close();
    }
  });

  it('U17 keep: the old refresh token stays valid', async () => {
    const emu = await emulator({ refreshRotation: 'keep' });
    try {
      const client = new IntacctOAuthClient({
        clientId: PROD_CLIENT,
        clientSecret: PROD_SECRET,
        apiUrl: `${emu.url}/ia/api/v1`,
      });
      const t = await client.clientCredentials({ userId: 'svc_sync', companyId: 'acme-healthy' });
      await client.refresh(t.refreshToken!);
      await expect(client.refresh(t.refreshToken!)).resolves.toBeTruthy();
    } finally {
      await emu.close();
    }
  });

  for (const mode of ['observed', 'documented'] as const) {
    it(`U15 ${mode}: an expired token is reported, and the client refreshes once and retries`, async () => {
      let clock = Date.now();
      const emu = await startEmulator({
        world: testWorld({ expiredToken: mode }),
        port: 0,
        now: () => clock,
      });
      try {
        const client = new IntacctOAuthClient({
          clientId: PROD_CLIENT,
          clientSecret: PROD_SECRET,
          apiUrl: `${emu.url}/ia/api/v1`,
        });
        const t = await client.clientCredentials({ userId: 'svc_sync', companyId: 'acme-healthy' });
        clock += 43_201_000;
        const raw = await fetch(`${emu.url}/ia/api/v1/objects/general-ledger/account`, {
          headers: { authorization: `Bearer ${t.accessToken}` },
        });
        const text = await raw.text();
        if (mode === 'observed') {
          expect(raw.status).toBe(400);
          expect(text).toContain('REST-1206');
        } else {
          expect(raw.status).toBe(401);
          expect(text).toContain('GW-0040');
        }
        // Skew 0 so the connection believes the token is fine and learns otherwise from the server.
        const connection = new OAuthConnection(
          client,
          { ...t, expiresAt: Date.now() + 3_600_000 },
          { refreshSkewSeconds: 0 },
        );
        const rest = new RestClient({ apiUrl: `${emu.url}/ia/api/v1`, auth: connection });
        const before = await stats(emu);
        const page = await rest.listPage('general-ledger/account', { size: 2 });
        expect(page.result).toHaveLength(2);
        const after = await stats(emu);
        expect(after.oauth - before.oauth).toBe(1);
        expect(after.rest - before.rest).toBe(2);
      } finally {
        await emu.close();
      }
    });
  }
});
