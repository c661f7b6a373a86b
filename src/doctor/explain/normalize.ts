/**
 * Text normalization for the explainer. People paste errors after they have been through JSON
 * string escaping, HTML entity encoding, URL encoding and word processors, so every layer of that
 * is undone before matching, and signatures are normalized the same way.
 */

const NAMED_ENTITIES: Record<string, string> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '-',
  mdash: '-',
  lsquo: "'",
  rsquo: "'",
  ldquo: '"',
  rdquo: '"',
  hellip: '...',
};

function fromCodePoint(code: number): string {
  return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
}

export function decodeEntities(text: string): string {
  let out = text;
  // Twice, for double-encoded text such as `&amp;#039;` inside an HTML log viewer.
  for (let i = 0; i < 2; i++) {
    const next = out.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (whole, body: string) => {
      if (body[0] === '#') {
        const hex = body[1] === 'x' || body[1] === 'X';
        return fromCodePoint(Number.parseInt(body.slice(hex ? 2 : 1), hex ? 16 : 10)) || whole;
      }
      return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
    });
    if (next === out) break;
    out = next;
  }
  return out;
}

/** Undoes JSON string escaping left in log lines (`\"`, `\n`, `\u2013`, `\/`). */
export function unescapeJsonLike(text: string): string {
  if (!text.includes('\\')) return text;
  let out = text;
  for (let i = 0; i < 2; i++) {
    const next = out
      .replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
      .replace(/\\[nrt]/g, ' ')
      .replace(/\\(["'/\\])/g, '$1');
    if (next === out) break;
    out = next;
  }
  return out;
}

/**
 * Decodes `%XX` runs (Support IDs, redirect query strings), twice for URLs that were encoded again
 * when they were logged; leaves malformed sequences alone.
 */
export function decodePercent(text: string): string {
  let out = text;
  for (let i = 0; i < 2 && /%[0-9a-f]{2}/i.test(out); i++) {
    out = out.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
  // In form- and query-encoded text a plus between words is a space.
  if (/[?&][a-z_]+=/i.test(out)) out = out.replace(/(?<=[A-Za-z0-9.,)])\+(?=[A-Za-z0-9(])/g, ' ');
  return out;
}

export function foldPunctuation(text: string): string {
  return text
    .replace(/[\u2018\u2019\u201a\u201b\u2032\u00b4`]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f\u2033]/g, '"')
    .replace(/[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]/g, '-')
    .replace(/[\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]/g, ' ');
}

/** Decoded but with case and markup kept: what structural extraction (XML, JSON) works on. */
export function decode(text: string): string {
  return foldPunctuation(decodePercent(decodeEntities(unescapeJsonLike(text))));
}

/** Lower-cased, markup stripped, whitespace collapsed: what signature texts are matched against. */
export function normalizeText(decoded: string): string {
  return decoded
    .replace(/<\/?[a-z][^<>]{0,300}>/gi, ' ')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Signature texts go through the same folding as input, so authors can paste real error texts. */
export function normalizeSignatureText(text: string): string {
  return normalizeText(foldPunctuation(decodeEntities(text)));
}
