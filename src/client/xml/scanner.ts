import { XmlParseError, XmlSafetyError } from './errors.js';

/**
 * A purpose-built scanner for the gateway's XML: elements, a few attributes, the five predefined
 * entities and character references, CDATA; comments and processing instructions are skipped.
 * DOCTYPE and ENTITY declarations are refused outright, so no external entity is ever fetched and no
 * entity is ever expanded. It walks the string with indexOf/charCodeAt and allocates one small
 * object per element, which is what makes it several times faster than a general parser.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string> | null;
  children: XmlElement[] | null;
  text: string;
}

export interface ScanOptions {
  /** Refuse bodies larger than this many bytes (UTF-8). Default 64 MiB. */
  maxBytes?: number;
  /** Refuse nesting deeper than this. Default 128. */
  maxDepth?: number;
}

export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 128;

const LT = 60; // <
const GT = 62; // >
const SLASH = 47;
const BANG = 33;
const QUESTION = 63;
const EQ = 61;
const DQ = 34;
const SQ = 39;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function isNameEnd(c: number): boolean {
  return c === GT || c === SLASH || isSpace(c) || c === EQ || c === LT || Number.isNaN(c);
}

function named(body: string): string | undefined {
  switch (body) {
    case 'amp':
      return '&';
    case 'lt':
      return '<';
    case 'gt':
      return '>';
    case 'quot':
      return '"';
    case 'apos':
      return "'";
    default:
      return undefined;
  }
}

function numeric(s: string, from: number, to: number): string | undefined {
  const hex = s.charCodeAt(from) === 120 || s.charCodeAt(from) === 88;
  const start = hex ? from + 1 : from;
  if (start >= to || to - start > 8) return undefined;
  let code = 0;
  for (let i = start; i < to; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (hex && c >= 97 && c <= 102) d = c - 87;
    else if (hex && c >= 65 && c <= 70) d = c - 55;
    else return undefined;
    code = code * (hex ? 16 : 10) + d;
  }
  if (code === 9 || code === 10 || code === 13 || (code >= 0x20 && code <= 0xd7ff))
    return String.fromCharCode(code);
  if ((code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff))
    return String.fromCodePoint(code);
  // A reference to a character XML forbids cannot be honoured; it must not vanish silently either.
  return '\ufffd';
}

/**
 * Decodes the five predefined entities and character references. Unknown names (e.g. `&nbsp;` in an
 * HTML-ish text) stay literal: with DOCTYPE refused they can never be defined, and keeping them is
 * more useful than failing the whole response.
 */
export function decodeText(s: string): string {
  let amp = s.indexOf('&');
  if (amp === -1) return s;
  let out = '';
  let last = 0;
  while (amp !== -1) {
    const semi = s.indexOf(';', amp + 1);
    if (semi === -1) break;
    let rep: string | undefined;
    if (semi - amp <= 11) {
      rep = s.charCodeAt(amp + 1) === 35 ? numeric(s, amp + 2, semi) : named(s.slice(amp + 1, semi));
    }
    if (rep === undefined) {
      amp = s.indexOf('&', amp + 1);
      continue;
    }
    out += s.slice(last, amp) + rep;
    last = semi + 1;
    amp = s.indexOf('&', last);
  }
  return last === 0 ? s : out + s.slice(last);
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s.charCodeAt(i))) return false;
  return true;
}

export function checkSize(xml: string, maxBytes: number): void {
  // Each UTF-16 unit is at most 3 UTF-8 bytes; only count bytes when it could matter.
  if (xml.length > maxBytes || (xml.length * 3 > maxBytes && Buffer.byteLength(xml, 'utf8') > maxBytes)) {
    throw new XmlSafetyError(
      'size',
      `Response body is larger than the ${maxBytes}-byte limit; refused unparsed`,
    );
  }
}

export function scanXml(xml: string, options: ScanOptions = {}): XmlElement {
  checkSize(xml, options.maxBytes ?? DEFAULT_MAX_BYTES);
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const n = xml.length;
  let i = xml.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;

  while (i < n) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      const top = stack[stack.length - 1];
      const chunk = xml.slice(i, textEnd);
      if (top) {
        // Whitespace between child elements is layout, not content.
        if (top.children === null || !isBlank(chunk)) top.text += decodeText(chunk);
      } else if (!isBlank(chunk)) {
        throw new XmlParseError(root ? 'text after the root element' : 'text before the root element', i);
      }
    }
    if (lt === -1) break;
    const c = xml.charCodeAt(lt + 1);

    if (c === SLASH) {
      const top = stack.pop();
      // Fast path: compare in place instead of slicing out every end tag's name.
      if (top && xml.startsWith(top.name, lt + 2)) {
        let k = lt + 2 + top.name.length;
        while (k < n && isSpace(xml.charCodeAt(k))) k++;
        if (xml.charCodeAt(k) === GT) {
          i = k + 1;
          continue;
        }
      }
      const gt = xml.indexOf('>', lt + 2);
      if (gt === -1) throw new XmlParseError('unterminated end tag', lt);
      const name = xml.slice(lt + 2, gt).trim();
      if (!top) throw new XmlParseError(`end tag </${name.slice(0, 40)}> without a start tag`, lt);
      throw new XmlParseError(
        `end tag </${name.slice(0, 40)}> does not match <${top.name.slice(0, 40)}>`,
        lt,
      );
    }

    if (c === QUESTION) {
      const end = xml.indexOf('?>', lt + 2);
      if (end === -1) throw new XmlParseError('unterminated processing instruction', lt);
      i = end + 2;
      continue;
    }

    if (c === BANG) {
      if (xml.startsWith('<!--', lt)) {
        const end = xml.indexOf('-->', lt + 4);
        if (end === -1) throw new XmlParseError('unterminated comment', lt);
        i = end + 3;
        continue;
      }
      if (xml.startsWith('<![CDATA[', lt)) {
        const end = xml.indexOf(']]>', lt + 9);
        if (end === -1) throw new XmlParseError('unterminated CDATA section', lt);
        const top = stack[stack.length - 1];
        if (!top) throw new XmlParseError('CDATA outside the root element', lt);
        top.text += xml.slice(lt + 9, end);
        i = end + 3;
        continue;
      }
      const word = xml.slice(lt + 2, lt + 9).toUpperCase();
      if (word.startsWith('DOCTYPE')) {
        throw new XmlSafetyError(
          'doctype',
          'Response contains a DOCTYPE declaration; refused to prevent external-entity (XXE) and entity-expansion attacks',
        );
      }
      if (word.startsWith('ENTITY')) {
        throw new XmlSafetyError(
          'entity',
          'Response declares an ENTITY; refused to prevent entity-expansion attacks',
        );
      }
      throw new XmlParseError('unsupported markup declaration', lt);
    }

    // Start tag.
    let j = lt + 1;
    while (j < n && !isNameEnd(xml.charCodeAt(j))) j++;
    if (j === lt + 1) throw new XmlParseError('expected an element name after <', lt);
    const name = xml.slice(lt + 1, j);
    let attrs: Record<string, string> | null = null;
    let selfClosing = false;
    for (;;) {
      while (j < n && isSpace(xml.charCodeAt(j))) j++;
      if (j >= n) throw new XmlParseError(`unterminated start tag <${name.slice(0, 40)}>`, lt);
      const d = xml.charCodeAt(j);
      if (d === GT) {
        j++;
        break;
      }
      if (d === SLASH) {
        if (xml.charCodeAt(j + 1) !== GT) throw new XmlParseError('expected > after /', j);
        selfClosing = true;
        j += 2;
        break;
      }
      const an = j;
      while (j < n && !isNameEnd(xml.charCodeAt(j))) j++;
      if (j === an) throw new XmlParseError(`unexpected character in tag <${name.slice(0, 40)}>`, j);
      const attrName = xml.slice(an, j);
      while (j < n && isSpace(xml.charCodeAt(j))) j++;
      if (xml.charCodeAt(j) !== EQ)
        throw new XmlParseError(`attribute ${attrName.slice(0, 40)} has no value`, j);
      j++;
      while (j < n && isSpace(xml.charCodeAt(j))) j++;
      const q = xml.charCodeAt(j);
      if (q !== DQ && q !== SQ)
        throw new XmlParseError(`attribute ${attrName.slice(0, 40)} value is not quoted`, j);
      const close = xml.indexOf(q === DQ ? '"' : "'", j + 1);
      if (close === -1)
        throw new XmlParseError(`unterminated value of attribute ${attrName.slice(0, 40)}`, j);
      const raw = xml.slice(j + 1, close);
      if (raw.indexOf('<') !== -1) throw new XmlParseError('< inside an attribute value', j);
      if (attrs === null) attrs = {};
      if (attrName !== '__proto__') attrs[attrName] = decodeText(raw);
      j = close + 1;
    }

    const el: XmlElement = { name, attrs, children: null, text: '' };
    const parent = stack[stack.length - 1];
    if (parent) {
      if (parent.children === null) {
        parent.children = [el];
        // Text seen so far in a parent that turns out to have children is layout whitespace.
        if (isBlank(parent.text)) parent.text = '';
      } else parent.children.push(el);
    } else {
      if (root) throw new XmlParseError('more than one root element', lt);
      root = el;
    }
    if (!selfClosing) {
      if (stack.length >= maxDepth) {
        throw new XmlSafetyError('depth', `Response nests elements deeper than ${maxDepth} levels; refused`);
      }
      stack.push(el);
    }
    i = j;
  }

  if (stack.length > 0) {
    const top = stack[stack.length - 1] as XmlElement;
    throw new XmlParseError(`document ends inside <${top.name.slice(0, 40)}> (truncated body?)`, n);
  }
  if (!root) throw new XmlParseError('no root element', n);
  return root;
}
