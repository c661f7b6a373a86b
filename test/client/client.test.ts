import { afterEach, describe, expect, it } from 'vitest';
import {
  IntacctAuthenticationError,
  IntacctClient,
  type IntacctClientOptions,
  IntacctGatewayError,
  IntacctResultError,
  IntacctTransportError,
  recordText,
} from '../../src/client/xml/index.js';
import {
  type Answer,
  failResult,
  type Handler,
  invalidSessionBody,
  LoopbackGateway,
  okEnvelope,
  okResult,
  type SeenRequest,
  xmlEscape,
} from './gateway.js';
import { captureAsync, fixture } from './helpers.js';

const gateways: LoopbackGateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
});
async function start(handler: Handler): Promise<LoopbackGateway> {
  const g = await new LoopbackGateway(handler).start();
  gateways.push(g);
  return g;
}

let companySeq = 0;
function client(g: LoopbackGateway, over: Partial<IntacctClientOptions> = {}): IntacctClient {
  return new IntacctClient({
    senderId: 'IntacctConnect',
    senderPassword: 'sender-secret',
    // A fresh company per client keeps the process-wide semaphores of different tests apart.
    companyId: `acme-${++companySeq}`,
    userId: 'svc_sync',
    userPassword: 'user-secret',
    endpointUrl: g.url,
    env: {},
    homeDir: '/nonexistent-home',
    retry: { baseDelayMs: 5, maxDelayMs: 2000 },
    timeoutMs: 5000,
    ...over,
  });
}

/** Answers every function with an empty success unless `each` says otherwise. */
const answerAll =
  (
    each: (fn: SeenRequest['functions'][number], req: SeenRequest) => string = (fn) => okResult(fn),
  ): Handler =>
  (req) => ({ body: okEnvelope(req.functions.map((fn) => each(fn, req)).join('')) });

function sessionResult(
  fn: { controlId: string; name: string },
  id: string,
  endpoint: string,
  entity = '',
): string {
  return okResult(
    fn,
    `<api><sessionid>${id}</sessionid><endpoint>${xmlEscape(endpoint)}</endpoint><locationid>${entity}</locationid></api>`,
  );
}

describe('retries', () => {
  it('retries 5xx with backoff, then succeeds', async () => {
    const g = await start((req, n) => (n < 3 ? { status: 503, body: '' } : answerAll()(req, n)));
    const c = client(g);
    const r = await c.readByQuery({ object: 'VENDOR' });
    expect(r.status).toBe('success');
    expect(g.seen).toHaveLength(3);
    expect(c.roundTrips).toBe(3);
  });

  it('gives up after maxRetries with the gateway error', async () => {
    const g = await start(() => ({
      status: 502,
      body: '<html lang="en"><title>502</title></html>',
      headers: { 'content-type': 'text/html' },
    }));
    const e = (await captureAsync(() =>
      client(g, { maxRetries: 2 }).readByQuery({ object: 'VENDOR' }),
    )) as IntacctGatewayError;
    expect(e).toBeInstanceOf(IntacctGatewayError);
    expect(e.httpStatus).toBe(502);
    expect(g.seen).toHaveLength(3);
  });

  it('does not retry 524 by default, does when asked', async () => {
    const page = fixture('cloudflare-524.html');
    const g = await start(() => ({ status: 524, body: page, headers: { 'content-type': 'text/html' } }));
    const e = (await captureAsync(() => client(g).readByQuery({ object: 'VENDOR' }))) as IntacctGatewayError;
    expect(e.kind).toBe('edge_timeout');
    expect(g.seen).toHaveLength(1);
    await captureAsync(() =>
      client(g, { maxRetries: 1, retry: { baseDelayMs: 1, retry524: true } }).readByQuery({
        object: 'VENDOR',
      }),
    );
    expect(g.seen).toHaveLength(3);
  });

  it('honours Retry-After in seconds on 429 GW-0010, even for writes', async () => {
    const body429 = fixture('gateway-gw0010-429.xml');
    const g = await start((req, n) =>
      n === 1 ? { status: 429, body: body429, headers: { 'retry-after': '1' } } : answerAll()(req, n),
    );
    const started = performance.now();
    await client(g).create({ object: 'VENDOR', fields: { VENDORID: 'V1' } });
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(g.seen).toHaveLength(2);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const body429 = fixture('gateway-gw0010-429.xml');
    let retryAt = 0;
    const g = await start((req, n) => {
      if (n === 1) {
        retryAt = Math.ceil((Date.now() + 1500) / 1000) * 1000;
        return { status: 429, body: body429, headers: { 'retry-after': new Date(retryAt).toUTCString() } };
      }
      return answerAll()(req, n);
    });
    await client(g, { retry: { baseDelayMs: 5, maxDelayMs: 5000 } }).readByQuery({ object: 'VENDOR' });
    expect(g.seen).toHaveLength(2);
    expect(Date.now()).toBeGreaterThanOrEqual(retryAt - 50);
  });

  it('retries network errors for reads only', async () => {
    const flaky: Handler = (req, n) => (n === 1 ? { destroy: true } : answerAll()(req, n));
    const g1 = await start(flaky);
    await client(g1).readByQuery({ object: 'VENDOR' });
    expect(g1.seen).toHaveLength(2);

    const g2 = await start(flaky);
    const e = (await captureAsync(() =>
      client(g2).create({ object: 'VENDOR', fields: { VENDORID: 'V1' } }),
    )) as IntacctTransportError;
    expect(e).toBeInstanceOf(IntacctTransportError);
    expect(e.kind).toBe('reset');
    expect(g2.seen).toHaveLength(1);

    const g3 = await start(flaky);
    await captureAsync(() =>
      client(g3).executeBatch([{ controlId: 'a', function: 'readByQuery', xml: '<readByQuery/>' }], {
        transaction: true,
      }),
    );
    expect(g3.seen).toHaveLength(1);
  });

  it('a plain 500 is not repeated for writes (it may have committed)', async () => {
    const g = await start(() => ({
      status: 500,
      body: 'Internal Server Error',
      headers: { 'content-type': 'text/plain' },
    }));
    await captureAsync(() => client(g).update({ object: 'VENDOR', fields: { RECORDNO: 1 } }));
    expect(g.seen).toHaveLength(1);
  });

  it('timeouts are retried for reads and reported with kind timeout', async () => {
    const g = await start((req, n) => (n === 1 ? { delayMs: 600, body: '' } : answerAll()(req, n)));
    await client(g, { timeoutMs: 150 }).readByQuery({ object: 'VENDOR' });
    expect(g.seen).toHaveLength(2);
    const g2 = await start(() => ({ delayMs: 600, body: '' }));
    const e = (await captureAsync(() =>
      client(g2, { timeoutMs: 100, maxRetries: 1 }).readByQuery({ object: 'VENDOR' }),
    )) as IntacctTransportError;
    expect(e.kind).toBe('timeout');
    expect(g2.seen).toHaveLength(2);
  });

  it('a caller abort during the retry wait stops at once with a typed error', async () => {
    const g = await start(() => ({ status: 503, body: '' }));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const started = performance.now();
    const e = (await captureAsync(() =>
      client(g, { retry: { baseDelayMs: 5000, maxDelayMs: 5000 } }).readByQuery(
        { object: 'VENDOR' },
        { signal: ac.signal },
      ),
    )) as IntacctTransportError;
    expect(e).toBeInstanceOf(IntacctTransportError);
    expect(e.aborted).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(g.seen).toHaveLength(1);
  });

  it('reads gzip-compressed responses', async () => {
    const g = await start((req) => ({
      gzip: true,
      body: okEnvelope(
        req.functions
          .map((fn) => okResult(fn, '<vendor><NAME>Zipped</NAME></vendor>', ' count="1"'))
          .join(''),
      ),
    }));
    const r = await client(g).readByQuery({ object: 'VENDOR' });
    expect(r.data).toEqual([{ NAME: 'Zipped' }]);
  });
});

describe('concurrency', () => {
  it('never has more than 2 requests in flight per company', async () => {
    const g = await start(async (req, n) => ({ ...(answerAll()(req, n) as Answer), delayMs: 60 }));
    const c = client(g);
    const other = new IntacctClient({ ...optionsOf(g), companyId: `acme-${companySeq}` });
    await Promise.all([
      ...Array.from({ length: 5 }, () => c.readByQuery({ object: 'VENDOR' })),
      ...Array.from({ length: 3 }, () => other.readByQuery({ object: 'VENDOR' })),
    ]);
    expect(g.seen).toHaveLength(8);
    expect(g.maxInFlight).toBe(2);
    expect(c.concurrency.maxInFlight).toBe(2);
  });

  it('the limit is configurable', async () => {
    const g = await start(async (req, n) => ({ ...(answerAll()(req, n) as Answer), delayMs: 60 }));
    const c = client(g, { concurrency: 3 });
    await Promise.all(Array.from({ length: 6 }, () => c.readByQuery({ object: 'VENDOR' })));
    expect(g.maxInFlight).toBe(3);
  });
});

function optionsOf(g: LoopbackGateway): IntacctClientOptions {
  return {
    senderId: 'IntacctConnect',
    senderPassword: 'sender-secret',
    userId: 'svc_sync',
    userPassword: 'user-secret',
    endpointUrl: g.url,
    env: {},
    homeDir: '/nonexistent-home',
    retry: { baseDelayMs: 5 },
  };
}

describe('sessions', () => {
  it('getAPISession switches to the returned endpoint and session, never sending login with it', async () => {
    let g!: LoopbackGateway;
    g = await start((req, n) => {
      const fn = req.functions[0]!;
      if (fn.name === 'getAPISession')
        return { body: okEnvelope(sessionResult(fn, 'SESS1..', `${g.origin}/session/xmlgw.phtml`)) };
      return answerAll()(req, n);
    });
    const c = client(g);
    const s = await c.getAPISession();
    expect(s.sessionId).toBe('SESS1..');
    expect(s.endpointUrl).toBe(`${g.origin}/session/xmlgw.phtml`);
    expect(s.expiresAt).toBe(Date.parse('2099-01-01T06:00:00+00:00'));
    expect(g.seen[0]?.auth).toBe('login');
    expect(g.seen[0]?.functions).toHaveLength(1);
    await c.readByQuery({ object: 'VENDOR' });
    const second = g.seen[1]!;
    expect(second.path).toBe('/session/xmlgw.phtml');
    expect(second.auth).toBe('session');
    expect(second.sessionId).toBe('SESS1..');
    expect(second.body).not.toContain('user-secret');
    expect(second.body).not.toContain('<login>');
  });

  it('slides the session expiry with every response', async () => {
    let timeout = '2099-01-01T06:00:00+00:00';
    let g!: LoopbackGateway;
    g = await start((req) => {
      const fn = req.functions[0]!;
      if (fn.name === 'getAPISession') return { body: okEnvelope(sessionResult(fn, 'S..', g.url), timeout) };
      return { body: okEnvelope(okResult(fn), timeout) };
    });
    const c = client(g);
    await c.getAPISession();
    timeout = '2099-01-01T09:30:00+00:00';
    await c.readByQuery({ object: 'VENDOR' });
    expect(c.currentSession?.expiresAt).toBe(Date.parse(timeout));
  });

  it('renews an expired session before using it', async () => {
    let issued = 0;
    let g!: LoopbackGateway;
    g = await start((req) => {
      const fn = req.functions[0]!;
      // The first session is already past its timeout; the second is good.
      if (fn.name === 'getAPISession') {
        issued++;
        return {
          body: okEnvelope(
            sessionResult(fn, `S${issued}..`, g.url),
            issued === 1 ? '2000-01-01T00:00:00Z' : '2099-01-01T00:00:00Z',
          ),
        };
      }
      return { body: okEnvelope(okResult(fn)) };
    });
    const c = client(g);
    await c.getAPISession();
    await c.readByQuery({ object: 'VENDOR' });
    expect(g.seen.map((r) => r.functions[0]?.name)).toEqual([
      'getAPISession',
      'getAPISession',
      'readByQuery',
    ]);
    expect(g.seen[2]?.sessionId).toBe('S2..');
  });

  it('signs in again once on an invalid session, then carries on', async () => {
    let g!: LoopbackGateway;
    g = await start((req) => {
      const fn = req.functions[0]!;
      if (req.auth === 'session' && req.sessionId === 'OLD..') return { body: invalidSessionBody };
      if (fn.name === 'getAPISession') return { body: okEnvelope(sessionResult(fn, 'NEW..', g.url)) };
      return { body: okEnvelope(okResult(fn)) };
    });
    const c = client(g, { sessionId: 'OLD..' });
    const r = await c.readByQuery({ object: 'VENDOR' });
    expect(r.status).toBe('success');
    expect(g.seen.map((x) => [x.auth, x.functions[0]?.name])).toEqual([
      ['session', 'readByQuery'],
      ['login', 'getAPISession'],
      ['session', 'readByQuery'],
    ]);
    expect(g.seen[2]?.sessionId).toBe('NEW..');
  });

  it('without login credentials an invalid session is reported, not retried', async () => {
    const g = await start(() => ({ body: invalidSessionBody }));
    const c = new IntacctClient({
      ...optionsOf(g),
      userId: undefined,
      userPassword: undefined,
      sessionId: 'OLD..',
    });
    const e = (await captureAsync(() => c.readByQuery({ object: 'VENDOR' }))) as IntacctAuthenticationError;
    expect(e).toBeInstanceOf(IntacctAuthenticationError);
    expect(e.invalidSession).toBe(true);
    expect(g.seen).toHaveLength(1);
  });

  it('a second invalid session after re-login is reported', async () => {
    let g!: LoopbackGateway;
    g = await start((req) => {
      const fn = req.functions[0]!;
      if (req.auth === 'session') return { body: invalidSessionBody };
      return { body: okEnvelope(sessionResult(fn, 'NEW..', g.url)) };
    });
    const e = await captureAsync(() => client(g, { sessionId: 'OLD..' }).readByQuery({ object: 'VENDOR' }));
    expect(e).toBeInstanceOf(IntacctAuthenticationError);
    expect(g.seen).toHaveLength(3);
  });

  it('switchEntity opens a session in that entity via <login><locationid>', async () => {
    let g!: LoopbackGateway;
    g = await start((req) => {
      const fn = req.functions[0]!;
      if (fn.name === 'getAPISession')
        return { body: okEnvelope(sessionResult(fn, 'E..', g.url, req.login.locationid ?? '')) };
      return { body: okEnvelope(okResult(fn)) };
    });
    const c = client(g, { entityId: 'US' });
    await c.readByQuery({ object: 'VENDOR' });
    expect(g.seen[0]?.login.locationid).toBe('US');
    const s = await c.switchEntity('UK');
    expect(g.seen[1]?.login.locationid).toBe('UK');
    expect(s.entityId).toBe('UK');
    const top = await c.switchEntity('');
    expect(g.seen[2]?.login.locationid).toBeUndefined();
    expect(top.entityId).toBe('');
  });

  it('refuses to batch getAPISession with other functions', async () => {
    const g = await start(answerAll());
    const c = client(g);
    await expect(
      c.executeBatch([
        { controlId: 'a', function: 'getAPISession', xml: '<getAPISession/>' },
        { controlId: 'b', function: 'getDimensions', xml: '<getDimensions/>' },
      ]),
    ).rejects.toThrow(/alone/);
    expect(g.seen).toHaveLength(0);
  });
});

describe('paging and splitting', () => {
  const TOTAL = 250;
  function pager(): Handler {
    const cursors = new Map<string, number>();
    let nextId = 0;
    return (req) => {
      const fn = req.functions[0]!;
      let offset = 0;
      let size = 100;
      if (fn.name === 'readByQuery') {
        size = Number(fn.el.children?.find((c) => c.name === 'pagesize')?.text);
      } else if (fn.name === 'readMore') {
        const id = fn.el.children?.[0]?.text ?? '';
        offset = cursors.get(id) ?? -1;
        if (offset < 0) return { body: okEnvelope(failResult(fn, 'DL02000001', 'unknown resultId')) };
        size = 100;
      }
      const end = Math.min(TOTAL, offset + size);
      const remaining = TOTAL - end;
      const id = remaining > 0 ? `R${++nextId}` : '';
      if (id) cursors.set(id, end);
      let data = '';
      for (let i = offset; i < end; i++) data += `<vendor><RECORDNO>${i + 1}</RECORDNO></vendor>`;
      return {
        body: okEnvelope(
          okResult(
            fn,
            data,
            ` listtype="vendor" count="${end - offset}" totalcount="${TOTAL}" numremaining="${remaining}" resultId="${id}"`,
          ),
        ),
      };
    };
  }

  it('readAll follows readMore until nothing remains', async () => {
    const g = await start(pager());
    const c = client(g);
    const pages = [];
    for await (const page of c.readAll({ object: 'VENDOR', pageSize: 100 })) pages.push(page);
    expect(pages.map((p) => p.data.length)).toEqual([100, 100, 50]);
    expect(pages.map((p) => p.numRemaining)).toEqual([150, 50, 0]);
    expect(g.seen.map((r) => r.functions[0]?.name)).toEqual(['readByQuery', 'readMore', 'readMore']);
    const ids: string[] = [];
    for await (const rec of c.readAllRecords({ object: 'VENDOR', pageSize: 100 }))
      ids.push(recordText(rec, 'RECORDNO'));
    expect(ids).toHaveLength(TOTAL);
    expect(new Set(ids).size).toBe(TOTAL);
  });

  it('queryAll pages by offset', async () => {
    const g = await start((req) => {
      const fn = req.functions[0]!;
      const offset = Number(fn.el.children?.find((c) => c.name === 'offset')?.text ?? 0);
      const size = Number(fn.el.children?.find((c) => c.name === 'pagesize')?.text ?? 100);
      const end = Math.min(TOTAL, offset + size);
      let data = '';
      for (let i = offset; i < end; i++) data += `<GLACCOUNT><RECORDNO>${i + 1}</RECORDNO></GLACCOUNT>`;
      return {
        body: okEnvelope(
          okResult(
            fn,
            data,
            ` count="${end - offset}" totalcount="${TOTAL}" offset="${offset}" numremaining="${TOTAL - end}"`,
          ),
        ),
      };
    });
    const sizes: number[] = [];
    for await (const page of client(g).queryAll({
      object: 'GLACCOUNT',
      select: ['RECORDNO'],
      pageSize: 120,
    })) {
      sizes.push(page.data.length);
    }
    expect(sizes).toEqual([120, 120, 10]);
    expect(g.seen.map((r) => r.functions[0]?.el.children?.find((c) => c.name === 'offset')?.text)).toEqual([
      '0',
      '120',
      '240',
    ]);
  });

  it('read splits more than 100 keys into several functions', async () => {
    const g = await start(
      answerAll((fn) => {
        const keys = fn.el.children?.find((c) => c.name === 'keys')?.text.split(',') ?? [];
        return okResult(fn, keys.map((k) => `<vendor><RECORDNO>${k}</RECORDNO></vendor>`).join(''));
      }),
    );
    const keys = Array.from({ length: 250 }, (_, i) => String(i + 1));
    const records = await client(g).read({ object: 'VENDOR', keys });
    expect(records.map((r) => r.RECORDNO)).toEqual(keys);
    expect(g.seen).toHaveLength(1);
    expect(
      g.seen[0]?.functions.map((f) => f.el.children?.find((c) => c.name === 'keys')?.text.split(',').length),
    ).toEqual([100, 100, 50]);
  });

  it('execute throws IntacctResultError; executeBatch returns every result', async () => {
    const g = await start(
      answerAll((fn) =>
        fn.name === 'readByQuery'
          ? failResult(fn, 'Query Failed', 'Object definition BADOBJECT not found')
          : okResult(fn),
      ),
    );
    const c = client(g);
    const e = (await captureAsync(() => c.readByQuery({ object: 'BADOBJECT' }))) as IntacctResultError;
    expect(e).toBeInstanceOf(IntacctResultError);
    expect(e.errorno).toBe('Query Failed');
    const results = await c.executeBatch([
      { controlId: 'a', function: 'readByQuery', xml: '<readByQuery/>' },
      { controlId: 'b', function: 'getDimensions', xml: '<getDimensions/>' },
    ]);
    expect(results.map((r) => [r.controlId, r.status])).toEqual([
      ['a', 'failure'],
      ['b', 'success'],
    ]);
  });

  it('the helper methods send the right functions', async () => {
    const g = await start(answerAll());
    const c = client(g);
    await c.inspect({ object: 'USERINFO', detail: true });
    await c.lookup({ object: 'GLACCOUNT' });
    await c.getUserPermissions({ userId: 'svc_sync' });
    await c.getDimensions();
    await c.readByName({ object: 'USERINFO', names: ['svc_sync'] });
    await c.delete({ object: 'VENDOR', keys: ['1'] });
    expect(g.seen.map((r) => r.functions[0]?.name)).toEqual([
      'inspect',
      'lookup',
      'getUserPermissions',
      'getDimensions',
      'readByName',
      'delete',
    ]);
  });
});
