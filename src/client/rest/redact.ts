import { redactText as redactValues } from '../xml/redact.js';
/**
 * Redaction for anything that may reach a log, a transcript or an error message. OAuth traffic carries
 * secrets in form bodies, JSON bodies, headers and URLs, so each gets its own pass; the JWT pass is a
 * last line of defence for tokens that arrive under a field name we did not foresee.
 */

export const REDACTED = '[REDACTED]';

/** Field names (form, JSON, query) whose values are secret. Compared case-insensitively. */
export const SECRET_FIELDS = [
  'client_secret',
  'password',
  'user_password',
  'sender_password',
  'refresh_token',
  'access_token',
  'id_token',
  'code',
  'code_verifier',
  'session_id',
  'sessionid',
  'token',
  'accessToken',
  'refreshToken',
  'clientSecret',
  'sessionId',
  'userPassword',
  'senderPassword',
] as const;

const secretFieldSet = new Set(SECRET_FIELDS.map((f) => f.toLowerCase()));

export function isSecretField(name: string): boolean {
  return secretFieldSet.has(name.toLowerCase());
}

const JWT_PATTERN = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/** Replaces every value in `text` that equals one of `known` (secrets the caller holds) and every JWT. */
export function redactText(text: string, known: ReadonlyArray<string | undefined> = []): string {
  // By value (raw, escaped, URL- and form-encoded, re-wrapped), with the XML client's matcher.
  const out = redactValues(
    text,
    known.filter((v): v is string => !!v && v.length >= 4),
  );
  return out.replace(JWT_PATTERN, REDACTED);
}

/** Redacts a form-encoded body or query string. */
export function redactForm(body: string, known: ReadonlyArray<string | undefined> = []): string {
  if (!body.includes('=')) return redactText(body, known);
  const parts = body.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) return pair;
    const name = decodeURIComponent(pair.slice(0, eq).replace(/\+/g, ' '));
    return isSecretField(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
  });
  return redactText(parts.join('&'), known);
}

/** Redacts a JSON value deeply by field name. */
export function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        isSecretField(k) && v !== null && v !== '' ? REDACTED : redactJson(v),
      ]),
    );
  }
  return value;
}

/** Redacts a body of any kind: JSON by field, form by field, anything else by known values and JWTs. */
export function redactBody(body: string, known: ReadonlyArray<string | undefined> = []): string {
  const trimmed = body.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return redactText(JSON.stringify(redactJson(JSON.parse(trimmed))), known);
    } catch {
      // Not JSON after all: fall through to the text pass.
    }
  }
  if (/^[\w.%+-]+=/.test(trimmed) && !trimmed.includes('<')) return redactForm(trimmed, known);
  return redactText(body, known);
}

const SECRET_HEADERS = new Set(['authorization', 'cookie', 'set-cookie', 'proxy-authorization']);

export function redactHeaders(
  headers: Record<string, string> | Headers,
  known: ReadonlyArray<string | undefined> = [],
): Record<string, string> {
  const entries: Array<[string, string]> = [];
  if (headers instanceof Headers)
    headers.forEach((v, k) => {
      entries.push([k, v]);
    });
  else entries.push(...Object.entries(headers));
  return Object.fromEntries(
    entries.map(([k, v]) => {
      if (SECRET_HEADERS.has(k.toLowerCase())) {
        const scheme = v.split(' ')[0];
        return [k, scheme && scheme !== v ? `${scheme} ${REDACTED}` : REDACTED];
      }
      return [k, redactText(v, known)];
    }),
  );
}

/** Redacts the query string of a URL. */
export function redactUrl(url: string, known: ReadonlyArray<string | undefined> = []): string {
  const q = url.indexOf('?');
  if (q < 0) return redactText(url, known);
  return `${redactText(url.slice(0, q), known)}?${redactForm(url.slice(q + 1), known)}`;
}
