import { escapeXml } from './escape.js';

export const REDACTED = '[REDACTED]';

/**
 * Elements whose content is always masked: both passwords and the session ID, plus the
 * financial identifiers the official SDK masks.
 */
export const SECRET_TAGS = [
  'password',
  'sessionid',
  'accountnumber',
  'cardnum',
  'ssn',
  'achaccountnumber',
  'wireaccountnumber',
  'taxid',
] as const;

const TAGS = SECRET_TAGS.join('|');
// Paired element, content may span lines or hold CDATA.
const PAIRED = new RegExp(`(<(${TAGS})(?:\\s[^>]*)?>)([\\s\\S]*?)(<\\/\\2\\s*>)`, 'gi');
// An opening tag whose element never closes (a truncated body): mask up to the next tag or the end.
const OPEN = new RegExp(`(<(?:${TAGS})(?:\\s[^>]*)?>)(?!\\[REDACTED\\])([^<]+)`, 'gi');
// The same fields as JSON keys or key=value pairs (logs, REST bodies).
const KEYED = new RegExp(
  `((?:"|')?(?:${TAGS}|sender_?password|user_?password|client_?secret|session_?id|access_?token|refresh_?token)(?:"|')?\\s*[:=]\\s*)("(?:[^"\\\\]|\\\\.)*"|'[^']*'|[^\\s,;&}]+)`,
  'gi',
);

function regexEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every form a secret can take in a transcript or a log line. */
function variants(secret: string): string[] {
  const out = new Set<string>();
  const forms = [secret, secret.replace(/\r\n/g, '\n'), secret.replace(/\r?\n/g, '\r\n')];
  for (const s of forms) {
    out.add(s);
    const xml = escapeXml(s);
    out.add(xml);
    out.add(xml.replace(/&apos;/g, '&#039;').replace(/&quot;/g, '&#034;'));
    out.add(xml.replace(/&apos;/g, '&#39;').replace(/&quot;/g, '&#34;'));
    out.add(xml.replace(/&apos;/g, '&#x27;').replace(/&quot;/g, '&#x22;'));
    out.add(s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    const json = JSON.stringify(s).slice(1, -1);
    out.add(json);
    out.add(JSON.stringify(json).slice(1, -1));
    out.add(encodeURIComponent(s));
    out.add(encodeURIComponent(s).replace(/%20/g, '+'));
  }
  return [...out].filter((v) => v.length > 0);
}

function secretPattern(secret: string): string {
  const alternatives = variants(secret).map(regexEscape);
  // A value with line breaks may be re-wrapped or re-indented on the way; match any whitespace run there.
  if (/\s/.test(secret.trim())) {
    const parts = secret
      .trim()
      .split(/\s+/)
      .map((p) => regexEscape(escapeXml(p)));
    alternatives.push(parts.join('(?:\\s|\\\\[rnt])+'));
    const raw = secret.trim().split(/\s+/).map(regexEscape);
    alternatives.push(raw.join('(?:\\s|\\\\[rnt])+'));
  }
  return alternatives.join('|');
}

const cache = new Map<string, RegExp>();

function secretsRegex(secrets: readonly string[]): RegExp | null {
  const list = [...new Set(secrets.filter((s) => typeof s === 'string' && s.length > 0))].sort(
    (a, b) => b.length - a.length,
  );
  if (list.length === 0) return null;
  const key = list.join('\u0000');
  let re = cache.get(key);
  if (!re) {
    re = new RegExp(list.map(secretPattern).join('|'), 'g');
    if (cache.size > 256) cache.clear();
    cache.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

/** Masks every occurrence of the given secret values, raw or XML/JSON/URL-escaped, even across lines. */
export function redactText(text: string, secrets: readonly (string | undefined | null)[] = []): string {
  if (!text) return text;
  const re = secretsRegex(secrets.filter((s): s is string => typeof s === 'string'));
  return re ? text.replace(re, REDACTED) : text;
}

/**
 * Masks the content of every secret element (passwords, session IDs, account numbers...), secret
 * JSON keys, and every planted secret value. Use it on every request/response body that is logged
 * or stored.
 */
export function redactXml(text: string, extraSecrets: readonly (string | undefined | null)[] = []): string {
  if (!text) return text;
  let out = text.replace(PAIRED, (_m, open: string, _tag: string, content: string, close: string) =>
    content === '' ? `${open}${close}` : `${open}${REDACTED}${close}`,
  );
  out = out.replace(OPEN, (_m, open: string) => `${open}${REDACTED}`);
  out = out.replace(KEYED, (_m, key: string, value: string) => {
    const q = value[0] === '"' || value[0] === "'" ? value[0] : '';
    return `${key}${q}${REDACTED}${q}`;
  });
  return redactText(out, extraSecrets);
}
