import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry, RunningEmulator } from '../../src/emulator/index.js';
import { loadDemoWorld, redact, startEmulator } from '../../src/emulator/index.js';
import { postXml, startTestEmulator, xmlRequest } from '../helpers/emulator.js';
import { readResponse } from './xml-helpers.js';

const SESSION = ['<getAPISession/>'];
const rbq = (object: string) =>
  `<readByQuery><object>${object}</object><query></query><fields>*</fields><pagesize>1</pagesize></readByQuery>`;

describe('faults', () => {
  const base = loadDemoWorld();
  let em: RunningEmulator;
  beforeAll(async () => {
    em = await startTestEmulator({
      senders: base.senders,
      companies: base.companies,
      faults: [
        { match: { company: 'rate-limited' }, effect: 'rate_limited' },
        { match: { company: 'outage' }, effect: 'unavailable' },
        {
          match: { function: 'readByQuery', object: 'VENDOR', company: 'acme-healthy' },
          effect: 'rate_limited',
          count: 2,
        },
        { match: { object: 'APBILL' }, effect: 'html_error' },
        { match: { object: 'ARINVOICE' }, effect: 'html_error', status: 502 },
        { match: { object: 'GLENTRY' }, effect: 'drop_connection' },
        { match: { object: 'CUSTOMER' }, effect: 'timeout' },
        { match: { object: 'DEPARTMENT' }, effect: 'latency', latencyMs: 250 },
        { match: { object: 'LOCATION' }, effect: 'offline' },
        { match: { api: 'rest' }, effect: 'unavailable' },
      ],
      behaviours: { retryAfterOnXml429: true },
    });
  });
  afterAll(async () => {
    await em.close();
  });

  it('rate_limited: HTTP 429 with a GW-0010 gateway body and a Content-Type', async () => {
    const r = await postXml(em.url, xmlRequest({ companyId: 'rate-limited', functions: SESSION }));
    expect(r.status).toBe(429);
    expect(r.contentType).toBe('text/xml; encoding="UTF-8"');
    const x = readResponse(r.body);
    expect(x.control.keys).toEqual(['status']);
    expect(x.errors[0]!.errorno).toBe('GW-0010');
    expect(x.errors[0]!.description).toMatch(/^API rate limit exceeded \[Request ID: /);
    // This world turns on Retry-After for XML 429s (U12).
    const raw = await fetch(`${em.url}/ia/xml/xmlgw.phtml`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: xmlRequest({ companyId: 'rate-limited', functions: SESSION }),
    });
    expect(raw.headers.get('retry-after')).toBe('1');
  });

  it('count limits how many requests a fault hits; reset restores it', async () => {
    const statuses = async () => {
      const out: number[] = [];
      for (let i = 0; i < 3; i++)
        out.push((await postXml(em.url, xmlRequest({ functions: [rbq('VENDOR')] }))).status);
      return out;
    };
    expect(await statuses()).toEqual([429, 429, 200]);
    // Other functions and objects are not matched.
    expect((await postXml(em.url, xmlRequest({ functions: [rbq('GLACCOUNT')] }))).status).toBe(200);
    await fetch(`${em.url}/_emulator/reset`, { method: 'POST' });
    expect(await statuses()).toEqual([429, 429, 200]);
  });

  it('unavailable: HTTP 503', async () => {
    const r = await postXml(em.url, xmlRequest({ companyId: 'outage', functions: SESSION }));
    expect(r.status).toBe(503);
    expect(r.contentType).toMatch(/text\/html/);
  });

  it('html_error: a Cloudflare-style page with cf-error-details, 524 by default', async () => {
    const a = await postXml(em.url, xmlRequest({ functions: [rbq('APBILL')] }));
    expect(a.status).toBe(524);
    expect(a.body).toContain('cf-error-details');
    expect(a.body).toContain('A timeout occurred');
    const b = await postXml(em.url, xmlRequest({ functions: [rbq('ARINVOICE')] }));
    expect(b.status).toBe(502);
  });

  it('drop_connection: the socket closes without an answer', async () => {
    await expect(postXml(em.url, xmlRequest({ functions: [rbq('GLENTRY')] }))).rejects.toThrow();
  });

  it('timeout: never answers, until the client gives up', async () => {
    const started = Date.now();
    await expect(
      fetch(`${em.url}/ia/xml/xmlgw.phtml`, {
        method: 'POST',
        headers: { 'content-type': 'application/xml' },
        body: xmlRequest({ functions: [rbq('CUSTOMER')] }),
        signal: AbortSignal.timeout(400),
      }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('latency: delays the answer, which is otherwise normal', async () => {
    const started = performance.now();
    const r = await postXml(em.url, xmlRequest({ functions: [rbq('DEPARTMENT')] }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(245);
    expect(readResponse(r.body).result.status).toBe('success');
  });

  it('offline: HTTP 200 with the R-layer off-line text', async () => {
    const r = await postXml(em.url, xmlRequest({ functions: [rbq('LOCATION')] }));
    expect(r.status).toBe(200);
    const x = readResponse(r.body);
    expect(x.control.status).toBe('success');
    expect(x.result.status).toBe('failure');
    expect(x.result.errors[0]!.description2).toBe('The Service is Temporarily Off-line');
    expect(x.result.errors[0]!.correction).toMatch(/Please Try Again Later/);
  });
});

describe('world latency', () => {
  it('adds latencyMs to every answer', async () => {
    const base = loadDemoWorld();
    const em = await startTestEmulator({
      senders: base.senders,
      companies: base.companies.slice(0, 1),
      latencyMs: 150,
    });
    try {
      const started = performance.now();
      await postXml(em.url, xmlRequest({ functions: SESSION }));
      expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    } finally {
      await em.close();
    }
  });
});

describe('stats, reset and the request log', () => {
  const logged: LogEntry[] = [];
  let em: RunningEmulator;
  beforeAll(async () => {
    em = await startEmulator({
      logger: {
        info: (obj: unknown) => logged.push(obj as LogEntry),
      } as unknown as NonNullable<Parameters<typeof startEmulator>[0]>['logger'],
    });
  });
  afterAll(async () => {
    await em.close();
  });

  it('counts requests per API and resets stats, sessions, fault counters and hooks', async () => {
    const stats = async () =>
      (await (await fetch(`${em.url}/_emulator/stats`)).json()) as { requests: Record<string, number> };
    expect(await stats()).toEqual({ requests: { xml: 0, oauth: 0, rest: 0, total: 0 } });
    const x = readResponse((await postXml(em.url, xmlRequest({ functions: SESSION }))).body);
    const sessionId = (x.result.data as { api: { sessionid: string } }).api.sessionid;
    await postXml(em.url, xmlRequest({ sessionId, functions: ['<getDimensions/>'] }));
    const s = await stats();
    expect(s.requests.xml).toBe(2);
    expect(s.requests.total).toBeGreaterThanOrEqual(2);
    let hookRan = 0;
    em.context.onReset(() => {
      hookRan++;
    });
    const reset = await fetch(`${em.url}/_emulator/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(hookRan).toBe(1);
    expect(await stats()).toEqual({ requests: { xml: 0, oauth: 0, rest: 0, total: 0 } });
    const after = readResponse(
      (await postXml(em.url, xmlRequest({ sessionId, functions: ['<getDimensions/>'] }))).body,
    );
    expect(after.operations[0]!.errors[0]!.description2).toMatch(/^Invalid session/);
    // The world stays: sign-in still works.
    expect(readResponse((await postXml(em.url, xmlRequest({ functions: SESSION }))).body).result.status).toBe(
      'success',
    );
  });

  it('never logs a secret', async () => {
    const planted = {
      senderPassword: 'PLANTED-sender-9f3a',
      userPassword: 'PLANTED-user-77c1',
      sessionId: 'PLANTED-session-e5d2..',
    };
    await postXml(em.url, xmlRequest({ senderPassword: planted.senderPassword, functions: SESSION }));
    await postXml(em.url, xmlRequest({ userPassword: planted.userPassword, functions: SESSION }));
    await postXml(em.url, xmlRequest({ sessionId: planted.sessionId, functions: SESSION }));
    const ok = readResponse((await postXml(em.url, xmlRequest({ functions: SESSION }))).body);
    const realSession = (ok.result.data as { api: { sessionid: string } }).api.sessionid;
    await postXml(em.url, xmlRequest({ sessionId: realSession, functions: ['<getDimensions/>'] }));
    const everything = JSON.stringify([em.context.logs(), logged]);
    expect(em.context.logs().length).toBeGreaterThanOrEqual(5);
    expect(logged.length).toBeGreaterThanOrEqual(5);
    for (const secret of [...Object.values(planted), realSession, 'Connect-Demo-1', 'sender-demo-secret']) {
      expect(everything).not.toContain(secret);
    }
  });

  it('redact() masks secrets in XML, form bodies, JSON and headers', () => {
    const text = [
      '<password>p1</password><sessionid>s1..</sessionid><PASSWORD>p2</PASSWORD>',
      'grant_type=refresh_token&refresh_token=r1&client_secret=c1&code=k1',
      '{"access_token":"a1","client_secret":"c2","password":"p3"}',
      'Authorization: Bearer eyJ.x.y',
    ].join('\n');
    const out = redact(text);
    for (const secret of ['p1', 's1..', 'p2', 'r1', 'c1', 'k1', 'a1', 'c2', 'p3', 'eyJ.x.y']) {
      expect(out).not.toMatch(new RegExp(`[>=":\\s]${secret.replace(/\./g, '\\.')}(?![\\w.])`));
    }
    expect(out).toContain('grant_type=refresh_token');
  });
});

describe('concurrency limit (U11)', () => {
  const world = (queueMs: number) => ({
    senders: [{ id: 'S', password: 'p' }],
    companies: [
      { id: 'c', senderAuthorizations: [{ sender: 'S' }], users: [{ id: 'u', password: 'pw' }] },
      { id: 'd', senderAuthorizations: [{ sender: 'S' }], users: [{ id: 'u', password: 'pw' }] },
    ],
    // Long enough that parallel requests overlap even on a busy machine.
    latencyMs: 300,
    behaviours: { concurrencyLimit: 1, concurrencyQueueMs: queueMs },
  });
  const body = (companyId: string) =>
    xmlRequest({
      senderId: 'S',
      senderPassword: 'p',
      companyId,
      userId: 'u',
      userPassword: 'pw',
      functions: SESSION,
    });

  it('answers 429 GW-0010 when a request finds every slot taken and may not queue', async () => {
    const em = await startTestEmulator(world(0));
    try {
      const [a, b, other] = await Promise.all([
        postXml(em.url, body('c')),
        postXml(em.url, body('c')),
        postXml(em.url, body('d')),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 429]);
      const refused = a.status === 429 ? a : b;
      expect(readResponse(refused.body).errors[0]!.errorno).toBe('GW-0010');
      // The limit is per company.
      expect(other.status).toBe(200);
    } finally {
      await em.close();
    }
  });

  it('queues the overflow while a slot frees up within concurrencyQueueMs', async () => {
    const em = await startTestEmulator(world(5_000));
    try {
      const started = performance.now();
      const all = await Promise.all([
        postXml(em.url, body('c')),
        postXml(em.url, body('c')),
        postXml(em.url, body('c')),
      ]);
      expect(all.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(880);
    } finally {
      await em.close();
    }
  });
});
