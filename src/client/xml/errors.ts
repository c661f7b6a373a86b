import { decodeIds } from './ids.js';

/** One `<error>` of an `<errormessage>`; every field is '' when Intacct left it out. */
export interface ErrorDetail {
  errorno: string;
  description: string;
  description2: string;
  correction: string;
}

export type ErrorLayer = 'transport' | 'gateway' | 'control' | 'authentication' | 'result';

export interface IntacctErrorInit {
  errors?: ErrorDetail[];
  httpStatus?: number;
  retryable?: boolean;
  cause?: unknown;
  /** Extra text to search for Support/Request IDs (e.g. an HTML page). */
  idText?: string;
}

function detailText(e: ErrorDetail): string {
  return [e.errorno, e.description, e.description2, e.correction]
    .map((s) => s.trim())
    .filter(Boolean)
    .join(' ');
}

export function describeErrors(errors: readonly ErrorDetail[]): string {
  return errors.map(detailText).filter(Boolean).join(' - ');
}

/** Base of every error this library throws for an Intacct exchange. */
export class IntacctError extends Error {
  readonly layer: ErrorLayer;
  readonly errors: ErrorDetail[];
  readonly httpStatus?: number;
  readonly supportIds: string[];
  readonly requestIds: string[];
  /** Whether sending the same request again may succeed (the client still checks it is safe to repeat). */
  readonly retryable: boolean;

  constructor(layer: ErrorLayer, summary: string, init: IntacctErrorInit = {}) {
    const errors = init.errors ?? [];
    const detail = describeErrors(errors);
    super(
      detail ? `${summary}: ${detail}` : summary,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = 'IntacctError';
    this.layer = layer;
    this.errors = errors;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
    const texts = errors.flatMap((e) => [e.errorno, e.description, e.description2, e.correction]);
    if (init.idText) texts.push(init.idText);
    const ids = decodeIds(texts);
    this.supportIds = ids.supportIds;
    this.requestIds = ids.requestIds;
    this.retryable = init.retryable ?? false;
  }

  /** The first error number, '' when none (the first error is usually the real cause). */
  get errorno(): string {
    return this.errors[0]?.errorno ?? '';
  }
}

export type TransportErrorKind = 'dns' | 'refused' | 'tls' | 'timeout' | 'reset' | 'other';

/** No HTTP response at all: DNS, refused connection, TLS, timeout, reset. */
export class IntacctTransportError extends IntacctError {
  readonly kind: TransportErrorKind;
  /** The system error code when there was one (ENOTFOUND, ECONNREFUSED, ...). */
  readonly code: string;
  /** True when the caller's own AbortSignal stopped the request. */
  readonly aborted: boolean;

  constructor(
    kind: TransportErrorKind,
    message: string,
    init: IntacctErrorInit & { code?: string; aborted?: boolean } = {},
  ) {
    super('transport', message, {
      ...init,
      retryable: init.retryable ?? (!init.aborted && kind !== 'dns' && kind !== 'tls'),
    });
    this.name = 'IntacctTransportError';
    this.kind = kind;
    this.code = init.code ?? '';
    this.aborted = init.aborted ?? false;
  }
}

export type GatewayErrorKind =
  | 'http'
  | 'rate_limited'
  | 'unavailable'
  | 'edge_timeout'
  | 'html'
  | 'invalid_request'
  | 'sign_in'
  | 'malformed'
  | 'unsafe';

/** The gateway or the edge in front of it refused the request (HTTP status, GW codes, HTML pages). */
export class IntacctGatewayError extends IntacctError {
  readonly kind: GatewayErrorKind;
  /** `cloudflare` when the body is a Cloudflare edge page. */
  readonly edge: 'cloudflare' | null;
  /** Seconds to wait, from a Retry-After header, when the gateway sent one. */
  readonly retryAfterSeconds: number | null;

  constructor(
    kind: GatewayErrorKind,
    message: string,
    init: IntacctErrorInit & { edge?: 'cloudflare' | null; retryAfterSeconds?: number | null } = {},
  ) {
    super('gateway', message, init);
    this.name = 'IntacctGatewayError';
    this.kind = kind;
    this.edge = init.edge ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }
}

/** The body is not XML the gateway would send (malformed, truncated, no `<response>` root). */
export class XmlParseError extends IntacctGatewayError {
  /** Character offset where parsing stopped. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super('malformed', `Response is not valid gateway XML: ${message} (at character ${offset})`);
    this.name = 'XmlParseError';
    this.offset = offset;
  }
}

/** The body was refused for safety: DOCTYPE or ENTITY declarations (XXE, entity expansion), size, depth. */
export class XmlSafetyError extends IntacctGatewayError {
  readonly reason: 'doctype' | 'entity' | 'size' | 'depth';
  constructor(reason: 'doctype' | 'entity' | 'size' | 'depth', message: string) {
    super('unsafe', message);
    this.name = 'XmlSafetyError';
    this.reason = reason;
  }
}

/** `control/status` is not success (sender credentials, policy, schema errors, expired demo). */
export class IntacctControlError extends IntacctError {
  constructor(message: string, init: IntacctErrorInit = {}) {
    super('control', message, init);
    this.name = 'IntacctControlError';
  }
}

/** `operation/authentication/status` is not success (sender authorization, sign-in, session). */
export class IntacctAuthenticationError extends IntacctError {
  constructor(message: string, init: IntacctErrorInit = {}) {
    super('authentication', message, init);
    this.name = 'IntacctAuthenticationError';
  }

  /** The session ID was refused (expired or never valid); a fresh login may fix it. */
  get invalidSession(): boolean {
    return this.errors.some((e) => /invalid session/i.test(`${e.description} ${e.description2}`));
  }
}

/** A function's `result/status` is `failure` or `aborted`. */
export class IntacctResultError extends IntacctError {
  readonly status: string;
  readonly function: string;
  readonly controlId: string;
  constructor(
    message: string,
    result: { status: string; function: string; controlId: string },
    init: IntacctErrorInit = {},
  ) {
    super('result', message, init);
    this.name = 'IntacctResultError';
    this.status = result.status;
    this.function = result.function;
    this.controlId = result.controlId;
  }

  get aborted(): boolean {
    return this.status === 'aborted';
  }
}
