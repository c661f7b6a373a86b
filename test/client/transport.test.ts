import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  IntacctTransportError,
  parseRetryAfter,
  postXml,
  transportKind,
  XmlSafetyError,
} from '../../src/client/xml/index.js';
import { LoopbackGateway } from './gateway.js';
import { captureAsync } from './helpers.js';

const gateways: LoopbackGateway[] = [];
const start = async (handler: ConstructorParameters<typeof LoopbackGateway>[0]) => {
  const g = await new LoopbackGateway(handler).start();
  gateways.push(g);
  return g;
};
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('postXml', () => {
  it('POSTs application/xml, asks for gzip, and returns status, headers, body and time', async () => {
    const g = await start(() => ({ status: 200, body: '<response/>' }));
    const reply = await postXml(g.url, '<request/>');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('<response/>');
    expect(reply.headers['content-type']).toBe('text/xml; encoding="UTF-8"');
    expect(reply.ms).toBeGreaterThanOrEqual(0);
    const seen = g.seen[0];
    expect(seen?.headers['content-type']).toBe('application/xml');
    expect(seen?.headers['accept-encoding']).toContain('gzip');
    expect(seen?.body).toBe('<request/>');
  });

  it('decodes gzip responses', async () => {
    const body = `<response>${'x'.repeat(5000)}é</response>`;
    const g = await start(() => ({ body, gzip: true }));
    const reply = await postXml(g.url, '<request/>');
    expect(reply.body).toBe(body);
  });

  it('refuses an oversize body while reading, with or without gzip', async () => {
    const body = `<response>${'y'.repeat(200_000)}</response>`;
    for (const gzip of [false, true]) {
      const g = await start(() => ({ body, gzip }));
      const e = (await captureAsync(() =>
        postXml(g.url, '<request/>', { maxBytes: 50_000 }),
      )) as XmlSafetyError;
      expect(e).toBeInstanceOf(XmlSafetyError);
      expect(e.reason).toBe('size');
      expect(e.message).toContain('50000-byte limit');
      const ok = await postXml(g.url, '<request/>', { maxBytes: 300_000 });
      expect(ok.body).toBe(body);
    }
  });

  it('returns HTTP errors as replies, never throws for a status', async () => {
    const g = await start(() => ({ status: 503, body: 'down' }));
    const reply = await postXml(g.url, '<request/>');
    expect(reply.status).toBe(503);
  });

  it('times out with kind timeout', async () => {
    const g = await start(() => ({ delayMs: 1000, body: '<response/>' }));
    const started = performance.now();
    const e = (await captureAsync(() =>
      postXml(g.url, '<request/>', { timeoutMs: 100 }),
    )) as IntacctTransportError;
    expect(e).toBeInstanceOf(IntacctTransportError);
    expect(e.kind).toBe('timeout');
    expect(e.layer).toBe('transport');
    expect(e.retryable).toBe(true);
    expect(performance.now() - started).toBeLessThan(900);
  });

  it('refused connection', async () => {
    const port = await closedPort();
    const e = (await captureAsync(() =>
      postXml(`http://127.0.0.1:${port}/x`, '<request/>'),
    )) as IntacctTransportError;
    expect(e).toBeInstanceOf(IntacctTransportError);
    expect(e.kind).toBe('refused');
    expect(e.code).toBe('ECONNREFUSED');
  });

  it('unresolvable host name (the reserved .invalid TLD)', async () => {
    const e = (await captureAsync(() =>
      postXml('http://no-such-host.invalid/ia/xml/xmlgw.phtml', '<request/>', { timeoutMs: 10_000 }),
    )) as IntacctTransportError;
    expect(e).toBeInstanceOf(IntacctTransportError);
    expect(e.kind).toBe('dns');
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(e.code);
    expect(e.retryable).toBe(false);
  });

  it('connection closed without an answer', async () => {
    const g = await start(() => ({ destroy: true }));
    const e = (await captureAsync(() => postXml(g.url, '<request/>'))) as IntacctTransportError;
    expect(e).toBeInstanceOf(IntacctTransportError);
    expect(e.kind).toBe('reset');
  });

  it('TLS handshake against a plain HTTP port', async () => {
    const g = await start(() => ({ body: '<response/>' }));
    const e = (await captureAsync(() =>
      postXml(g.url.replace('http:', 'https:'), '<request/>', { timeoutMs: 5000 }),
    )) as IntacctTransportError;
    expect(e).toBeInstanceOf(IntacctTransportError);
    expect(e.kind).toBe('tls');
    expect(e.retryable).toBe(false);
  });

  it('aborted by the caller', async () => {
    const g = await start(() => ({ delayMs: 500, body: '<response/>' }));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const e = (await captureAsync(() =>
      postXml(g.url, '<request/>', { signal: ac.signal }),
    )) as IntacctTransportError;
    expect(e.aborted).toBe(true);
    expect(e.retryable).toBe(false);
  });

  it('an injected fetch is used', async () => {
    const fake = (async () => new Response('<response/>', { status: 201 })) as typeof fetch;
    const reply = await postXml('http://example.invalid/x', '<request/>', { fetch: fake });
    expect(reply.status).toBe(201);
  });
});

describe('transportKind', () => {
  it.each([
    [{ cause: { code: 'ENOTFOUND' } }, 'dns'],
    [{ cause: { code: 'EAI_AGAIN' } }, 'dns'],
    [{ cause: { code: 'ECONNREFUSED' } }, 'refused'],
    [{ cause: { errors: [{ code: 'ECONNREFUSED' }] } }, 'refused'],
    [{ cause: { code: 'UND_ERR_SOCKET' } }, 'reset'],
    [{ cause: { code: 'UND_ERR_CONNECT_TIMEOUT' } }, 'timeout'],
    [{ cause: { code: 'CERT_HAS_EXPIRED' } }, 'tls'],
    [{ cause: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' } }, 'tls'],
    [{ message: 'something else' }, 'other'],
  ])('%j → %s', (err, kind) => {
    expect(transportKind(err).kind).toBe(kind);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('5', now)).toBe(5);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
