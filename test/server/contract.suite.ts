import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { verifyWebhookSignature } from '../../src/server/index.js';
import { startTestEmulator } from '../helpers/emulator.js';
import {
  API_KEY,
  DEMO,
  dropSchema,
  parseSse,
  requirePostgres,
  startTestServer,
  type TestServer,
  uniqueSchema,
} from './helpers.js';

interface Received {
  body: string;
  headers: IncomingMessage['headers'];
}

/** The CONTRACT §2b API and the connect/webhook extras, run once per storage engine. */
export function contractSuite(engine: 'sqlite' | 'postgres'): void {
  describe(`server API on ${engine}`, () => {
    let emu: RunningEmulator;
    let server: TestServer;
    let dir: string;
    let schema: string | undefined;
    let enabled = true;
    let hookServer: Server;
    let hookUrl: string;
    const received: Received[] = [];
    const hookSecret = 'whsec_test_secret_for_contract_0123';

    beforeAll(async () => {
      if (engine === 'postgres') {
        enabled = await requirePostgres();
        if (!enabled) return;
        schema = uniqueSchema('contract');
      }
      dir = mkdtempSync(join(tmpdir(), 'ic-contract-'));
      emu = await startTestEmulator();
      hookServer = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => {
          body += c;
        });
        req.on('end', () => {
          received.push({ body, headers: req.headers });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
      const addr = hookServer.address();
      hookUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hooks`;
      server = await startTestServer({
        engine,
        emulatorUrl: emu.url,
        dir,
        ...(schema ? { schema } : {}),
        webhooks: { intervalMs: 100, baseDelayMs: 50 },
      });
    });

    afterAll(async () => {
      await server?.close();
      await emu?.close();
      await new Promise<void>((r) => (hookServer ? hookServer.close(() => r()) : r()));
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (schema) await dropSchema(schema);
    });

    const skipIfNoPg = (ctx: { skip: () => void }) => {
      if (!enabled) ctx.skip();
    };

    it('answers /healthz without a key and /openapi.json describes every route', async (ctx) => {
      skipIfNoPg(ctx);
      const h = await server.api('GET', '/healthz', undefined, null);
      expect(h.status).toBe(200);
      expect(h.body).toEqual({ ok: true });
      const o = await server.api('GET', '/openapi.json', undefined, null);
      expect(o.status).toBe(200);
      expect(o.body.openapi).toMatch(/^3\./);
      for (const p of [
        '/api/connections',
        '/api/connections/{id}',
        '/api/connections/{id}/check',
        '/api/connect-sessions',
      ]) {
        expect(Object.keys(o.body.paths)).toContain(p);
      }
      const create = o.body.paths['/api/connections'].post;
      expect(create.requestBody.content['application/json'].schema.required).toEqual(
        expect.arrayContaining(['companyId', 'userId', 'userPassword']),
      );
      expect(h.headers.get('x-content-type-options')).toBe('nosniff');
      expect(h.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
      expect(h.headers.get('referrer-policy')).toBe('no-referrer');
    });

    it('refuses the management API without the key (401)', async (ctx) => {
      skipIfNoPg(ctx);
      expect((await server.api('GET', '/api/connections', undefined, null)).status).toBe(401);
      expect((await server.api('GET', '/api/connections', undefined, 'wrong-key')).status).toBe(401);
      const r = await server.api(
        'POST',
        '/api/connections',
        { companyId: 'x', userId: 'y', userPassword: 'z' },
        `${API_KEY}x`,
      );
      expect(r.status).toBe(401);
      expect(r.body.error.message).toBeTruthy();
    });

    it('refuses malformed bodies with 400 naming the field', async (ctx) => {
      skipIfNoPg(ctx);
      const missing = await server.api('POST', '/api/connections', {
        companyId: 'acme-healthy',
        userId: 'svc_sync',
      });
      expect(missing.status).toBe(400);
      expect(missing.body.error.field).toBe('userPassword');
      const wrongType = await server.api('POST', '/api/connections', {
        companyId: 42,
        userId: 'u',
        userPassword: 'p',
      });
      expect(wrongType.status).toBe(400);
      expect(wrongType.body.error.field).toBe('companyId');
      const extra = await server.api('POST', '/api/connections', {
        companyId: 'a',
        userId: 'u',
        userPassword: 'p',
        sneaky: 1,
      });
      expect(extra.status).toBe(400);
      expect(extra.body.error.field).toBe('sneaky');
      const badJson = await server.api('POST', '/api/connections', '{"companyId": ');
      expect(badJson.status).toBe(400);
      expect(badJson.body.error.field).toBe('body');
      const notObject = await server.api('POST', '/api/connections', '[1,2]');
      expect(notObject.status).toBe(400);
      expect(notObject.body.error.field).toBe('body');
      const space = await server.api('POST', '/api/connections', {
        companyId: 'acme healthy',
        userId: 'u',
        userPassword: 'p',
      });
      expect(space.status).toBe(400);
      expect(space.body.error.field).toBe('companyId');
    });

    let healthyId = '';
    let webhookId = '';

    it('registers a webhook (secret never echoed back when given)', async (ctx) => {
      skipIfNoPg(ctx);
      const r = await server.api('POST', '/api/webhooks', { url: hookUrl, secret: hookSecret });
      expect(r.status).toBe(201);
      expect(r.body.secret).toBeUndefined();
      webhookId = r.body.id;
      const list = await server.api('GET', '/api/webhooks');
      expect(list.body.webhooks.map((w: { id: string }) => w.id)).toContain(webhookId);
      expect(list.text).not.toContain(hookSecret);
      const bad = await server.api('POST', '/api/webhooks', { url: 'ftp://x' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.field).toBe('url');
    });

    it('POST /api/connections stores a healthy connection as connected with the doctor report', async (ctx) => {
      skipIfNoPg(ctx);
      const r = await server.api('POST', '/api/connections', {
        companyId: 'acme-healthy',
        userId: DEMO.userId,
        userPassword: DEMO.userPassword,
      });
      expect(r.status).toBe(201);
      expect(r.body.status).toBe('connected');
      expect(r.body.report.ok).toBe(true);
      expect(Array.isArray(r.body.report.checks)).toBe(true);
      expect(r.body.report.roundTrips).toBeGreaterThan(0);
      expect(r.body.id).toMatch(/^con_/);
      healthyId = r.body.id;
      expect(r.text).not.toContain(DEMO.userPassword);
    });

    it('POST /api/connections stores a broken connection as failed with the root cause', async (ctx) => {
      skipIfNoPg(ctx);
      const r = await server.api('POST', '/api/connections', {
        companyId: 'acme-healthy',
        userId: DEMO.userId,
        userPassword: 'not-the-password',
      });
      expect(r.status).toBe(201);
      expect(r.body.status).toBe('failed');
      expect(r.body.report.ok).toBe(false);
      expect(r.body.report.findings[0].cause).toBe('user.invalid_credentials');
      const one = await server.api('GET', `/api/connections/${r.body.id}`);
      expect(one.body.status).toBe('failed');
      expect(one.body.issues.map((i: { cause: string }) => i.cause)).toContain('user.invalid_credentials');
      expect(one.body.issues[0].status).toBe('open');
    });

    it('GET /api/connections lists and GET /api/connections/:id shows the §2b fields', async (ctx) => {
      skipIfNoPg(ctx);
      const list = await server.api('GET', '/api/connections');
      expect(list.status).toBe(200);
      expect(list.body.connections.map((c: { id: string }) => c.id)).toContain(healthyId);
      const one = await server.api('GET', `/api/connections/${healthyId}`);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({
        id: healthyId,
        companyId: 'acme-healthy',
        userId: DEMO.userId,
        entityId: null,
        status: 'connected',
      });
      expect(typeof one.body.lastCheckedAt).toBe('string');
      expect(one.body.issues).toEqual([]);
      expect(one.text).not.toContain(DEMO.userPassword);
      expect((await server.api('GET', '/api/connections/con_doesnotexist')).status).toBe(404);
    });

    it('issues open on failure, resolve after a healthy check and reopen on relapse, with webhooks', async (ctx) => {
      skipIfNoPg(ctx);
      const company = emu.context.findCompany('acme-healthy')!;
      const user = company.users.find((u) => u.id === DEMO.userId)!;
      try {
        user.status = 'locked_out';
        const fail1 = await server.api('POST', `/api/connections/${healthyId}/check`);
        expect(fail1.status).toBe(200);
        expect(fail1.body.status).toBe('failed');
        const cause = fail1.body.report.findings[0].cause;
        let one = await server.api('GET', `/api/connections/${healthyId}`);
        expect(one.body.issues).toHaveLength(1);
        expect(one.body.issues[0]).toMatchObject({ cause, status: 'open', reopenedCount: 0 });

        user.status = 'active';
        const ok = await server.api('POST', `/api/connections/${healthyId}/check`);
        expect(ok.body.status).toBe('connected');
        one = await server.api('GET', `/api/connections/${healthyId}`);
        expect(one.body.issues[0]).toMatchObject({ cause, status: 'resolved' });
        expect(one.body.issues[0].resolvedAt).toBeTruthy();

        user.status = 'locked_out';
        await server.api('POST', `/api/connections/${healthyId}/check`);
        one = await server.api('GET', `/api/connections/${healthyId}`);
        expect(one.body.issues).toHaveLength(1);
        expect(one.body.issues[0]).toMatchObject({ cause, status: 'open', reopenedCount: 1 });
        const open = await server.api('GET', '/api/issues?status=open');
        expect(open.body.issues.map((i: { connectionId: string }) => i.connectionId)).toContain(healthyId);
        const badQuery = await server.api('GET', '/api/issues?status=maybe');
        expect(badQuery.status).toBe(400);
        expect(badQuery.body.error.field).toBe('status');
      } finally {
        user.status = 'active';
      }
      await server.api('POST', `/api/connections/${healthyId}/check`);
      const history = await server.api('GET', `/api/connections/${healthyId}/checks`);
      expect(history.body.checks.map((c: { ok: boolean }) => c.ok)).toEqual([true, false, true, false, true]);

      // Webhooks: connected (create), failed, issue.opened, connected, issue.resolved, failed, issue.opened (reopen), ...
      const deadline = Date.now() + 10_000;
      const forThis = () =>
        received
          .map((r) => ({ r, p: JSON.parse(r.body) }))
          .filter(({ p }) => p.data.connection.id === healthyId)
          .map(({ p }) => p.type as string);
      while (Date.now() < deadline && forThis().length < 8) await new Promise((r) => setTimeout(r, 100));
      expect(forThis()).toEqual(
        expect.arrayContaining([
          'connection.connected',
          'connection.failed',
          'issue.opened',
          'issue.resolved',
        ]),
      );
      expect(forThis().filter((t) => t === 'issue.opened')).toHaveLength(2);
      for (const r of received) {
        expect(
          verifyWebhookSignature({
            body: r.body,
            header: r.headers['intacct-connect-signature'] as string,
            secret: hookSecret,
          }),
        ).toBe(true);
        expect(
          verifyWebhookSignature({
            body: `${r.body} `,
            header: r.headers['intacct-connect-signature'] as string,
            secret: hookSecret,
          }),
        ).toBe(false);
      }
      const log = await server.api('GET', '/api/webhooks/deliveries');
      expect(log.body.deliveries.some((d: { status: string }) => d.status === 'delivered')).toBe(true);
    });

    it('connect sessions: the Connect UI flow with SSE progress, scoped to its token', async (ctx) => {
      skipIfNoPg(ctx);
      const s = await server.api('POST', '/api/connect-sessions', {
        customerRef: 'cust-42',
        ttlSeconds: 600,
      });
      expect(s.status).toBe(201);
      expect(s.body.token).toMatch(/^ct_/);
      expect(s.body.url).toContain(`?token=${s.body.token}`);
      const token = s.body.token as string;
      // The connect token is not a management key, nor the reverse.
      expect((await server.api('GET', '/api/connections', undefined, token)).status).toBe(401);
      expect((await server.api('GET', '/api/connect/config', undefined, API_KEY)).status).toBe(401);
      const cfg = await server.api('GET', '/api/connect/config', undefined, token);
      expect(cfg.status).toBe(200);
      expect(cfg.body.senderId).toBe(DEMO.senderId);
      expect(cfg.body.requirements.find((r: { object: string }) => r.object === 'VENDOR')).toMatchObject({
        module: 'Accounts Payable',
        rights: ['List'],
      });
      expect((await server.api('POST', '/api/connect/token', undefined, null)).status).toBe(403);

      const res = await fetch(`${server.url}/api/connect/connections`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          companyId: 'acme-healthy',
          userId: DEMO.userId,
          userPassword: DEMO.userPassword,
        }),
      });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const text = await res.text();
      expect(text).not.toContain(DEMO.userPassword);
      const events = parseSse(text);
      expect(events.filter((e) => e.event === 'progress').length).toBeGreaterThan(0);
      const result = events.at(-1)!;
      expect(result.event).toBe('result');
      expect(result.data.status).toBe('connected');
      const mine = await server.api('GET', `/api/connect/connections/${result.data.id}`, undefined, token);
      expect(mine.status).toBe(200);
      expect(mine.body.customerRef).toBe('cust-42');
      const other = await server.api('POST', '/api/connect-sessions', {});
      expect(
        (await server.api('GET', `/api/connect/connections/${result.data.id}`, undefined, other.body.token))
          .status,
      ).toBe(404);
      const audit = await server.api('GET', '/api/audit');
      const actions = audit.body.entries.filter(
        (e: { connectionId: string }) => e.connectionId === result.data.id,
      );
      expect(actions.map((e: { action: string }) => e.action)).toEqual([
        'connection.checked',
        'connection.created',
      ]);
      expect(actions[0].actor).toMatch(/^connect:cs_/);
      const bad = await fetch(`${server.url}/api/connect/connections`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ companyId: 'acme-healthy', userId: DEMO.userId }),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('userPassword');
    });

    it('rate-limits credential submission per address and company', async (ctx) => {
      skipIfNoPg(ctx);
      const s = await server.api('POST', '/api/connect-sessions', {});
      const token = s.body.token as string;
      const statuses: number[] = [];
      // The test server allows 1000 per window; precheck has its own, but submission is what we exercise.
      const small = await startTestServer({
        engine: 'sqlite',
        emulatorUrl: emu.url,
        dir,
        config: { credentialLimit: { max: 3, windowMs: 60_000 } },
      }).catch(() => undefined);
      if (!small) throw new Error('could not start the rate-limit server');
      try {
        for (let i = 0; i < 5; i++) {
          const r = await small.api('POST', '/api/connections', {
            companyId: 'acme-healthy',
            userId: 'svc_sync',
            userPassword: `guess-${i}`,
          });
          statuses.push(r.status);
        }
        expect(statuses).toEqual([201, 201, 201, 429, 429]);
        const other = await small.api('POST', '/api/connections', {
          companyId: 'acme-multi',
          userId: 'svc_sync',
          userPassword: 'guess',
        });
        expect(other.status).toBe(201);
      } finally {
        await small.close();
      }
      expect(token).toMatch(/^ct_/);
    });

    it('DELETE /api/connections/:id answers 204 and forgets it', async (ctx) => {
      skipIfNoPg(ctx);
      const r = await server.api('DELETE', `/api/connections/${healthyId}`);
      expect(r.status).toBe(204);
      expect((await server.api('GET', `/api/connections/${healthyId}`)).status).toBe(404);
      expect((await server.api('DELETE', `/api/connections/${healthyId}`)).status).toBe(404);
      expect((await server.api('POST', `/api/connections/${healthyId}/check`)).status).toBe(404);
    });

    it('serves the UI shell (or the not-built page) at / and JSON 404 under /api', async (ctx) => {
      skipIfNoPg(ctx);
      const page = await fetch(`${server.url}/some/app/route`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('not built');
      const api404 = await server.api('GET', '/api/nope');
      expect(api404.status).toBe(404);
      expect(api404.body.error.message).toBeTruthy();
    });
  });
}
