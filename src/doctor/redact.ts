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

function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function variants(secret: string): string[] {
  const forms = new Set<string>([secret, xmlEscape(secret), secret.replace(/'/g, '&#039;')]);
  try {
    forms.add(encodeURIComponent(secret));
    forms.add(encodeURIComponent(secret).replace(/%20/g, '+'));
  } catch {
    // A lone surrogate cannot be URL-encoded; the plain form is still covered.
  }
  return [...forms].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
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
  for (const secret of secrets) {
    if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of variants(secret)) {
      out = out.replace(new RegExp(escapeRegExp(form), 'g'), REDACTED);
    }
  }
  return out;
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
