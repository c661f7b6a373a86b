import { describe, expect, it } from 'vitest';
import {
  buildRequest,
  functions,
  type RequestSpec,
  scanXml,
  type XmlElement,
} from '../../src/client/xml/index.js';

const names = (el: XmlElement | undefined) => (el?.children ?? []).map((c) => c.name);
const find = (el: XmlElement | undefined, ...path: string[]): XmlElement | undefined => {
  let cur = el;
  for (const p of path) cur = cur?.children?.find((c) => c.name === p);
  return cur;
};

const spec = (over: Partial<RequestSpec['control']> = {}, password = 'pw'): RequestSpec => ({
  control: { senderId: 'IntacctConnect', senderPassword: 'sender-pw', controlId: 'req-1', ...over },
  operation: {
    authentication: { login: { userId: 'svc_sync', companyId: 'acme', password, entityId: 'US' } },
    functions: [functions.readByQuery({ object: 'VENDOR', pageSize: 10 }, 'f-1')],
  },
});

describe('buildRequest', () => {
  it('writes a compact envelope in schema order', () => {
    const xml = buildRequest(spec({ policyId: 'p1' }));
    expect(xml.startsWith('<?xml version="1.0" encoding="utf-8" ?><request>')).toBe(true);
    expect(xml).not.toMatch(/>\s+</);
    const root = scanXml(xml);
    expect(names(root)).toEqual(['control', 'operation']);
    expect(names(find(root, 'control'))).toEqual([
      'senderid',
      'password',
      'controlid',
      'uniqueid',
      'dtdversion',
      'policyid',
      'includewhitespace',
    ]);
    expect(find(root, 'operation')?.attrs).toEqual({ transaction: 'false' });
    expect(names(find(root, 'operation', 'authentication', 'login'))).toEqual([
      'userid',
      'companyid',
      'password',
      'locationid',
    ]);
    const fn = find(root, 'operation', 'content', 'function');
    expect(fn?.attrs).toEqual({ controlid: 'f-1' });
    expect(names(find(fn, 'readByQuery'))).toEqual(['object', 'query', 'fields', 'pagesize', 'returnFormat']);
  });

  it('uses session authentication alone and refuses both together', () => {
    const s = spec();
    s.operation.authentication = { sessionId: 'sess..' };
    const root = scanXml(buildRequest(s));
    expect(names(find(root, 'operation', 'authentication'))).toEqual(['sessionid']);
    const both = spec();
    both.operation.authentication = {
      sessionId: 'x',
      login: { userId: 'u', companyId: 'c', password: 'p' },
    } as never;
    expect(() => buildRequest(both)).toThrow(/not both/);
  });

  it('transaction flag and control id length are enforced', () => {
    const s = spec();
    s.operation.transaction = true;
    expect(buildRequest(s)).toContain('<operation transaction="true">');
    expect(() => buildRequest(spec({ controlId: 'x'.repeat(257) }))).toThrow(/256/);
    expect(() => buildRequest(spec({ controlId: '' }))).toThrow(/256/);
  });

  const hostile = [
    '</password><userid>admin</userid><password>',
    ']]>',
    '<![CDATA[x]]>',
    'a & b &amp; &#60;',
    `"quoted" 'single'`,
    'ctrl\u0000\u0001\u0008\u000b\u001f',
    'line1\r\nline2\ttab',
    '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>&e;',
    '\ud800 lone surrogate, 😀 pair',
  ];

  it.each(hostile)('value %j cannot change the structure', (value) => {
    const s: RequestSpec = {
      control: { senderId: value, senderPassword: value, controlId: 'req-1' },
      operation: {
        authentication: { login: { userId: value, companyId: value, password: value, entityId: value } },
        functions: [
          functions.readByQuery({ object: value, query: value, fields: [value] }, value),
          functions.query({
            object: value,
            select: [value],
            filter: {
              and: [
                { op: 'equalto', field: value, value },
                { op: 'in', field: 'X', values: [value, value] },
              ],
            },
            orderBy: [{ field: value }],
          }),
          functions.create({ object: 'VENDOR', fields: { NAME: value, LINES: { LINE: [{ MEMO: value }] } } }),
        ],
      },
    };
    const root = scanXml(buildRequest(s));
    expect(names(find(root, 'control'))).toEqual([
      'senderid',
      'password',
      'controlid',
      'uniqueid',
      'dtdversion',
      'includewhitespace',
    ]);
    const login = find(root, 'operation', 'authentication', 'login');
    expect(names(login)).toEqual(['userid', 'companyid', 'password', 'locationid']);
    for (const leaf of login?.children ?? []) expect(leaf.children).toBeNull();
    expect(find(root, 'operation', 'content')?.children).toHaveLength(3);
    // What the gateway would read back is the value itself, minus only characters XML cannot carry.
    const expected = value
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '\ufffd')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])/g, '\ufffd');
    expect(find(login, 'password')?.text).toBe(expected);
    const fn = find(root, 'operation', 'content', 'function');
    expect(fn?.attrs?.controlid).toBe(expected);
  });

  it('refuses element names that are not plain names', () => {
    expect(() => functions.create({ object: 'VENDOR><x', fields: {} })).toThrow(
      /not a valid XML element name/,
    );
    expect(() => functions.create({ object: 'VENDOR', fields: { 'A B': 'x' } })).toThrow(
      /not a valid XML element name/,
    );
  });
});

describe('function builders', () => {
  it('validate page sizes', () => {
    expect(() => functions.readByQuery({ object: 'VENDOR', pageSize: 0 })).toThrow(/1 to 1000/);
    expect(() => functions.readByQuery({ object: 'VENDOR', pageSize: 1001 })).toThrow(/1 to 1000/);
    expect(() => functions.readByQuery({ object: 'VENDOR', pageSize: 1.5 })).toThrow(/1 to 1000/);
    expect(functions.readByQuery({ object: 'VENDOR', pageSize: 1000 }).xml).toContain(
      '<pagesize>1000</pagesize>',
    );
    expect(() => functions.query({ object: 'X', select: ['A'], pageSize: 2001 })).toThrow(/1 to 2000/);
    expect(functions.query({ object: 'X', select: ['A'], pageSize: 2000 }).xml).toContain(
      '<pagesize>2000</pagesize>',
    );
    expect(() => functions.query({ object: 'X', select: [] })).toThrow(/select/);
  });

  it('default control ids are UUIDv4 and unique', () => {
    const a = functions.getDimensions();
    const b = functions.getDimensions();
    expect(a.controlId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.controlId).not.toBe(b.controlId);
    expect(a.xml).toBe('<getDimensions/>');
  });

  it('getAPISession with and without entity', () => {
    expect(functions.getAPISession().xml).toBe('<getAPISession/>');
    expect(functions.getAPISession({ entityId: 'US' }).xml).toBe(
      '<getAPISession><locationid>US</locationid></getAPISession>',
    );
    expect(functions.getAPISession({ entityId: '' }).xml).toBe(
      '<getAPISession><locationid></locationid></getAPISession>',
    );
  });

  it('query writes select, filter tree, order and options in order', () => {
    const fn = functions.query(
      {
        object: 'VENDOR',
        select: ['RECORDNO', { fn: 'count', field: 'RECORDNO' }],
        filter: {
          or: [
            { op: 'like', field: 'NAME', value: 'A%' },
            {
              and: [
                { op: 'isnull', field: 'EMAIL' },
                { op: 'between', field: 'RECORDNO', values: [1, 9] },
              ],
            },
          ],
        },
        orderBy: [{ field: 'NAME', direction: 'descending' }],
        caseInsensitive: true,
        pageSize: 50,
        offset: 100,
      },
      'q1',
    );
    const root = scanXml(fn.xml);
    expect(names(root)).toEqual(['select', 'object', 'filter', 'orderby', 'options', 'pagesize', 'offset']);
    expect(names(find(root, 'select'))).toEqual(['field', 'count']);
    expect(names(find(root, 'filter', 'or'))).toEqual(['like', 'and']);
    expect(names(find(root, 'filter', 'or', 'and'))).toEqual(['isnull', 'between']);
    expect(names(find(root, 'orderby', 'order'))).toEqual(['field', 'descending']);
    expect(find(root, 'options', 'caseinsensitive')?.text).toBe('true');
    expect(fn.object).toBe('VENDOR');
  });

  it('read takes at most 100 keys; readMore, inspect, lookup, permissions, delete', () => {
    expect(() =>
      functions.read({ object: 'VENDOR', keys: Array.from({ length: 101 }, (_, i) => String(i)) }),
    ).toThrow(/at most 100/);
    expect(functions.read({ object: 'VENDOR', keys: ['1', '2'] }).xml).toBe(
      '<read><object>VENDOR</object><keys>1,2</keys><fields>*</fields><returnFormat>xml</returnFormat></read>',
    );
    expect(functions.readMore({ resultId: 'r1' }).xml).toBe('<readMore><resultId>r1</resultId></readMore>');
    expect(functions.inspect({ object: 'USERINFO', detail: true }).xml).toBe(
      '<inspect detail="1"><object>USERINFO</object></inspect>',
    );
    expect(functions.lookup({ object: 'GLACCOUNT' }).xml).toBe('<lookup><object>GLACCOUNT</object></lookup>');
    expect(functions.getUserPermissions({ userId: 'svc' }).xml).toBe(
      '<getUserPermissions><userId>svc</userId></getUserPermissions>',
    );
    expect(functions.delete({ object: 'VENDOR', keys: ['1', '2'] }).xml).toBe(
      '<delete><object>VENDOR</object><keys>1,2</keys></delete>',
    );
    expect(
      functions.update({ object: 'VENDOR', fields: { RECORDNO: 5, ACTIVE: false, SKIP: undefined } }).xml,
    ).toBe('<update><VENDOR><RECORDNO>5</RECORDNO><ACTIVE>false</ACTIVE></VENDOR></update>');
  });
});
