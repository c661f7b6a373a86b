import { IntacctTransportError, type TransportErrorKind, XmlSafetyError } from './errors.js';

export interface PostXmlOptions {
  /** Whole exchange, headers and body; default 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  /** Stop reading and refuse a body larger than this many bytes (after gzip decoding). Default 64 MiB. */
  maxBytes?: number;
}

export interface PostXmlReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  ms: number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const USER_AGENT = 'intacct-connect-xml/0.1';

const TLS_CODES = /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH|ERR_OSSL/i;

function errorChain(err: unknown): Array<{ code?: string; name?: string; message?: string }> {
  const out: Array<{ code?: string; name?: string; message?: string }> = [];
  let cur: unknown = err;
  for (let depth = 0; cur && typeof cur === 'object' && depth < 6; depth++) {
    const e = cur as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    out.push({
      code: typeof e.code === 'string' ? e.code : undefined,
      name: typeof e.name === 'string' ? e.name : undefined,
      message: typeof e.message === 'string' ? e.message : undefined,
    });
    // AggregateError (happy-eyeballs tries several addresses) keeps the interesting one inside.
    if (!e.cause && Array.isArray(e.errors) && e.errors.length > 0) cur = e.errors[0];
    else cur = e.cause;
  }
  return out;
}

/** Maps a fetch/undici/system error to a transport kind. Pure; exported for the doctor and tests. */
export function transportKind(err: unknown): { kind: TransportErrorKind; code: string } {
  const chain = errorChain(err);
  for (const e of chain) {
    const code = e.code ?? '';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL') {
      return { kind: 'dns', code };
    }
    if (code === 'ECONNREFUSED') return { kind: 'refused', code };
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'ECONNABORTED') {
      return { kind: 'reset', code };
    }
    if (
      code === 'ETIMEDOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT' ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      e.name === 'TimeoutError'
    ) {
      return { kind: 'timeout', code: code || 'ETIMEDOUT' };
    }
    if (code && TLS_CODES.test(code)) return { kind: 'tls', code };
  }
  for (const e of chain) {
    if (e.message && /other side closed|socket hang up|terminated/i.test(e.message))
      return { kind: 'reset', code: '' };
    if (e.message && TLS_CODES.test(e.message)) return { kind: 'tls', code: '' };
  }
  return { kind: 'other', code: chain.find((e) => e.code)?.code ?? '' };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

const MESSAGES: Record<TransportErrorKind, string> = {
  dns: 'could not resolve the host name',
  refused: 'the connection was refused',
  tls: 'the TLS handshake failed',
  timeout: 'no response in time',
  reset: 'the connection was closed before the response was complete',
  other: 'the request failed before a response arrived',
};

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Reads the body as UTF-8, refusing it as soon as it passes the limit instead of buffering it all. */
async function readBody(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (!res.headers.get('content-encoding') && Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new XmlSafetyError(
      'size',
      `Response body of ${declared} bytes is over the ${maxBytes}-byte limit; refused`,
    );
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new XmlSafetyError(
        'size',
        `Response body is over the ${maxBytes}-byte limit; stopped reading and refused`,
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/**
 * One POST of an XML body. Never retries; never throws for an HTTP status. Throws
 * `IntacctTransportError` when there is no complete HTTP response.
 */
export async function postXml(
  url: string,
  body: string,
  options: PostXmlOptions = {},
): Promise<PostXmlReply> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('timeout', 'TimeoutError'));
  }, timeoutMs);
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal) {
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
  }
  const started = performance.now();
  try {
    const res = await doFetch(url, {
      method: 'POST',
      body,
      headers: {
        'Content-Type': 'application/xml',
        'Accept-Encoding': 'gzip',
        'User-Agent': USER_AGENT,
        ...options.headers,
      },
      signal: controller.signal,
    });
    const text = await readBody(res, options.maxBytes ?? DEFAULT_MAX_BODY_BYTES);
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      headers[key.toLowerCase()] = value;
    });
    return { status: res.status, headers, body: text, ms: Math.round(performance.now() - started) };
  } catch (err) {
    if (err instanceof XmlSafetyError) throw err;
    const host = hostOf(url);
    if (timedOut) {
      throw new IntacctTransportError('timeout', `POST to ${host}: ${MESSAGES.timeout} (${timeoutMs} ms)`, {
        code: 'ETIMEDOUT',
        cause: err,
      });
    }
    if (options.signal?.aborted) {
      throw new IntacctTransportError('other', `POST to ${host}: aborted by the caller`, {
        aborted: true,
        cause: err,
      });
    }
    const { kind, code } = transportKind(err);
    throw new IntacctTransportError(kind, `POST to ${host}: ${MESSAGES[kind]}${code ? ` (${code})` : ''}`, {
      code,
      cause: err,
    });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
