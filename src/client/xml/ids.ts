/**
 * Support and Request IDs that Intacct appends to error texts. Support IDs arrive URL-encoded
 * (`%7E` for `~`); Sage Support needs them decoded.
 */
export interface DecodedIds {
  supportIds: string[];
  requestIds: string[];
}

const SUPPORT_ID = /\[\s*Support\s*ID\s*:\s*([^\]]*?)\s*\]/gi;
const REQUEST_ID = /\[\s*Request\s*ID\s*:\s*([^\]]*?)\s*\]/gi;

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // A stray `%` must not lose the ID; decode only the escapes that are well formed.
    return value.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
  }
}

function collect(text: string, pattern: RegExp, into: string[]): void {
  for (const match of text.matchAll(pattern)) {
    const id = safeDecode(match[1] ?? '').trim();
    if (id && !into.includes(id)) into.push(id);
  }
}

export function decodeIds(text: string | readonly string[]): DecodedIds {
  const texts = typeof text === 'string' ? [text] : text;
  const supportIds: string[] = [];
  const requestIds: string[] = [];
  for (const t of texts) {
    if (!t) continue;
    collect(t, SUPPORT_ID, supportIds);
    collect(t, REQUEST_ID, requestIds);
  }
  return { supportIds, requestIds };
}
