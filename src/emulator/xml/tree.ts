import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** A parsed XML element. Text is the concatenated direct text content. */
export interface XNode {
  name: string;
  attrs: Record<string, string>;
  children: XNode[];
  text: string;
}

export type ParseOutcome = { ok: true; root: XNode } | { ok: false; errors: string[] };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: false,
});

type Ordered = Record<string, unknown>;

function convert(entry: Ordered): XNode | string | undefined {
  if ('#text' in entry) return String(entry['#text']);
  const name = Object.keys(entry).find((k) => k !== ':@');
  if (!name) return undefined;
  const attrsRaw = (entry[':@'] ?? {}) as Record<string, unknown>;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrsRaw)) attrs[k] = String(v);
  const node: XNode = { name, attrs, children: [], text: '' };
  const kids = entry[name];
  if (Array.isArray(kids)) {
    for (const kid of kids) {
      const c = convert(kid as Ordered);
      if (typeof c === 'string') node.text += c;
      else if (c) node.children.push(c);
    }
  }
  return node;
}

/**
 * Parses a request body. Well-formedness errors come back in the libxml style Intacct quotes
 * (`Fatal Error 76: ...`), since XL03000003 carries them in description2.
 */
export function parseXml(text: string): ParseOutcome {
  if (/<!DOCTYPE/i.test(text)) {
    return {
      ok: false,
      errors: ['XML Parse schema error: Fatal Error 94: DOCTYPE declarations are not allowed.'],
    };
  }
  if (!text.trim())
    return { ok: false, errors: ['XML Parse schema error: Fatal Error 4: Document is empty.'] };
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const e = valid.err;
    return {
      ok: false,
      errors: [
        `XML Parse schema error: Fatal Error 76: ${e.msg.replace(/\.$/, '')} at line ${e.line}, column ${e.col}.`,
      ],
    };
  }
  let out: unknown;
  try {
    out = parser.parse(text);
  } catch (error) {
    return { ok: false, errors: [`XML Parse schema error: Fatal Error 76: ${(error as Error).message}`] };
  }
  const nodes = (Array.isArray(out) ? out : [])
    .map((e) => convert(e as Ordered))
    .filter((n): n is XNode => typeof n === 'object');
  if (nodes.length !== 1) {
    return {
      ok: false,
      errors: ['XML Parse schema error: Fatal Error 5: Extra content at the end of the document.'],
    };
  }
  return { ok: true, root: nodes[0]! };
}

export function child(node: XNode, name: string): XNode | undefined {
  return node.children.find((c) => c.name === name);
}

export function childText(node: XNode, name: string): string | undefined {
  const c = child(node, name);
  return c ? c.text.trim() : undefined;
}
