/**
 * A small but real evaluator for readByQuery's query strings: `=`, `<>`, `!=`, `<`, `>`, `<=`, `>=`,
 * `[NOT] LIKE`, `[NOT] IN (...)`, `IS [NOT] NULL`, `AND`, `OR`, `NOT` and parentheses. Strings are
 * single-quoted with `\'` as the escape. Also the predicate model `query`'s `<filter>` compiles to.
 */

export type Predicate =
  | { kind: 'and' | 'or'; items: Predicate[] }
  | { kind: 'not'; item: Predicate }
  | { kind: 'cmp'; field: string; op: '=' | '<>' | '<' | '>' | '<=' | '>='; value: string }
  | { kind: 'like'; field: string; pattern: string; negate: boolean }
  | { kind: 'in'; field: string; values: string[]; negate: boolean }
  | { kind: 'null'; field: string; negate: boolean }
  | { kind: 'true' };

export class QueryError extends Error {}

type Token =
  | { t: 'word'; v: string }
  | { t: 'str'; v: string }
  | { t: 'op'; v: string }
  | { t: 'lp' }
  | { t: 'rp' }
  | { t: 'comma' };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let v = '';
      i++;
      while (i < text.length && text[i] !== "'") {
        if (text[i] === '\\' && i + 1 < text.length) {
          v += text[i + 1];
          i += 2;
        } else v += text[i++];
      }
      if (i >= text.length) throw new QueryError('unterminated string');
      i++;
      out.push({ t: 'str', v });
    } else if (c === '(') {
      out.push({ t: 'lp' });
      i++;
    } else if (c === ')') {
      out.push({ t: 'rp' });
      i++;
    } else if (c === ',') {
      out.push({ t: 'comma' });
      i++;
    } else if ('<>=!'.includes(c)) {
      const two = text.slice(i, i + 2);
      if (['<>', '<=', '>=', '!='].includes(two)) {
        out.push({ t: 'op', v: two === '!=' ? '<>' : two });
        i += 2;
      } else if (c === '!') throw new QueryError(`unexpected "!" at ${i}`);
      else {
        out.push({ t: 'op', v: c });
        i++;
      }
    } else {
      const m = /^[A-Za-z0-9_.:\-+]+/.exec(text.slice(i));
      if (!m) throw new QueryError(`unexpected "${c}" at ${i}`);
      out.push({ t: 'word', v: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

export function parseQuery(text: string): Predicate {
  if (!text.trim()) return { kind: 'true' };
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const isWord = (tok: Token | undefined, w: string) => tok?.t === 'word' && tok.v.toUpperCase() === w;
  const value = (): string => {
    const tok = tokens[pos++];
    if (tok?.t === 'str' || tok?.t === 'word') return tok.v;
    throw new QueryError('expected a value');
  };

  const comparison = (): Predicate => {
    const tok = tokens[pos++];
    if (tok?.t !== 'word') throw new QueryError('expected a field name');
    const field = tok.v.toUpperCase();
    const next = peek();
    if (next?.t === 'op') {
      pos++;
      return { kind: 'cmp', field, op: next.v as '=', value: value() };
    }
    let negate = false;
    if (isWord(next, 'IS')) {
      pos++;
      if (isWord(peek(), 'NOT')) {
        negate = true;
        pos++;
      }
      if (!isWord(tokens[pos++], 'NULL')) throw new QueryError('expected NULL');
      return { kind: 'null', field, negate };
    }
    if (isWord(next, 'NOT')) {
      negate = true;
      pos++;
    }
    if (isWord(peek(), 'LIKE')) {
      pos++;
      return { kind: 'like', field, pattern: value(), negate };
    }
    if (isWord(peek(), 'IN')) {
      pos++;
      if (tokens[pos++]?.t !== 'lp') throw new QueryError('expected ( after IN');
      const values: string[] = [];
      for (;;) {
        values.push(value());
        const sep = tokens[pos++];
        if (sep?.t === 'rp') break;
        if (sep?.t !== 'comma') throw new QueryError('expected , or ) in IN list');
      }
      return { kind: 'in', field, values, negate };
    }
    throw new QueryError(`expected an operator after ${field}`);
  };

  const factor = (): Predicate => {
    if (isWord(peek(), 'NOT')) {
      pos++;
      return { kind: 'not', item: factor() };
    }
    if (peek()?.t === 'lp') {
      pos++;
      const inner = expr();
      if (tokens[pos++]?.t !== 'rp') throw new QueryError('expected )');
      return inner;
    }
    return comparison();
  };
  const term = (): Predicate => {
    const items = [factor()];
    while (isWord(peek(), 'AND')) {
      pos++;
      items.push(factor());
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  };
  function expr(): Predicate {
    const items = [term()];
    while (isWord(peek(), 'OR')) {
      pos++;
      items.push(term());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }
  const result = expr();
  if (pos !== tokens.length) throw new QueryError('unexpected text after the condition');
  return result;
}

/** The field names a predicate reads (so unknown fields can be refused). */
export function predicateFields(p: Predicate, out = new Set<string>()): Set<string> {
  switch (p.kind) {
    case 'and':
    case 'or':
      for (const i of p.items) predicateFields(i, out);
      break;
    case 'not':
      predicateFields(p.item, out);
      break;
    case 'true':
      break;
    default:
      out.add(p.field);
  }
  return out;
}

const NUMERIC = /^-?\d+(\.\d+)?$/;
const DATE = /^(\d{2})\/(\d{2})\/(\d{4})(?: (\d{2}):(\d{2}):(\d{2}))?$/;

/** Numbers compare numerically and MM/DD/YYYY dates chronologically; everything else as text. */
function compare(a: string, b: string): number {
  if (NUMERIC.test(a) && NUMERIC.test(b)) return Number(a) - Number(b);
  const da = DATE.exec(a);
  const db = DATE.exec(b);
  if (da && db) {
    const key = (m: RegExpExecArray) => `${m[3]}${m[1]}${m[2]}${m[4] ?? '00'}${m[5] ?? '00'}${m[6] ?? '00'}`;
    return key(da) < key(db) ? -1 : key(da) > key(db) ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

const likeCache = new Map<string, RegExp>();
function likeRegex(pattern: string, caseInsensitive: boolean): RegExp {
  const key = `${caseInsensitive ? 'i' : 's'}${pattern}`;
  let re = likeCache.get(key);
  if (!re) {
    const body = pattern
      .split('')
      .map((ch) => (ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, caseInsensitive ? 'is' : 's');
    if (likeCache.size > 500) likeCache.clear();
    likeCache.set(key, re);
  }
  return re;
}

export function evaluate(p: Predicate, r: Record<string, string>, caseInsensitive = false): boolean {
  const norm = (s: string) => (caseInsensitive ? s.toLowerCase() : s);
  switch (p.kind) {
    case 'true':
      return true;
    case 'and':
      return p.items.every((i) => evaluate(i, r, caseInsensitive));
    case 'or':
      return p.items.some((i) => evaluate(i, r, caseInsensitive));
    case 'not':
      return !evaluate(p.item, r, caseInsensitive);
    case 'null': {
      const v = r[p.field];
      const isNull = v === undefined || v === '';
      return p.negate ? !isNull : isNull;
    }
    case 'like': {
      const hit = likeRegex(p.pattern, caseInsensitive).test(r[p.field] ?? '');
      return p.negate ? !hit : hit;
    }
    case 'in': {
      const v = norm(r[p.field] ?? '');
      const hit = p.values.some((x) => compare(v, norm(x)) === 0);
      return p.negate ? !hit : hit;
    }
    case 'cmp': {
      const c = compare(norm(r[p.field] ?? ''), norm(p.value));
      switch (p.op) {
        case '=':
          return c === 0;
        case '<>':
          return c !== 0;
        case '<':
          return c < 0;
        case '>':
          return c > 0;
        case '<=':
          return c <= 0;
        case '>=':
          return c >= 0;
      }
    }
  }
  return false;
}
