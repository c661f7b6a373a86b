import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoWorld, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { browse } from '../oauth/helpers.js';
import { DEMO, dumpAllTables, startTestServer, type TestServer } from './helpers.js';

describe('OAuth connect through the server (authorization code + PKCE)', () => {
  let emu: RunningEmulator;
  let server: TestServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ic-oauth-'));
    const world = loadDemoWorld();
    const company = world.companies.find((c) => c.id === 'acme-healthy')!;
    // A person who signs in on the authorize page (Web Services-only users cannot use the UI).
    company.users.push({
      ...structuredClone(company.users[0]!),
      id: 'jane',
      password: 'Jane-Pass-1',
      webServicesOnly: false,
    });
    emu = await startEmulator({ world, host: '127.0.0.1', port: 0 });
    server = await startTestServer({
      engine: 'sqlite',
      emulatorUrl: emu.url,
      dir,
      config: { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret },
    });
    emu.context.world.clients[0]!.redirectUris.push(`${server.url}/oauth/callback`);
  });

  afterAll(async () => {
    await server?.close();
    await emu?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts, comes back through /oauth/callback, stores the connection with its refresh token encrypted', async () => {
    const token = (await server.api('POST', '/api/connect-sessions', { customerRef: 'oauth-cust' })).body
      .token as string;
    const cfg = await server.api('GET', '/api/connect/config', undefined, token);
    expect(cfg.body.oauth.enabled).toBe(true);
    const start = await server.api('GET', '/api/connect/oauth/start', undefined, token);
    expect(start.status).toBe(200);
    const authorizeUrl = new URL(start.body.authorizeUrl as string);
    expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(`${server.url}/oauth/callback`);
    const outcome = await browse(authorizeUrl.toString(), {
      companyId: 'acme-healthy',
      userId: 'jane',
      password: 'Jane-Pass-1',
    });
    expect(outcome.status).toBe(302);
    const callback = await fetch(outcome.location!, { redirect: 'manual' });
    expect(callback.status).toBe(302);
    const location = callback.headers.get('location')!;
    const id = /#\/oauth-result\/(con_[a-f0-9]+)$/.exec(location)?.[1];
    expect(id, location).toBeTruthy();
    const conn = await server.api('GET', `/api/connect/connections/${id}`, undefined, token);
    expect(conn.status).toBe(200);
    expect(conn.body).toMatchObject({
      mode: 'oauth',
      companyId: 'acme-healthy',
      userId: 'jane',
      customerRef: 'oauth-cust',
    });
    // Diagnosed with the grant's own tokens (jane is a regular user; client credentials would refuse her).
    expect(conn.body.status).toBe('connected');
    const history = await server.api('GET', `/api/connections/${id}/checks`);
    expect(history.body.checks).toHaveLength(1);
    // Each re-check refreshes the grant; refresh tokens rotate, so the newest must have been stored.
    for (let i = 0; i < 2; i++) {
      const again = await server.api('POST', `/api/connections/${id}/check`);
      expect(again.status).toBe(200);
      expect(again.body.status, JSON.stringify(again.body.report?.findings)).toBe('connected');
    }

    // The same state cannot be used twice.
    const replay = await fetch(outcome.location!, { redirect: 'manual' });
    expect(replay.headers.get('location')).toBe('/#/oauth-error/state_mismatch');
    const db = await dumpAllTables(server.storage);
    const code = new URL(outcome.location!).searchParams.get('code')!;
    const state = new URL(outcome.location!).searchParams.get('state')!;
    expect(db).not.toContain(code);
    expect(db).not.toContain(state);
    expect(server.logs.text).not.toContain(code);
    expect(
      (await server.api('PUT', `/api/connections/${id}/credentials`, { userPassword: 'x' })).status,
    ).toBe(400);
  });

  it('redirects a declined consent to an error route', async () => {
    const token = (await server.api('POST', '/api/connect-sessions', {})).body.token as string;
    const start = await server.api('GET', '/api/connect/oauth/start', undefined, token);
    const outcome = await browse(start.body.authorizeUrl as string, {
      companyId: 'acme-healthy',
      userId: 'jane',
      password: 'Jane-Pass-1',
      decision: 'decline',
    });
    const callback = await fetch(outcome.location!, { redirect: 'manual' });
    expect(callback.headers.get('location')).toBe('/#/oauth-error/access_denied');
  });
});
