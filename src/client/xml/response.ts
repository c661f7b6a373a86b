import { type ErrorDetail, IntacctGatewayError, XmlParseError } from './errors.js';
import { type ScanOptions, scanXml, type XmlElement } from './scanner.js';

/**
 * How a record is represented: an element with neither attributes nor child elements becomes its
 * text (numbers stay strings, exactly as Intacct sends them; empty elements become ''). Any other
 * element becomes an object: child elements by name, attributes as `@name`, and its own non-blank
 * text as `#text`. Sibling elements with the same name become an array (line items, repeated
 * policies). Each child of `<data>` is one record and always an object (`{}` when empty).
 */
export type XmlValue = string | XmlRecord | XmlValue[];
export interface XmlRecord {
  [key: string]: XmlValue;
}

export interface ControlBlock {
  status: string;
  senderId: string;
  controlId: string;
  uniqueId: string;
  dtdVersion: string;
  /** Control-layer and gateway errors (`response/errormessage`). */
  errors: ErrorDetail[];
}

export interface AuthenticationBlock {
  status: string;
  userId: string;
  companyId: string;
  locationId: string;
  clientId: string;
  sessionTimestamp: string;
  sessionTimeout: string;
  /** Authentication-layer errors (`operation/errormessage`). */
  errors: ErrorDetail[];
}

export interface ResultBlock {
  status: string;
  function: string;
  controlId: string;
  data: XmlRecord[];
  /** `<data count>`; null when absent. */
  count: number | null;
  totalCount: number | null;
  numRemaining: number | null;
  /** `query` pages by offset; null when absent. */
  offset: number | null;
  /** '' when absent (and when Intacct sends an empty one at the end of a list). */
  resultId: string;
  listType: string;
  key: string;
  errors: ErrorDetail[];
}

export interface ParsedResponse {
  control: ControlBlock;
  authentication: AuthenticationBlock | null;
  results: ResultBlock[];
  /** Present on asynchronous (policy) requests: the gateway's immediate acknowledgement. */
  acknowledgement: { status: string } | null;
}

export interface ParseOptions extends ScanOptions {}

function child(el: XmlElement | undefined | null, name: string): XmlElement | undefined {
  const kids = el?.children;
  if (!kids) return undefined;
  for (let i = 0; i < kids.length; i++) if ((kids[i] as XmlElement).name === name) return kids[i];
  return undefined;
}

function children(el: XmlElement | undefined, name: string): XmlElement[] {
  return el?.children ? el.children.filter((k) => k.name === name) : [];
}

/** The element's text content, descendants included (a stray tag inside an error text must not hide it). */
function textOf(el: XmlElement | undefined): string {
  if (!el) return '';
  if (!el.children) return el.text;
  return el.text + el.children.map(textOf).join('');
}

function fieldText(el: XmlElement | undefined, name: string): string {
  return textOf(child(el, name)).trim();
}

function parseErrors(em: XmlElement | undefined): ErrorDetail[] {
  return children(em, 'error').map((e) => ({
    errorno: fieldText(e, 'errorno'),
    description: fieldText(e, 'description'),
    description2: fieldText(e, 'description2'),
    correction: fieldText(e, 'correction'),
  }));
}

function setKey(obj: XmlRecord, key: string, value: XmlValue): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
    return;
  }
  // Own properties only: a field named `constructor` or `toString` must not meet Object.prototype.
  const existing = Object.hasOwn(obj, key) ? obj[key] : undefined;
  if (existing === undefined) obj[key] = value;
  // Element values are never arrays themselves, so an array here was made from earlier siblings.
  else if (Array.isArray(existing)) existing.push(value);
  else obj[key] = [existing, value];
}

function toRecord(el: XmlElement): XmlRecord {
  const rec: XmlRecord = {};
  if (el.attrs) for (const [k, v] of Object.entries(el.attrs)) setKey(rec, `@${k}`, v);
  const kids = el.children;
  if (kids) {
    for (let i = 0; i < kids.length; i++) {
      const k = kids[i] as XmlElement;
      setKey(rec, k.name, k.children === null && k.attrs === null ? k.text : toRecord(k));
    }
    if (el.text.trim() !== '') setKey(rec, '#text', el.text);
  } else if (el.text !== '') setKey(rec, '#text', el.text);
  return rec;
}

export function toValue(el: XmlElement): XmlValue {
  return el.children === null && el.attrs === null ? el.text : toRecord(el);
}

type RecordBuilder = (kids: XmlElement[]) => XmlRecord;
const builders = new Map<string, RecordBuilder>();

/**
 * A builder for records whose fields are all plain leaves with distinct names. Pages hold hundreds of
 * records of one shape; an object literal of that shape is built in one allocation with a stable
 * hidden class, where assigning keys one by one is the single most expensive step of a parse.
 * Names enter the generated code only through JSON.stringify, so they cannot inject code.
 */
function leafBuilder(names: string[]): RecordBuilder | null {
  if (names.length === 0 || names.length > 500 || names.includes('__proto__')) return null;
  if (new Set(names).size !== names.length) return null;
  // JSON keeps the key unambiguous even for names that contain separators.
  const key = JSON.stringify(names);
  let builder = builders.get(key);
  if (!builder) {
    const body = names.map((n, i) => `${JSON.stringify(n)}: k[${i}].text`).join(', ');
    builder = new Function('k', `return { ${body} };`) as RecordBuilder;
    if (builders.size >= 256) builders.clear();
    builders.set(key, builder);
  }
  return builder;
}

function leafNames(rec: XmlElement): string[] | null {
  const kids = rec.children;
  if (rec.attrs !== null || kids === null) return null;
  const names: string[] = [];
  for (let i = 0; i < kids.length; i++) {
    const k = kids[i] as XmlElement;
    if (k.children !== null || k.attrs !== null) return null;
    names.push(k.name);
  }
  return names;
}

function sameLeafShape(rec: XmlElement, names: string[]): boolean {
  const kids = rec.children;
  if (rec.attrs !== null || kids === null || kids.length !== names.length) return false;
  for (let i = 0; i < kids.length; i++) {
    const k = kids[i] as XmlElement;
    if (k.children !== null || k.attrs !== null || k.name !== names[i]) return false;
  }
  return true;
}

function toRecords(data: XmlElement | undefined): XmlRecord[] {
  const out: XmlRecord[] = [];
  const kids = data?.children;
  if (!kids) return out;
  let names: string[] | null = null;
  let builder: RecordBuilder | null = null;
  for (let i = 0; i < kids.length; i++) {
    const rec = kids[i] as XmlElement;
    if (builder && names && sameLeafShape(rec, names)) {
      out.push(builder(rec.children as XmlElement[]));
      continue;
    }
    const shape = leafNames(rec);
    const b = shape ? leafBuilder(shape) : null;
    if (b && shape) {
      names = shape;
      builder = b;
      out.push(b(rec.children as XmlElement[]));
    } else out.push(toRecord(rec));
  }
  return out;
}

function num(v: string | undefined): number | null {
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function parseResult(r: XmlElement): ResultBlock {
  const data = child(r, 'data');
  const attrs = data?.attrs ?? {};
  const records = toRecords(data);
  const listTypeEl = child(r, 'listtype');
  return {
    status: fieldText(r, 'status'),
    function: fieldText(r, 'function'),
    controlId: fieldText(r, 'controlid'),
    data: records,
    count: num(attrs.count),
    totalCount: num(attrs.totalcount),
    numRemaining: num(attrs.numremaining),
    offset: num(attrs.offset),
    resultId: attrs.resultId ?? attrs.resultid ?? '',
    listType: attrs.listtype ?? (listTypeEl ? textOf(listTypeEl).trim() : ''),
    key: fieldText(r, 'key'),
    errors: parseErrors(child(r, 'errormessage')),
  };
}

function looksLikeHtml(body: string): boolean {
  const head = body.slice(0, 1024).trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || /<html[\s>]/.test(head);
}

/**
 * Parses a gateway response body (CONTRACT §1b). Failure statuses are data here, not exceptions;
 * `classifyReply` turns them into typed errors. Throws only when the body is not a gateway response:
 * `XmlSafetyError` (DOCTYPE/ENTITY, size, depth), `XmlParseError` (malformed or truncated), or
 * `IntacctGatewayError` (an HTML page, or a root other than `<response>`).
 */
export function parseResponse(xml: string, options: ParseOptions = {}): ParsedResponse {
  if (typeof xml !== 'string') throw new XmlParseError('body is not a string', 0);
  if (looksLikeHtml(xml)) {
    throw new IntacctGatewayError('html', 'Response is an HTML page, not gateway XML', {
      edge: xml.includes('cf-error-details') ? 'cloudflare' : null,
      idText: xml.slice(0, 64 * 1024),
    });
  }
  const root = scanXml(xml, options);
  if (root.name !== 'response') {
    throw new XmlParseError(`root element is <${root.name.slice(0, 40)}>, not <response>`, 0);
  }
  const controlEl = child(root, 'control');
  if (!controlEl) throw new XmlParseError('<response> has no <control> block', 0);
  const control: ControlBlock = {
    status: fieldText(controlEl, 'status'),
    senderId: fieldText(controlEl, 'senderid'),
    controlId: fieldText(controlEl, 'controlid'),
    uniqueId: fieldText(controlEl, 'uniqueid'),
    dtdVersion: fieldText(controlEl, 'dtdversion'),
    errors: parseErrors(child(root, 'errormessage')),
  };
  const ackEl = child(root, 'acknowledgement');
  const acknowledgement = ackEl ? { status: fieldText(ackEl, 'status') } : null;

  let authentication: AuthenticationBlock | null = null;
  const results: ResultBlock[] = [];
  // The grammar allows several operations; results of all are reported in order.
  for (const op of children(root, 'operation')) {
    const authEl = child(op, 'authentication');
    const opErrors = parseErrors(child(op, 'errormessage'));
    if (!authentication) {
      authentication = {
        status: fieldText(authEl, 'status'),
        userId: fieldText(authEl, 'userid'),
        companyId: fieldText(authEl, 'companyid'),
        locationId: fieldText(authEl, 'locationid'),
        clientId: fieldText(authEl, 'clientid'),
        sessionTimestamp: fieldText(authEl, 'sessiontimestamp'),
        sessionTimeout: fieldText(authEl, 'sessiontimeout'),
        errors: opErrors,
      };
    } else authentication.errors.push(...opErrors);
    for (const r of children(op, 'result')) results.push(parseResult(r));
  }
  return { control, authentication, results, acknowledgement };
}

/**
 * Reads a leaf text from a record by path, '' when absent or not text
 * (e.g. `recordText(result.data[0], 'sessionid')`).
 */
export function recordText(record: XmlValue | undefined, ...path: string[]): string {
  let v: XmlValue | undefined = record;
  for (const key of path) {
    if (v === undefined || typeof v === 'string' || Array.isArray(v)) return '';
    v = v[key];
  }
  if (typeof v === 'string') return v;
  if (v && !Array.isArray(v) && typeof v['#text'] === 'string') return v['#text'];
  return '';
}

/** A value as a list: repeated siblings are already arrays, a single one becomes a one-item list. */
export function asList(value: XmlValue | undefined): XmlValue[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
