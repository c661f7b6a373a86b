import {
  type ErrorDetail,
  IntacctAuthenticationError,
  IntacctControlError,
  IntacctError,
  IntacctGatewayError,
  IntacctResultError,
} from './errors.js';
import { type ParsedResponse, type ParseOptions, parseResponse, type ResultBlock } from './response.js';

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses a Retry-After value (seconds, or an HTTP date) into seconds from `now`; null when absent/invalid. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, (at - now) / 1000);
}

function header(headers: Record<string, string>, name: string): string | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

const GATEWAY_CODE = /^(GW-?\d+|XMLGW_|UJPP|invalidRequest)/i;
const RATE_TEXT = /rate limit exceeded|too many requests/i;

function isGatewayError(e: ErrorDetail): boolean {
  return GATEWAY_CODE.test(e.errorno) || RATE_TEXT.test(`${e.description} ${e.description2}`);
}

function stripHtml(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Short, secret-free description of an HTML edge page (title, Cloudflare error code and Ray ID). */
function describeHtml(body: string): { summary: string; rayId: string } {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body)?.[1];
  const ray = /Ray ID:?\s*(?:<[^>]*>\s*)*([0-9a-f]{8,})/i.exec(body)?.[1] ?? '';
  const summary = title ? stripHtml(title) : stripHtml(body).slice(0, 160);
  return { summary: summary.slice(0, 200), rayId: ray };
}

function gatewayKindFor(status: number, errors: ErrorDetail[]): IntacctGatewayError['kind'] {
  const codes = errors.map((e) => e.errorno.toUpperCase());
  if (status === 429 || codes.includes('GW-0010') || errors.some((e) => RATE_TEXT.test(e.description))) {
    return 'rate_limited';
  }
  if (status === 524) return 'edge_timeout';
  if (codes.some((c) => c.includes('JPP0002'))) return 'sign_in';
  if (codes.includes('GW-0011') || codes.includes('INVALIDREQUEST')) return 'invalid_request';
  if (
    status >= 500 ||
    codes.includes('GW-0001') ||
    codes.includes('GW000002') ||
    codes.includes('PL04000050')
  ) {
    return 'unavailable';
  }
  return 'http';
}

function retryableKind(kind: IntacctGatewayError['kind'], status: number): boolean {
  if (kind === 'rate_limited' || kind === 'unavailable') return true;
  // 524: the origin may still be working on it; repeating a write could apply it twice.
  if (kind === 'edge_timeout') return false;
  return status >= 500 && status !== 501 && status !== 524;
}

/**
 * Classifies one HTTP reply from the gateway (reference §2.9). Returns the parsed response when the
 * control and authentication layers succeeded (results may still have failed: see `resultErrors`);
 * otherwise throws `IntacctGatewayError`, `IntacctControlError` or `IntacctAuthenticationError`.
 * Pure: no I/O, no clock except for an HTTP-date Retry-After.
 */
export function classifyReply(reply: HttpReply, options: ParseOptions = {}): ParsedResponse {
  const { status, body } = reply;
  const headers = reply.headers ?? {};
  const retryAfterSeconds = parseRetryAfter(header(headers, 'retry-after'));
  const contentType = (header(headers, 'content-type') ?? '').toLowerCase();
  const head = body.slice(0, 2048).toLowerCase();
  const isHtml =
    contentType.includes('text/html') || head.includes('<html') || head.includes('<!doctype html');

  if (isHtml) {
    const cloudflare = body.includes('cf-error-details') || /cloudflare/i.test(head) || status === 524;
    const { summary, rayId } = describeHtml(body);
    const kind: IntacctGatewayError['kind'] =
      status === 524
        ? 'edge_timeout'
        : status === 429
          ? 'rate_limited'
          : status >= 500
            ? 'unavailable'
            : 'html';
    throw new IntacctGatewayError(
      kind,
      `HTTP ${status}: the ${cloudflare ? 'Cloudflare edge' : 'gateway'} answered with an HTML page${summary ? ` (${summary})` : ''}${rayId ? ` [Ray ID: ${rayId}]` : ''}`,
      {
        httpStatus: status,
        edge: cloudflare ? 'cloudflare' : null,
        retryable: retryableKind(kind, status),
        retryAfterSeconds,
        idText: body.slice(0, 64 * 1024),
      },
    );
  }

  let parsed: ParsedResponse;
  try {
    parsed = parseResponse(body, options);
  } catch (err) {
    if (status >= 400 || (status >= 200 && status < 300 && body.trim() === '')) {
      const kind = gatewayKindFor(status, []);
      throw new IntacctGatewayError(
        kind,
        body.trim() === ''
          ? `HTTP ${status} with an empty body`
          : `HTTP ${status} with a body that is not gateway XML (${err instanceof Error ? err.message.slice(0, 120) : 'unparseable'})`,
        { httpStatus: status, retryable: retryableKind(kind, status), retryAfterSeconds, cause: err },
      );
    }
    if (err instanceof IntacctError) throw err;
    throw new IntacctGatewayError('malformed', 'Response could not be parsed', {
      httpStatus: status,
      cause: err,
    });
  }

  const controlErrors = parsed.control.errors;
  if (status >= 400 || (parsed.control.status !== 'success' && controlErrors.some(isGatewayError))) {
    const kind = gatewayKindFor(status, controlErrors);
    throw new IntacctGatewayError(kind, `Gateway refused the request (HTTP ${status})`, {
      errors: controlErrors,
      httpStatus: status,
      retryable: retryableKind(kind, status),
      retryAfterSeconds,
    });
  }
  if (parsed.control.status !== 'success') {
    throw new IntacctControlError(`Control block status ${parsed.control.status || '(missing)'}`, {
      errors: controlErrors,
      httpStatus: status,
    });
  }
  const auth = parsed.authentication;
  if (auth && auth.status !== 'success') {
    throw new IntacctAuthenticationError(`Authentication status ${auth.status || '(missing)'}`, {
      errors: auth.errors,
      httpStatus: status,
    });
  }
  if (!auth && !parsed.acknowledgement) {
    throw new IntacctGatewayError('malformed', 'Response has neither an operation nor an acknowledgement', {
      httpStatus: status,
    });
  }
  return parsed;
}

const TEMPORARY = /temporarily off-?line|please try again later/i;

/** The typed error for a failed or aborted result, or null when the result succeeded. */
export function resultError(result: ResultBlock): IntacctResultError | null {
  if (result.status === 'success') return null;
  const temporary = result.errors.some((e) =>
    TEMPORARY.test(`${e.description} ${e.description2} ${e.correction}`),
  );
  return new IntacctResultError(
    `Result status ${result.status || '(missing)'} for ${result.function || 'function'} (control ID ${result.controlId})`,
    result,
    { errors: result.errors, retryable: temporary },
  );
}

/** Every failed or aborted result as a typed error, in order. */
export function resultErrors(parsed: ParsedResponse): IntacctResultError[] {
  return parsed.results.map(resultError).filter((e): e is IntacctResultError => e !== null);
}
