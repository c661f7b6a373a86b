/**
 * Intacct's REST and OAuth error envelopes (reference §3.8 shapes A–F) parsed into one typed error.
 * The same failure arrives in different shapes depending on the layer that answered (Kong gateway,
 * OAuth server, REST service, XML bridge), so the parser accepts all of them and keeps the shape.
 */

export type ErrorShape = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'unknown';

/** What a caller should do about an error, decided from the body first and the status second. */
export type RestErrorKind =
  | 'token_expired'
  | 'token_invalid'
  | 'token_superseded'
  | 'auth_header'
  | 'invalid_client'
  | 'invalid_grant'
  | 'partner_user'
  | 'gateway_invalid_request'
  | 'token_request'
  | 'rate_limited'
  | 'permission'
  | 'not_found'
  | 'validation'
  | 'unavailable'
  | 'other';

export interface RestErrorFields {
  httpStatus: number;
  code: string | undefined;
  errorId: string | undefined;
  message: string;
  supportId: string | undefined;
  requestId: string | undefined;
  details: unknown;
  shape: ErrorShape;
  messageId?: string | undefined;
  placeholders?: Record<string, string> | undefined;
  retryAfterSeconds?: number | undefined;
}

export class IntacctRestError extends Error implements RestErrorFields {
  readonly httpStatus: number;
  readonly code: string | undefined;
  readonly errorId: string | undefined;
  readonly supportId: string | undefined;
  readonly requestId: string | undefined;
  readonly details: unknown;
  readonly shape: ErrorShape;
  readonly messageId: string | undefined;
  readonly placeholders: Record<string, string> | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly kind: RestErrorKind;

  constructor(fields: RestErrorFields) {
    super(fields.message);
    this.name = 'IntacctRestError';
    this.httpStatus = fields.httpStatus;
    this.code = fields.code;
    this.errorId = fields.errorId;
    this.supportId = fields.supportId;
    this.requestId = fields.requestId;
    this.details = fields.details;
    this.shape = fields.shape;
    this.messageId = fields.messageId;
    this.placeholders = fields.placeholders;
    this.retryAfterSeconds = fields.retryAfterSeconds;
    this.kind = classifyRestError(fields);
  }

  toJSON(): RestErrorFields & { kind: RestErrorKind } {
    return {
      httpStatus: this.httpStatus,
      code: this.code,
      errorId: this.errorId,
      message: this.message,
      supportId: this.supportId,
      requestId: this.requestId,
      details: this.details,
      shape: this.shape,
      messageId: this.messageId,
      placeholders: this.placeholders,
      retryAfterSeconds: this.retryAfterSeconds,
      kind: this.kind,
    };
  }
}

/** Network failures (no HTTP answer), kept apart from Intacct's answers. */
export class IntacctNetworkError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'IntacctNetworkError';
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

/** Support IDs arrive URL-encoded (`%7E` for `~`); Support wants them decoded. */
export function decodeSupportId(id: string | undefined): string | undefined {
  if (!id) return id;
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
}

function fromIaError(err: Json, status: number, shape: ErrorShape): RestErrorFields {
  const info = isObject(err.additionalInfo) ? err.additionalInfo : undefined;
  const details = err.details;
  const requestId = isObject(details) ? str(details.requestId) : undefined;
  const placeholders = info && isObject(info.placeholders) ? info.placeholders : undefined;
  const firstDetail = Array.isArray(details) && isObject(details[0]) ? str(details[0].code) : undefined;
  return {
    httpStatus: status,
    code: str(err.code),
    // Shape A carries the specific code only in details[] (e.g. REST-1216 under invalidRequest).
    errorId: str(err.errorId) ?? (firstDetail && /^(REST|GW)-/i.test(firstDetail) ? firstDetail : undefined),
    message: str(err.message) ?? str(err.code) ?? `HTTP ${status}`,
    supportId: decodeSupportId(str(err.supportId)),
    requestId,
    details,
    shape,
    messageId: info ? str(info.messageId) : undefined,
    placeholders: placeholders
      ? Object.fromEntries(Object.entries(placeholders).map(([k, v]) => [k, String(v)]))
      : undefined,
  };
}

function parseXmlError(body: string, status: number): RestErrorFields | undefined {
  if (!body.includes('<errormessage')) return undefined;
  const pick = (tag: string) => body.match(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`))?.[1]?.trim();
  const description2 = pick('description2');
  const supportId = description2?.match(/\[Support ID: ([^\]]+)\]/)?.[1];
  return {
    httpStatus: status,
    code: pick('errorno'),
    errorId: pick('errorno'),
    message: [pick('description'), description2].filter(Boolean).join(' ') || 'XML error',
    supportId: decodeSupportId(supportId),
    requestId: undefined,
    details: { description: pick('description'), description2, correction: pick('correction') },
    shape: 'F',
  };
}

/** Parses any error body. Never throws; an unrecognised body becomes shape `unknown`. */
export function parseRestError(status: number, body: string, headers?: Headers): IntacctRestError {
  const retryAfterSeconds = headers ? retryAfterFromHeaders(headers) : undefined;
  let fields: RestErrorFields | undefined;
  let parsed: unknown;
  try {
    parsed = body.trim() ? JSON.parse(body) : undefined;
  } catch {
    parsed = undefined;
  }
  if (isObject(parsed)) {
    const result = parsed['ia::result'];
    if (isObject(result) && isObject(result['ia::error'])) {
      fields = fromIaError(result['ia::error'], status, 'B');
    } else if (isObject(parsed['ia::error'])) {
      const err = parsed['ia::error'];
      fields = fromIaError(err, status, isObject(err.details) ? 'D' : 'A');
    } else if (isObject(parsed.error)) {
      fields = fromIaError(parsed.error, status, 'C');
    } else if (typeof parsed.error === 'string') {
      fields = {
        httpStatus: status,
        code: parsed.error,
        errorId: undefined,
        message: str(parsed.error_description) ?? parsed.error,
        supportId: undefined,
        requestId: undefined,
        details: undefined,
        shape: 'E',
      };
    }
  }
  fields ??= parseXmlError(body, status);
  fields ??= {
    httpStatus: status,
    code: undefined,
    errorId: undefined,
    message: body.trim() ? body.trim().slice(0, 300) : `HTTP ${status}`,
    supportId: undefined,
    requestId: undefined,
    details: undefined,
    shape: 'unknown',
  };
  return new IntacctRestError({ ...fields, retryAfterSeconds });
}

const PARTNER_USER = /readpartneruserinfo/i;

/** Decides what an error means from its identifiers (reference §4.7–4.8); the status only breaks ties. */
export function classifyRestError(e: RestErrorFields): RestErrorKind {
  const id = (e.errorId ?? '').toUpperCase();
  const code = (e.code ?? '').toUpperCase();
  const either = (v: string) => id === v || code === v;
  if (PARTNER_USER.test(e.message)) return 'partner_user';
  if (either('GW-0040') || either('REST-1206') || /expired token/i.test(e.message)) return 'token_expired';
  if (either('REST-2102') || code === 'TOKENINVALID') return 'token_superseded';
  if (either('GW-0031')) return 'token_invalid';
  if (either('GW-0034')) return 'auth_header';
  if (either('REST-1216') || code === 'INVALID_CLIENT') return 'invalid_client';
  if (code === 'INVALID_GRANT') return 'invalid_grant';
  if (either('GW-0011')) return 'gateway_invalid_request';
  if (/^GW-00(12|3[2-9])$/.test(id || code)) return 'token_request';
  if (either('GW-0010') || e.httpStatus === 429) return 'rate_limited';
  if (/^GW-000[1-9]$/.test(id || code) || e.httpStatus >= 500) return 'unavailable';
  if (e.httpStatus === 403) return 'permission';
  if (e.httpStatus === 404) return 'not_found';
  if (e.httpStatus === 422 || code === 'OPERATIONFAILED') return 'validation';
  return 'other';
}

/** Seconds to wait from `Retry-After` (seconds or HTTP date) or Intacct's throttle headers. */
export function retryAfterFromHeaders(headers: Headers, now = Date.now()): number | undefined {
  for (const name of [
    'retry-after',
    'x-ia-throttle-limit-retryafter',
    'x-ia-tenant-throttle-limit-retry-after',
    'x-ia-hour-rate-limit-retry-after',
  ]) {
    const value = headers.get(name);
    if (!value) continue;
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds;
    const date = Date.parse(value);
    if (Number.isFinite(date)) return Math.max(0, (date - now) / 1000);
  }
  return undefined;
}
