/**
 * Masks every secret the emulator can see in a request: XML password and session elements, form and
 * JSON fields carrying secrets or tokens, and Authorization headers. Applied before anything is logged.
 */
const XML_SECRET = /<(password|sessionid)>[^<]*<\/\1>/gi;
const FORM_SECRET =
  /((?:^|[&?])(?:client_secret|password|refresh_token|access_token|code|code_verifier|token|session_id)=)[^&\s]*/gi;
const JSON_SECRET =
  /("(?:client_secret|clientSecret|password|refresh_token|access_token|id_token|code|code_verifier|token|session_id|sessionId|secret)"\s*:\s*")(?:[^"\\]|\\.)*"/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

export const MASK = '***';

export function redact(text: string): string {
  return text
    .replace(XML_SECRET, (_m, tag: string) => `<${tag}>${MASK}</${tag}>`)
    .replace(FORM_SECRET, `$1${MASK}`)
    .replace(JSON_SECRET, `$1${MASK}"`)
    .replace(BEARER, `$1 ${MASK}`);
}
