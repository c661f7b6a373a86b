import { redactText as redactValues } from '../client/xml/redact.js';

/**
 * Redaction for everything the doctor writes out (transcripts, bundles, details). Secrets are removed
 * both by position (the content of tags and fields that hold secrets) and by value (every planted
 * secret string, in its plain, XML-escaped and URL-encoded forms), so a secret echoed back in an
 * unexpected place, e.g. inside an error description, is caught as well.
 */

export const REDACTED = '[REDACTED]';

const SECRET_TAGS = [
  'password',
  'sessionid',
  'clientsecret',
  'client_secret',
  'access_token',
  'refresh_token',
];
const SECRET_JSON_KEYS = [
  'password',
  'userPassword',
  'senderPassword',
  'sender_password',
  'user_password',
  'client_secret',
  'clientSecret',
  'access_token',
  'refresh_token',
  'id_token',
  'sessionId',
  'session_id',
  'token',
];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Secrets shorter than this are too likely to match ordinary text; they are still masked by position. */
const MIN_SECRET_LENGTH = 3;

export function redactText(text: string, secrets: readonly (string | undefined | null)[] = []): string {
  let out = text;
  for (const tag of SECRET_TAGS) {
    const re = new RegExp(`(<${tag}(?:\\s[^>]*)?>)([\\s\\S]*?)(</${tag}>)`, 'gi');
    out = out.replace(re, (_m, open: string, body: string, close: string) =>
      body.length ? `${open}${REDACTED}${close}` : `${open}${close}`,
    );
  }
  for (const key of SECRET_JSON_KEYS) {
    const re = new RegExp(`("${escapeRegExp(key)}"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'g');
    out = out.replace(re, `$1"${REDACTED}"`);
    const form = new RegExp(`((?:^|[?&\\s])${escapeRegExp(key)}=)[^&\\s]*`, 'g');
    out = out.replace(form, `$1${REDACTED}`);
  }
  out = out.replace(/(Authorization:\s*(?:Bearer|Basic)\s+)\S+/gi, `$1${REDACTED}`);
  // By value: the client's matcher covers every escaped, encoded and re-wrapped form of a secret.
  return redactValues(
    out,
    secrets.filter((v): v is string => !!v && v.length >= MIN_SECRET_LENGTH),
  );
}

export function redactHeaders(
  headers: Record<string, string>,
  secrets: readonly (string | undefined | null)[] = [],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'authorization' || lower === 'cookie' || lower === 'set-cookie') out[name] = REDACTED;
    else out[name] = redactText(value, secrets);
  }
  return out;
}

/** Redacts every string inside a JSON-like value (objects and arrays are copied, never mutated). */
export function redactDeep<T>(value: T, secrets: readonly (string | undefined | null)[]): T {
  const usable = secrets.filter((s): s is string => !!s && s.length >= MIN_SECRET_LENGTH);
  if (usable.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactText(v, usable);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
