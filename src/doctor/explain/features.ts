/**
 * Feature extraction: whatever the paste is (an XML response or a fragment of one, a REST or OAuth
 * JSON body, an SDK exception message, a log line, an HTML edge page, a sentence), reduce it to the
 * things signatures are written against: error codes, the failure layer, the HTTP status and the
 * normalized text. Deliberately tolerant: regular expressions over decoded text, no XML or JSON parser
 * that would give up on a truncated paste.
 */
import type { Layer } from '../catalog.js';
import { decode, normalizeText } from './normalize.js';

export interface Features {
  /** Case-preserving decoded text. */
  decoded: string;
  /** Normalized text signatures match against. */
  text: string;
  /** Codes found, upper-cased: errorno values, GW-/REST-/XL-style codes, REST `code`/`errorId`, OAuth `error`. */
  codes: string[];
  layer?: Layer;
  httpStatus?: number;
  supportIds: string[];
  requestIds: string[];
  /** Objects and operations named by a permission error. */
  denied: Array<{ object: string; operation: string }>;
}

const CODE_PATTERNS: RegExp[] = [
  /\b[A-Z]{2}\d{8}\b/g, // XL03000006, PL04000055, BL01001973, DL02000001
  /\bGW-?\d{4,6}\b/g,
  /\bREST-\d{3,5}\b/g,
  /\b(?:XMLGW_JPP|UJPP)\d{4}\b/g,
];

const OAUTH_ERRORS =
  /\b(invalid_client|invalid_grant|invalid_request|unauthorized_client|unsupported_grant_type|invalid_scope|access_denied|server_error|temporarily_unavailable|invalid_token|insufficient_scope|login_required|consent_required)\b/gi;

const FIELD_CODES = [
  /<errorno>\s*([^<]{1,80}?)\s*<\/errorno>/gi,
  /"(?:code|errorId|error|errorCode|errorno)"\s*:\s*"([^"]{1,80})"/g,
  /\b(?:errorno|error_code|errorCode|errorId)\s*[=:]\s*'?([A-Za-z0-9_-]{3,40})/g,
];

function collect(text: string, patterns: RegExp[], group = 0): string[] {
  const out: string[] = [];
  for (const pattern of patterns) {
    for (const m of text.matchAll(pattern)) {
      const value = m[group] ?? m[0];
      if (value) out.push(value.trim());
    }
  }
  return out;
}

export function extractCodes(decoded: string): string[] {
  const codes = new Set<string>();
  for (const c of collect(decoded, CODE_PATTERNS)) codes.add(c.toUpperCase());
  for (const c of collect(decoded, FIELD_CODES, 1)) codes.add(c.toUpperCase());
  for (const m of decoded.matchAll(OAUTH_ERRORS)) codes.add(m[1]!.toUpperCase());
  return [...codes];
}

const STATUS_PATTERNS: RegExp[] = [
  /\bHTTP\/\d(?:\.\d)?\s+(\d{3})\b/i,
  /\b(?:status[ _-]?code|statusCode|http[ _-]?status|response[ _-]?code|status)\s*[:=]?\s*"?(\d{3})\b/i,
  /\bHTTP\s*[:=]?\s*(\d{3})\b/i,
  /\bError code\s*:?\s*(\d{3})\b/i,
  /\b(\d{3})\s+(?:Too Many Requests|Service Unavailable|Service Temporarily Unavailable|Bad Gateway|Gateway Time-?out|Internal Server Error|Unauthorized|Forbidden|Bad Request|Not Found|Origin Time-?out|A timeout occurred)\b/i,
  /\bwith status\s+(\d{3})\b/i,
  /\bstatus of\s+(\d{3})\b/i,
];

export function extractHttpStatus(decoded: string): number | undefined {
  for (const pattern of STATUS_PATTERNS) {
    const m = pattern.exec(decoded);
    if (m) {
      const n = Number(m[1]);
      if (n >= 100 && n <= 599) return n;
    }
  }
  return undefined;
}

const GATEWAY_CODE = /^(?:GW-?\d+|XMLGW_JPP\d+|UJPP\d+)$/;

/** The failure layer of reference §4, from structure first and wording second. */
export function detectLayer(decoded: string, codes: string[]): Layer | undefined {
  const gatewayCode = codes.some((c) => GATEWAY_CODE.test(c));
  // XML: a failed control means no operation ran; otherwise authentication, then results.
  if (
    /<control>\s*<status>\s*failure\s*<\/status>/i.test(decoded) ||
    /Response control status failure/i.test(decoded)
  ) {
    const bare = /<control>\s*<status>\s*failure\s*<\/status>\s*<\/control>/i.test(decoded);
    return gatewayCode || (bare && !/<senderid>/i.test(decoded)) ? 'G' : 'C';
  }
  if (
    /<authentication>\s*<status>\s*failure/i.test(decoded) ||
    /Response authentication status failure/i.test(decoded)
  ) {
    return 'A';
  }
  if (
    /<result>\s*<status>\s*(?:failure|aborted)/i.test(decoded) ||
    /Result status:\s*failure/i.test(decoded)
  ) {
    return 'R';
  }
  if (/oauth2\/authorize|\/ia\/authorize|[?&]error=[a-z_]+/i.test(decoded)) return 'AZ';
  if (/oauth2\/token|grant_type|"error_description"|\berror_description=/i.test(decoded)) return 'TK';
  if (/ia::error|ia::result|"errorId"|\/ia\/api\/v1\/(?:objects|services)/i.test(decoded)) return 'API';
  if (/<errormessage>|xmlgw\.phtml/i.test(decoded) && gatewayCode) return 'G';
  if (
    /\b(?:ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ESOCKETTIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b|FetchError|cf-error-details|<html/i.test(
      decoded,
    )
  ) {
    return 'E';
  }
  return undefined;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

export function extractFeatures(raw: string): Features {
  // Cap the work on huge pastes (whole log files): errors sit near the end more often than not.
  const input = raw.length > 200_000 ? `${raw.slice(0, 100_000)}\n${raw.slice(-100_000)}` : raw;
  const decoded = decode(input);
  const codes = extractCodes(decoded);
  const features: Features = {
    decoded,
    text: normalizeText(decoded),
    codes,
    supportIds: unique(
      collect(decoded, [/\[Support ID:\s*([^\]\s]+)\s*\]/gi, /"supportId"\s*:\s*"([^"]+)"/g], 1),
    ),
    requestIds: unique(
      collect(decoded, [/\[Request ID:\s*([^\]\s]+)\s*\]/gi, /"requestId"\s*:\s*"([^"]+)"/g], 1),
    ),
    denied: [...decoded.matchAll(/operation\s+([A-Z_]+)\s+on objects of type\s+([A-Za-z0-9_]+)/gi)].map(
      (m) => ({
        operation: m[1]!,
        object: m[2]!.toUpperCase(),
      }),
    ),
  };
  // Wording checks (status lines, SDK phrases) must not depend on how a log wrapped or tabbed the text.
  const flat = decoded.replace(/\s+/g, ' ');
  const layer = detectLayer(flat, codes);
  if (layer) features.layer = layer;
  const status = extractHttpStatus(flat);
  if (status !== undefined) features.httpStatus = status;
  return features;
}
