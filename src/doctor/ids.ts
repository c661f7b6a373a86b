/** Support IDs and Request IDs that Intacct appends to error texts (reference §2.7). */

function decode(id: string): string {
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
}

function collect(text: string, label: string): string[] {
  const re = new RegExp(`\\[\\s*${label}\\s*:\\s*([^\\]\\s<]+)\\s*\\]`, 'gi');
  const out: string[] = [];
  for (const m of text.matchAll(re)) out.push(decode(m[1]!));
  return out;
}

/** Every Support ID in a text, URL-decoded (Intacct sends `%7E` for `~`). */
export function extractSupportIds(text: string): string[] {
  const ids = collect(text, 'Support\\s*ID');
  for (const m of text.matchAll(/"supportId"\s*:\s*"([^"]+)"/g)) ids.push(decode(m[1]!));
  return [...new Set(ids)];
}

/** Every Request ID in a text (gateway errors put it in `description`, REST in `details.requestId`). */
export function extractRequestIds(text: string): string[] {
  const ids = collect(text, 'Request\\s*ID');
  for (const m of text.matchAll(/"requestId"\s*:\s*"([^"]+)"/g)) ids.push(m[1]!);
  return [...new Set(ids)];
}

/** Removes a trailing `[Support ID: …]` / `[Request ID: …]` so texts compare on their meaning. */
export function stripIds(text: string): string {
  return text.replace(/\s*\[\s*(?:Support|Request)\s*ID\s*:[^\]]*\]/gi, '').trim();
}
