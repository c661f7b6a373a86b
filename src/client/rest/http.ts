import type { TranscriptEntry } from '../../shared/report.js';
import { IntacctNetworkError } from './errors.js';
import { redactBody, redactHeaders, redactUrl } from './redact.js';

/** One HTTP exchange, already redacted; what transcripts and round-trip counters consume. */
export type Exchange = TranscriptEntry & { api: 'oauth' | 'rest' };

export interface HttpOptions {
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Receives every exchange, redacted. */
  onExchange?: (exchange: Exchange) => void;
  /** Secrets the caller holds, redacted wherever they appear verbatim. */
  secrets?: () => ReadonlyArray<string | undefined>;
}

export interface HttpRequest {
  api: 'oauth' | 'rest';
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** Sends one request; a network failure or timeout becomes `IntacctNetworkError`. */
export async function send(req: HttpRequest, options: HttpOptions): Promise<HttpResponse> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const started = Date.now();
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const secrets = options.secrets?.() ?? [];
  const record = (status: number | null, headers: Headers | undefined, text: string, error?: string) => {
    if (!options.onExchange) return;
    options.onExchange({
      at: new Date(started).toISOString(),
      api: req.api,
      method: req.method,
      url: redactUrl(req.url, secrets),
      requestHeaders: redactHeaders(req.headers, secrets),
      requestBody: req.body ? redactBody(req.body, secrets) : '',
      status,
      responseHeaders: headers ? redactHeaders(headers, secrets) : {},
      responseBody: redactBody(text, secrets),
      ms: Date.now() - started,
      ...(error ? { error } : {}),
    });
  };
  let response: Response;
  try {
    response = await doFetch(req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    const timedOut = timeout.aborted;
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const host = URL.canParse(req.url) ? new URL(req.url).host : req.url;
    const message = timedOut
      ? `no response from ${host} within ${options.timeoutMs ?? 30_000} ms`
      : `cannot reach ${host}${cause ? ` (${cause})` : ` (${(error as Error).message})`}`;
    record(null, undefined, '', message);
    throw new IntacctNetworkError(message, timedOut);
  }
  const text = await response.text();
  record(response.status, response.headers, text);
  return { status: response.status, headers: response.headers, text };
}
