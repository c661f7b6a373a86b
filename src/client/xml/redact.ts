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

const CHAR_FORMS: Record<string, string[]> = {
  '&': ['&', '&amp;', '&#38;', '&#x26;', '\\u0026'],
  '<': ['<', '&lt;', '&#60;', '&#x3c;', '&#x3C;', '\\u003c', '\\u003C'],
  '>': ['>', '&gt;', '&#62;', '&#x3e;', '&#x3E;', '\\u003e', '\\u003E'],
  '"': ['"', '&quot;', '&#34;', '&#034;', '&#x22;', '\\"'],
  "'": ["'", '&apos;', '&#39;', '&#039;', '&#x27;', "\\'"],
  '\\': ['\\', '\\\\'],
};
const WHITESPACE_RUN = '(?:\\s|\\\\[rnt]|&#(?:9|10|13|x9|xa|xA|xd|xD);)+';

/**
 * One pattern per secret that matches it in every form it takes in a transcript or a log line:
 * raw, XML-escaped (any entity style), JSON-escaped, with its line breaks re-wrapped or re-indented,
 * and URL-encoded.
 */
function secretPattern(secret: string): string {
  let charwise = '';
  let inSpace = false;
  for (const ch of secret) {
    if (/\s/.test(ch)) {
      if (!inSpace) charwise += WHITESPACE_RUN;
      inSpace = true;
      continue;
    }
    inSpace = false;
    const forms = CHAR_FORMS[ch];
    charwise += forms ? `(?:${forms.map(regexEscape).join('|')})` : regexEscape(ch);
  }
  const alternatives = [charwise];
  const url = encodeURIComponent(secret);
  if (url !== secret) alternatives.push(regexEscape(url), regexEscape(url.replace(/%20/g, '+')));
  // Form bodies (application/x-www-form-urlencoded) also encode ! ' ( ) ~, unlike encodeURIComponent.
  const form = new URLSearchParams({ x: secret }).toString().slice(2);
  if (form !== secret && form !== url) alternatives.push(regexEscape(form));
  return alternatives.join('|');
}

const cache = new Map<string, RegExp>();

function secretsRegex(secrets: readonly string[]): RegExp | null {
  const list = [...new Set(secrets.filter((s) => typeof s === 'string' && s.trim().length > 0))].sort(
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
