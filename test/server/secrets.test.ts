import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoWorld, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import type { Diagnose } from '../../src/server/service.js';
import { dumpAllTables, realDiagnose, startTestServer, type TestServer } from './helpers.js';

const PLANTED = {
  senderPassword: 'PLANTED-sender-9f8e7d6c',
  userPassword: 'PLANTED-user-1a2b3c4d',
  wrongPassword: 'PLANTED-wrong-5e6f7a8b',
  apiKey: 'PLANTED-apikey-0c1d2e3f4a5b',
  webhookSecret: 'PLANTED-whsec-6b7c8d9e0f1a',
};

describe('planted secrets never leak', () => {
  let emu: RunningEmulator;
  let server: TestServer;
  let dir: string;
  const answers: string[] = [];
  const sessionIds = new Set<string>();
  const tokens: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ic-secrets-'));
    const world = loadDemoWorld();
    world.senders[0]!.password = PLANTED.senderPassword;
    const company = world.companies.find((c) => c.id === 'acme-healthy')!;
    company.users.find((u) => u.id === 'svc_sync')!.password = PLANTED.userPassword;
    emu = await startEmulator({ world, host: '127.0.0.1', port: 0 });
    const real = await realDiagnose();
    // Watch the doctor's traffic to learn the session IDs Intacct (the emulator) hands out.
    const watching: Diagnose = (options) =>
      real({
        ...options,
        fetch: async (input, init) => {
          const res = await fetch(input, init);
          const text = await res.clone().text();
          for (const m of text.matchAll(/<sessionid>([^<]+)<\/sessionid>/g)) sessionIds.add(m[1]!);
          for (const m of text.matchAll(/"(?:access_token|refresh_token)"\s*:\s*"([^"]+)"/g))
            sessionIds.add(m[1]!);
          return res;
        },
      });
    server = await startTestServer({
      engine: 'sqlite',
      emulatorUrl: emu.url,
      dir,
      diagnose: watching,
      config: { apiKey: PLANTED.apiKey, senderPassword: PLANTED.senderPassword },
      webhooks: { intervalMs: 50, baseDelayMs: 20, maxAttempts: 2 },
    });
  });

  afterAll(async () => {
    await server?.close();
    await emu?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every secret out of answers, logs and database columns across every flow', async () => {
    const key = PLANTED.apiKey;
    const call = async (method: string, path: string, body?: unknown, auth: string | null = key) => {
      const r = await server.api(method, path, body, auth);
      answers.push(r.text, JSON.stringify([...r.headers]));
      return r;
    };
    await call('POST', '/api/webhooks', { url: `${server.url}/nowhere`, secret: PLANTED.webhookSecret });
    const good = await call('POST', '/api/connections', {
      companyId: 'acme-healthy',
      userId: 'svc_sync',
      userPassword: PLANTED.userPassword,
    });
    expect(good.body.status).toBe('connected');
    const bad = await call('POST', '/api/connections', {
      companyId: 'acme-healthy',
      userId: 'svc_sync',
      userPassword: PLANTED.wrongPassword,
    });
    expect(bad.body.status).toBe('failed');
    await call('POST', `/api/connections/${good.body.id}/check`);
    await call('PUT', `/api/connections/${bad.body.id}/credentials`, { userPassword: PLANTED.userPassword });
    // A malformed body that carries a password must not be echoed.
    const malformed = await call('POST', '/api/connections', {
      companyId: 'acme healthy',
      userId: 'svc_sync',
      userPassword: PLANTED.userPassword,
    });
    expect(malformed.status).toBe(400);
    const typed = await call('POST', '/api/connections', {
      companyId: 'acme-healthy',
      userId: ['x'],
      userPassword: PLANTED.wrongPassword,
    });
    expect(typed.status).toBe(400);
    await call('GET', '/api/connections', undefined, PLANTED.wrongPassword);
    // The one answer that must carry a token is the one that creates it for the host product.
    const session = await server.api('POST', '/api/connect-sessions', { customerRef: 'c1' }, key);
    const token = session.body.token as string;
    tokens.push(token);
    await call('GET', '/api/connect/config', undefined, token);
    await call('POST', '/api/connect/precheck', { companyId: 'acme-healthy' }, token);
    const sse = await fetch(`${server.url}/api/connect/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        companyId: 'acme-healthy',
        userId: 'svc_sync',
        userPassword: PLANTED.userPassword,
      }),
    });
    answers.push(await sse.text());
    // The Connect UI is opened with the token in its URL; the request log must not keep it.
    answers.push(await (await fetch(`${server.url}/?token=${token}`)).text());
    for (const path of [
      '/api/connections',
      `/api/connections/${good.body.id}`,
      `/api/connections/${good.body.id}/checks`,
      '/api/issues',
      '/api/audit',
      '/api/webhooks',
      '/api/webhooks/deliveries',
    ]) {
      await call('GET', path);
    }
    // Let the webhook dispatcher try (and fail) its deliveries so its log lines exist too.
    await new Promise((r) => setTimeout(r, 300));

    expect(sessionIds.size).toBeGreaterThan(0);
    const planted = [...Object.values(PLANTED), ...sessionIds, ...tokens];
    const logs = server.logs.text;
    expect(logs.length).toBeGreaterThan(1000);
    const db = await dumpAllTables(server.storage);
    const files = ['server.db', 'server.db-wal']
      .map((f) => join(dir, f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1'));
    for (const secret of planted) {
      for (const [where, text] of [
        ['answers', answers.join('\n')],
        ['logs', logs],
        ['database columns', db],
        ['database files', files.join('\n')],
      ] as const) {
        expect(text.includes(secret), `${secret.slice(0, 12)}… found in ${where}`).toBe(false);
      }
    }
    // The log still says what happened, with the secrets replaced.
    expect(logs).toContain('[redacted]');
    expect(logs).toContain('/api/connections');
  });
});
