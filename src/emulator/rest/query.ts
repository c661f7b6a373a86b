/**
 * The query service's filter language (reference §3.7): `{"$op": {field: value}}` items joined by a
 * `filterExpression` such as `1 and (2 or 3)` (default: all joined by and). Pure functions.
 */

export type Row = Record<string, unknown>;
export type Filter = Record<string, Record<string, unknown>>;

export class QueryError extends Error {}

const OPS = new Set([
  '$eq',
  '$ne',
  '$lt',
  '$lte',
  '$gt',
  '$gte',
  '$in',
  '$notIn',
  '$between',
  '$notBetween',
  '$contains',
  '$notContains',
  '$startsWith',
  '$notStartsWith',
  '$endsWith',
  '$notEndsWith',
]);

function compare(a: unknown, b: unknown): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return String(a ?? '').localeCompare(String(b ?? ''));
}

function fieldValue(row: Row, field: string): unknown {
  if (field in row) return row[field];
  const lower = field.toLowerCase();
  const hit = Object.keys(row).find((k) => k.toLowerCase() === lower);
  return hit === undefined ? undefined : row[hit];
}

export function matchesFilter(row: Row, filter: Filter, caseSensitive: boolean): boolean {
  const entries = Object.entries(filter);
  if (entries.length !== 1) throw new QueryError('Each filter must have exactly one operator');
  const [op, cond] = entries[0]!;
  if (!OPS.has(op)) throw new QueryError(`Unknown filter operator ${op}`);
  if (!cond || typeof cond !== 'object') throw new QueryError(`Filter ${op} needs {field: value}`);
  const fields = Object.entries(cond);
  if (fields.length !== 1) throw new QueryError(`Filter ${op} must name exactly one field`);
  const [field, expected] = fields[0]!;
  const norm = (v: unknown) => (caseSensitive ? String(v ?? '') : String(v ?? '').toLowerCase());
  const actual = fieldValue(row, field);
  const list = Array.isArray(expected) ? expected : [expected];
  switch (op) {
    case '$eq':
      return norm(actual) === norm(expected);
    case '$ne':
      return norm(actual) !== norm(expected);
    case '$lt':
      return compare(actual, expected) < 0;
    case '$lte':
      return compare(actual, expected) <= 0;
    case '$gt':
      return compare(actual, expected) > 0;
    case '$gte':
      return compare(actual, expected) >= 0;
    case '$in':
      return list.some((v) => norm(v) === norm(actual));
    case '$notIn':
      return !list.some((v) => norm(v) === norm(actual));
    case '$between':
    case '$notBetween': {
      if (list.length !== 2) throw new QueryError(`${op} needs two values`);
      const inside = compare(actual, list[0]) >= 0 && compare(actual, list[1]) <= 0;
      return op === '$between' ? inside : !inside;
    }
    case '$contains':
      return norm(actual).includes(norm(expected));
    case '$notContains':
      return !norm(actual).includes(norm(expected));
    case '$startsWith':
      return norm(actual).startsWith(norm(expected));
    case '$notStartsWith':
      return !norm(actual).startsWith(norm(expected));
    case '$endsWith':
      return norm(actual).endsWith(norm(expected));
    default:
      return !norm(actual).endsWith(norm(expected));
  }
}

type Expr = { n: number } | { op: 'and' | 'or'; left: Expr; right: Expr };

/** Parses `1 and (2 or 3)`; numbers are 1-based filter positions. */
export function parseExpression(text: string, count: number): Expr {
  const tokens = text.match(/\d+|\(|\)|and|or/gi) ?? [];
  if (tokens.join('').length !== text.replace(/\s+/g, '').length) {
    throw new QueryError(`filterExpression "${text}" has unexpected characters`);
  }
  let i = 0;
  const primary = (): Expr => {
    const t = tokens[i++];
    if (t === '(') {
      const e = orExpr();
      if (tokens[i++] !== ')') throw new QueryError(`filterExpression "${text}" has unbalanced parentheses`);
      return e;
    }
    const n = Number(t);
    if (!Number.isInteger(n) || n < 1 || n > count) {
      throw new QueryError(`filterExpression "${text}" refers to filter ${t ?? '(nothing)'}`);
    }
    return { n };
  };
  const andExpr = (): Expr => {
    let left = primary();
    while (tokens[i]?.toLowerCase() === 'and') {
      i += 1;
      left = { op: 'and', left, right: primary() };
    }
    return left;
  };
  const orExpr = (): Expr => {
    let left = andExpr();
    while (tokens[i]?.toLowerCase() === 'or') {
      i += 1;
      left = { op: 'or', left, right: andExpr() };
    }
    return left;
  };
  const expr = orExpr();
  if (i !== tokens.length) throw new QueryError(`filterExpression "${text}" is not complete`);
  return expr;
}

function evaluate(expr: Expr, results: boolean[]): boolean {
  if ('n' in expr) return results[expr.n - 1]!;
  return expr.op === 'and'
    ? evaluate(expr.left, results) && evaluate(expr.right, results)
    : evaluate(expr.left, results) || evaluate(expr.right, results);
}

export function applyFilters(
  rows: Row[],
  filters: Filter[] | undefined,
  expression: string | undefined,
  caseSensitive = false,
): Row[] {
  if (!filters?.length) return rows;
  const expr = expression ? parseExpression(expression, filters.length) : undefined;
  return rows.filter((row) => {
    const results = filters.map((f) => matchesFilter(row, f, caseSensitive));
    return expr ? evaluate(expr, results) : results.every(Boolean);
  });
}

export function applyOrder(rows: Row[], orderBy: Array<Record<string, string>> | undefined): Row[] {
  if (!orderBy?.length) return rows;
  return [...rows].sort((a, b) => {
    for (const item of orderBy) {
      for (const [field, dir] of Object.entries(item)) {
        const c = compare(fieldValue(a, field), fieldValue(b, field));
        if (c !== 0) return dir === 'desc' ? -c : c;
      }
    }
    return 0;
  });
}

export function pickFields(row: Row, fields: string[] | undefined): Row {
  if (!fields?.length) return row;
  return Object.fromEntries(fields.map((f) => [f, fieldValue(row, f) ?? null]));
}
