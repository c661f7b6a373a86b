import { randomUUID } from 'node:crypto';
import { assertXmlName, element, escapeXml } from './escape.js';
import type { IntacctFunction } from './request.js';

/** Functions that only read; the client repeats these after a network error, never the others. */
export const READ_ONLY_FUNCTIONS: ReadonlySet<string> = new Set([
  'getAPISession',
  'readByQuery',
  'readMore',
  'query',
  'read',
  'readByName',
  'inspect',
  'lookup',
  'getUserPermissions',
  'getDimensions',
]);

export const MAX_READ_KEYS = 100;

type Scalar = string | number | boolean;
export type FieldValue = Scalar | null | undefined | FieldMap | FieldValue[];
export interface FieldMap {
  [name: string]: FieldValue;
}

/** A `query` filter as a small tree; values are sent as text, escaped. */
export type QueryFilter =
  | { and: QueryFilter[] }
  | { or: QueryFilter[] }
  | {
      op:
        | 'equalto'
        | 'notequalto'
        | 'lessthan'
        | 'lessthanorequalto'
        | 'greaterthan'
        | 'greaterthanorequalto'
        | 'like'
        | 'notlike';
      field: string;
      value: Scalar;
    }
  | { op: 'in' | 'notin'; field: string; values: Scalar[] }
  | { op: 'between'; field: string; values: [Scalar, Scalar] }
  | { op: 'isnull' | 'isnotnull'; field: string };

export type QuerySelect = string | { fn: 'count' | 'sum' | 'avg' | 'min' | 'max'; field: string };

function nonEmpty(value: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new RangeError(`${what} must be a non-empty string`);
  return value;
}

function checkPageSize(size: number | undefined, max: number, what: string): number | undefined {
  if (size === undefined) return undefined;
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw new RangeError(`${what} must be an integer from 1 to ${max} (got ${size})`);
  }
  return size;
}

function fieldList(fields: string[] | string | undefined): string {
  if (fields === undefined) return '*';
  const list = typeof fields === 'string' ? [fields] : fields;
  return list.length === 0 ? '*' : list.join(',');
}

function make(name: string, inner: string, controlId: string | undefined, object?: string): IntacctFunction {
  const fn: IntacctFunction = {
    controlId: controlId ?? randomUUID(),
    function: name,
    xml: inner === '' ? `<${name}/>` : `<${name}>${inner}</${name}>`,
  };
  if (object !== undefined) fn.object = object;
  return fn;
}

function filterXml(f: QueryFilter): string {
  if ('and' in f || 'or' in f) {
    const op = 'and' in f ? 'and' : 'or';
    const parts = 'and' in f ? f.and : f.or;
    if (parts.length === 0) throw new RangeError(`query filter "${op}" needs at least one condition`);
    // Intacct's schema wants two or more children under and/or; one condition stands alone.
    if (parts.length === 1) return filterXml(parts[0] as QueryFilter);
    return `<${op}>${parts.map(filterXml).join('')}</${op}>`;
  }
  const field = element('field', nonEmpty(f.field, 'query filter field'));
  switch (f.op) {
    case 'isnull':
    case 'isnotnull':
      return `<${f.op}>${field}</${f.op}>`;
    case 'in':
    case 'notin':
    case 'between': {
      if (f.values.length === 0) throw new RangeError(`query filter "${f.op}" needs at least one value`);
      if (f.op === 'between' && f.values.length !== 2)
        throw new RangeError('query filter "between" needs two values');
      return `<${f.op}>${field}${f.values.map((v) => element('value', v)).join('')}</${f.op}>`;
    }
    default:
      return `<${f.op}>${field}${element('value', f.value)}</${f.op}>`;
  }
}

function selectXml(s: QuerySelect): string {
  if (typeof s === 'string') return element('field', nonEmpty(s, 'query select field'));
  return element(s.fn, nonEmpty(s.field, 'query select field'));
}

function fieldsXml(fields: FieldMap): string {
  let xml = '';
  for (const [name, value] of Object.entries(fields)) {
    assertXmlName(name, 'Field name');
    xml += valueXml(name, value);
  }
  return xml;
}

function valueXml(name: string, value: FieldValue): string {
  if (value === undefined) return '';
  if (value === null) return `<${name}></${name}>`;
  // Repeated elements (line items) are written as siblings of the same name.
  if (Array.isArray(value)) return value.map((v) => valueXml(name, v)).join('');
  if (typeof value === 'object') return `<${name}>${fieldsXml(value)}</${name}>`;
  return element(name, value);
}

export const functions = {
  getAPISession(opts: { entityId?: string } = {}, controlId?: string): IntacctFunction {
    // An empty entity asks for a top-level session from an entity session (since 2019 R2).
    return make(
      'getAPISession',
      opts.entityId === undefined ? '' : element('locationid', opts.entityId),
      controlId,
    );
  },

  readByQuery(
    opts: {
      object: string;
      query?: string;
      fields?: string[] | string;
      pageSize?: number;
      returnFormat?: 'xml';
      docParId?: string;
    },
    controlId?: string,
  ): IntacctFunction {
    const object = nonEmpty(opts.object, 'readByQuery object');
    const pageSize = checkPageSize(opts.pageSize, 1000, 'readByQuery pageSize') ?? 100;
    return make(
      'readByQuery',
      element('object', object) +
        element('query', opts.query ?? '') +
        element('fields', fieldList(opts.fields)) +
        element('pagesize', pageSize) +
        element('returnFormat', opts.returnFormat ?? 'xml') +
        element('docparid', opts.docParId),
      controlId,
      object,
    );
  },

  readMore(opts: { resultId: string }, controlId?: string): IntacctFunction {
    return make('readMore', element('resultId', nonEmpty(opts.resultId, 'readMore resultId')), controlId);
  },

  query(
    opts: {
      object: string;
      select: QuerySelect[];
      filter?: QueryFilter;
      orderBy?: Array<{ field: string; direction?: 'ascending' | 'descending' }>;
      pageSize?: number;
      offset?: number;
      caseInsensitive?: boolean;
      showPrivate?: boolean;
      docParId?: string;
    },
    controlId?: string,
  ): IntacctFunction {
    const object = nonEmpty(opts.object, 'query object');
    if (!opts.select || opts.select.length === 0)
      throw new RangeError('query select needs at least one field');
    const pageSize = checkPageSize(opts.pageSize, 2000, 'query pageSize');
    if (opts.offset !== undefined && (!Number.isInteger(opts.offset) || opts.offset < 0)) {
      throw new RangeError(`query offset must be a non-negative integer (got ${opts.offset})`);
    }
    const order = opts.orderBy?.length
      ? `<orderby>${opts.orderBy
          .map(
            (o) =>
              `<order>${element('field', nonEmpty(o.field, 'query orderBy field'))}<${o.direction ?? 'ascending'}/></order>`,
          )
          .join('')}</orderby>`
      : '';
    const options =
      opts.caseInsensitive !== undefined || opts.showPrivate !== undefined
        ? `<options>${element('caseinsensitive', opts.caseInsensitive === true)}${element('showprivate', opts.showPrivate === true)}</options>`
        : '';
    return make(
      'query',
      `<select>${opts.select.map(selectXml).join('')}</select>` +
        element('object', object) +
        element('docparid', opts.docParId) +
        (opts.filter ? `<filter>${filterXml(opts.filter)}</filter>` : '') +
        order +
        options +
        element('pagesize', pageSize) +
        element('offset', opts.offset),
      controlId,
      object,
    );
  },

  read(
    opts: { object: string; keys: string[] | '*'; fields?: string[] | string },
    controlId?: string,
  ): IntacctFunction {
    const object = nonEmpty(opts.object, 'read object');
    if (Array.isArray(opts.keys) && opts.keys.length > MAX_READ_KEYS) {
      throw new RangeError(
        `read takes at most ${MAX_READ_KEYS} keys per function (got ${opts.keys.length}); IntacctClient.read splits them`,
      );
    }
    const keys = opts.keys === '*' ? '*' : opts.keys.join(',');
    return make(
      'read',
      element('object', object) +
        element('keys', keys) +
        element('fields', fieldList(opts.fields)) +
        element('returnFormat', 'xml'),
      controlId,
      object,
    );
  },

  readByName(
    opts: { object: string; names: string[]; fields?: string[] | string },
    controlId?: string,
  ): IntacctFunction {
    const object = nonEmpty(opts.object, 'readByName object');
    if (opts.names.length > MAX_READ_KEYS) {
      throw new RangeError(
        `readByName takes at most ${MAX_READ_KEYS} names per function (got ${opts.names.length})`,
      );
    }
    return make(
      'readByName',
      element('object', object) +
        element('keys', opts.names.join(',')) +
        element('fields', fieldList(opts.fields)) +
        element('returnFormat', 'xml'),
      controlId,
      object,
    );
  },

  inspect(opts: { object: string; detail?: boolean }, controlId?: string): IntacctFunction {
    const object = nonEmpty(opts.object, 'inspect object');
    const fn = make('inspect', element('object', object), controlId, object);
    if (opts.detail) fn.xml = `<inspect detail="1">${element('object', object)}</inspect>`;
    return fn;
  },

  lookup(opts: { object: string }, controlId?: string): IntacctFunction {
    const object = nonEmpty(opts.object, 'lookup object');
    return make('lookup', element('object', object), controlId, object);
  },

  getUserPermissions(opts: { userId: string }, controlId?: string): IntacctFunction {
    return make(
      'getUserPermissions',
      element('userId', nonEmpty(opts.userId, 'getUserPermissions userId')),
      controlId,
    );
  },

  getDimensions(_opts: Record<string, never> = {}, controlId?: string): IntacctFunction {
    return make('getDimensions', '', controlId);
  },

  create(opts: { object: string; fields: FieldMap }, controlId?: string): IntacctFunction {
    const object = assertXmlName(opts.object, 'create object');
    return make('create', `<${object}>${fieldsXml(opts.fields)}</${object}>`, controlId, object);
  },

  update(opts: { object: string; fields: FieldMap }, controlId?: string): IntacctFunction {
    const object = assertXmlName(opts.object, 'update object');
    return make('update', `<${object}>${fieldsXml(opts.fields)}</${object}>`, controlId, object);
  },

  delete(opts: { object: string; keys: string[] | string }, controlId?: string): IntacctFunction {
    const object = nonEmpty(opts.object, 'delete object');
    const keys = typeof opts.keys === 'string' ? opts.keys : opts.keys.join(',');
    return make(
      'delete',
      element('object', object) + element('keys', nonEmpty(keys, 'delete keys')),
      controlId,
      object,
    );
  },
};

/** Re-exported so callers can escape their own readByQuery query text. */
export { escapeXml };

/** Quotes a value for a readByQuery query string (`'` and `\` escaped with a backslash). */
export function queryLiteral(value: string | number): string {
  return typeof value === 'number' ? String(value) : `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}
