import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  classifyReply,
  decodeIds,
  IntacctAuthenticationError,
  IntacctControlError,
  IntacctGatewayError,
  IntacctResultError,
  parseResponse,
  recordText,
  resultError,
  resultErrors,
} from '../../src/client/xml/index.js';
import { capture, fixture } from './helpers.js';

const xmlHeaders = { 'content-type': 'text/xml; encoding="UTF-8"' };
const reply = (name: string, status = 200, headers: Record<string, string> = xmlHeaders) => ({
  status,
  headers,
  body: fixture(name),
});

describe('successful responses', () => {
  it('getAPISession: nested <api> becomes one record with plain string leaves', () => {
    const parsed = classifyReply(reply('success-getapisession.xml'));
    expect(parsed.control).toEqual({
      status: 'success',
      senderId: 'IntacctConnect',
      controlId: 'req-1',
      uniqueId: 'false',
      dtdVersion: '3.0',
      errors: [],
    });
    expect(parsed.authentication?.status).toBe('success');
    expect(parsed.authentication?.sessionTimeout).toBe('2026-11-24T06:00:00+00:00');
    const [result] = parsed.results;
    expect(result?.function).toBe('getAPISession');
    expect(result?.data).toEqual([
      {
        sessionid: 'nPQ3V9vQkLq8Y2b1wW0x5zA7..',
        endpoint: 'https://api.intacct.com/ia/xml/xmlgw.phtml',
        locationid: '',
      },
    ]);
    expect(recordText(result?.data[0], 'endpoint')).toBe('https://api.intacct.com/ia/xml/xmlgw.phtml');
  });

  it('readByQuery: records, paging attributes, entities and CDATA decoded, numbers kept as strings', () => {
    const [r] = parseResponse(fixture('success-readbyquery.xml')).results;
    expect(r).toMatchObject({
      status: 'success',
      function: 'readByQuery',
      controlId: 'f-1',
      count: 2,
      totalCount: 5,
      numRemaining: 3,
      resultId: '7765623332WU1hh8CoA4QAAHxI9i8AAAAA5',
      listType: 'vendor',
      errors: [],
    });
    expect(r?.data[0]).toEqual({
      RECORDNO: '10',
      VENDORID: 'V-100',
      NAME: 'Smith & Sons <Ltd> été "q" \'a\'',
      TOTALDUE: '1200.50',
      WHENMODIFIED: '',
    });
    expect(r?.data[1]?.NAME).toBe('Raw <b>CDATA</b> & more');
  });

  it('empty readByQuery page', () => {
    const [r] = parseResponse(fixture('readbyquery-empty.xml')).results;
    expect(r).toMatchObject({ data: [], count: 0, totalCount: 0, numRemaining: 0, resultId: '' });
  });

  it('query page carries offset and no resultId', () => {
    const [r] = parseResponse(fixture('query-page.xml')).results;
    expect(r).toMatchObject({ offset: 2, numRemaining: 0, resultId: '', count: 1 });
    expect(r?.data).toEqual([{ RECORDNO: '3', ACCOUNTNO: '1000' }]);
  });

  it('nested line items: repeated siblings become an array, nested elements objects', () => {
    const [r] = parseResponse(fixture('nested-lines.xml')).results;
    expect(r?.data[0]).toEqual({
      RECORDNO: '7',
      APBILLITEMS: {
        apbillitem: [
          { LINE_NO: '1', AMOUNT: '10.00' },
          { LINE_NO: '2', AMOUNT: '20.00' },
          { LINE_NO: '3', AMOUNT: '30.00' },
        ],
      },
      VENDOR: { VENDORID: 'V-1' },
    });
  });

  it('getUserPermissions: nested applications and policies', () => {
    const [r] = parseResponse(fixture('getuserpermissions.xml')).results;
    const subs = (r!.data[0] as { appSubscription: unknown[] }).appSubscription;
    expect(subs).toHaveLength(2);
    expect(subs[0]).toEqual({
      applicationName: 'General Ledger',
      policies: {
        policy: [
          { policyName: 'Accounts', rights: 'List|View' },
          { policyName: 'Journal Entries', rights: 'List' },
        ],
      },
    });
  });

  it('inspect list: attributes become @keys and text #text', () => {
    const [r] = parseResponse(fixture('inspect-detail.xml')).results;
    expect(r?.data).toEqual([
      { '@typename': 'VENDOR', '#text': 'Vendor' },
      { '@typename': 'GLACCOUNT', '#text': 'GL Account' },
    ]);
  });

  it('asynchronous acknowledgement', () => {
    const parsed = classifyReply(reply('acknowledgement.xml'));
    expect(parsed.acknowledgement).toEqual({ status: 'success' });
    expect(parsed.authentication).toBeNull();
    expect(parsed.results).toEqual([]);
  });
});

describe('gateway tier (G)', () => {
  it('GW-0011 on HTTP 400 with a Request ID', () => {
    const err = capture(() => classifyReply(reply('gateway-gw0011-400.xml', 400)));
    expect(err).toBeInstanceOf(IntacctGatewayError);
    const e = err as IntacctGatewayError;
    expect(e.layer).toBe('gateway');
    expect(e.kind).toBe('invalid_request');
    expect(e.httpStatus).toBe(400);
    expect(e.retryable).toBe(false);
    expect(e.errors).toEqual([
      {
        errorno: 'GW-0011',
        description: 'Invalid Request [Request ID: AC47C2BE:D9EE_63EBC07F.59]',
        description2: '',
        correction: '',
      },
    ]);
    expect(e.requestIds).toEqual(['AC47C2BE:D9EE_63EBC07F.59']);
  });

  it('XMLGW_JPP0002 on HTTP 401', () => {
    const e = capture(() => classifyReply(reply('gateway-jpp0002-401.xml', 401))) as IntacctGatewayError;
    expect(e).toBeInstanceOf(IntacctGatewayError);
    expect(e.kind).toBe('sign_in');
    expect(e.errorno).toBe('XMLGW_JPP0002');
  });

  it('GW-0010 on HTTP 429 is retryable and reads Retry-After', () => {
    const e = capture(() =>
      classifyReply(reply('gateway-gw0010-429.xml', 429, { ...xmlHeaders, 'Retry-After': '7' })),
    ) as IntacctGatewayError;
    expect(e.kind).toBe('rate_limited');
    expect(e.retryable).toBe(true);
    expect(e.retryAfterSeconds).toBe(7);
  });

  it('GW-0010 even on HTTP 200 is classified as rate limiting', () => {
    const e = capture(() => classifyReply(reply('gateway-gw0010-429.xml', 200))) as IntacctGatewayError;
    expect(e).toBeInstanceOf(IntacctGatewayError);
    expect(e.kind).toBe('rate_limited');
  });

  it('Cloudflare 524 page: edge timeout, not retryable by default, Ray ID kept', () => {
    const e = capture(() =>
      classifyReply({
        status: 524,
        headers: { 'content-type': 'text/html' },
        body: fixture('cloudflare-524.html'),
      }),
    ) as IntacctGatewayError;
    expect(e).toBeInstanceOf(IntacctGatewayError);
    expect(e.kind).toBe('edge_timeout');
    expect(e.edge).toBe('cloudflare');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('8a1b2c3d4e5f6071');
    expect(e.message).toContain('524');
  });

  it('Cloudflare 502 page without a content type is retryable', () => {
    const e = capture(() =>
      classifyReply({ status: 502, headers: {}, body: fixture('cloudflare-502.html') }),
    ) as IntacctGatewayError;
    expect(e.kind).toBe('unavailable');
    expect(e.edge).toBe('cloudflare');
    expect(e.retryable).toBe(true);
  });

  it('non-XML 500 and empty 503 bodies', () => {
    const e500 = capture(() =>
      classifyReply({ status: 500, headers: {}, body: 'Internal Server Error' }),
    ) as IntacctGatewayError;
    expect(e500).toBeInstanceOf(IntacctGatewayError);
    expect(e500.httpStatus).toBe(500);
    expect(e500.kind).toBe('unavailable');
    const e503 = capture(() => classifyReply({ status: 503, headers: {}, body: '' })) as IntacctGatewayError;
    expect(e503.kind).toBe('unavailable');
    expect(e503.message).toContain('empty body');
  });

  it('a 200 HTML page is a gateway error, not a crash', () => {
    const e = capture(() =>
      classifyReply({ status: 200, headers: {}, body: '<html><body>Maintenance</body></html>' }),
    );
    expect(e).toBeInstanceOf(IntacctGatewayError);
  });

  it('a 200 body with a root other than <response> is a typed parse error', () => {
    const e = capture(() => classifyReply({ status: 200, headers: {}, body: '<?xml version="1.0"?><foo/>' }));
    expect(e).toBeInstanceOf(IntacctGatewayError);
    expect((e as IntacctGatewayError).kind).toBe('malformed');
  });
});

describe('control layer (C)', () => {
  it('wrong sender credentials', () => {
    const e = capture(() => classifyReply(reply('control-sender-invalid.xml'))) as IntacctControlError;
    expect(e).toBeInstanceOf(IntacctControlError);
    expect(e.layer).toBe('control');
    expect(e.errors[0]?.description2).toBe('Incorrect Intacct XML Partner ID or password.');
    expect(e.message).toContain('XL03000006');
  });

  it('invalid transport policy', () => {
    const e = capture(() => classifyReply(reply('control-policy.xml'))) as IntacctControlError;
    expect(e.errors[0]?.description2).toMatch(/not a valid transport policy/);
  });

  it('schema errors: several <error>s in order, Support ID decoded', () => {
    const e = capture(() => classifyReply(reply('control-schema-multi.xml'))) as IntacctControlError;
    expect(e.errors.map((x) => x.errorno)).toEqual(['XL03000003', 'XL03000003']);
    expect(e.errors[1]?.description2).toContain('Error 1871');
    expect(e.supportIds).toEqual(['8Vb2s~Y9p0Z3jU1wQkLq8EAAAAk']);
  });

  it('expired demo company echoes empty sender and control IDs', () => {
    const parsed = parseResponse(fixture('control-demo-expired.xml'));
    expect(parsed.control.senderId).toBe('');
    expect(parsed.control.controlId).toBe('');
    expect(parsed.authentication).toBeNull();
    const e = capture(() => classifyReply(reply('control-demo-expired.xml'))) as IntacctControlError;
    expect(e.errorno).toBe('PL04000055');
  });

  it('company without the Web Services subscription', () => {
    const e = capture(() => classifyReply(reply('control-not-subscribed.xml'))) as IntacctControlError;
    expect(e).toBeInstanceOf(IntacctControlError);
    expect(e.errors[0]?.description2).toMatch(/not authorized for XML transactions/);
  });
});

describe('authentication layer (A)', () => {
  it('sender not authorized: &#039; decoded, every field kept', () => {
    const parsed = parseResponse(fixture('auth-sender-not-authorized.xml'));
    expect(parsed.control.status).toBe('success');
    expect(parsed.results).toEqual([]);
    const e = capture(() =>
      classifyReply(reply('auth-sender-not-authorized.xml')),
    ) as IntacctAuthenticationError;
    expect(e).toBeInstanceOf(IntacctAuthenticationError);
    expect(e.layer).toBe('authentication');
    expect(e.errors).toEqual([
      {
        errorno: 'XL03000006',
        description: 'Invalid Web Services Authorization',
        description2:
          "The sender ID 'IntacctConnect' is not authorized to make Web Services requests to company ID 'sender-not-authorized'.",
        correction:
          'Contact the company administrator to grant Web Services authorization to this sender ID.',
      },
    ]);
    expect(e.invalidSession).toBe(false);
  });

  it('bad login', () => {
    const e = capture(() => classifyReply(reply('auth-signin.xml'))) as IntacctAuthenticationError;
    expect(e.errors[0]?.description2).toBe('Sign-in information is incorrect');
    expect(e.invalidSession).toBe(false);
  });

  it('invalid session: empty user and company, flagged', () => {
    const parsed = parseResponse(fixture('auth-invalid-session.xml'));
    expect(parsed.authentication).toMatchObject({ status: 'failure', userId: '', companyId: '' });
    const e = capture(() => classifyReply(reply('auth-invalid-session.xml'))) as IntacctAuthenticationError;
    expect(e.invalidSession).toBe(true);
  });
});

describe('result layer (R)', () => {
  it('free-text errorno "Query Failed"', () => {
    const parsed = classifyReply(reply('result-query-failed.xml'));
    const e = resultError(parsed.results[0]!);
    expect(e).toBeInstanceOf(IntacctResultError);
    expect(e?.errorno).toBe('Query Failed');
    expect(e?.layer).toBe('result');
    expect(e?.function).toBe('readByQuery');
    expect(e?.controlId).toBe('f-1');
  });

  it('permission error with Support ID; other results still reported', () => {
    const parsed = classifyReply(reply('result-permission.xml'));
    expect(parsed.results.map((r) => r.status)).toEqual(['failure', 'success']);
    const errs = resultErrors(parsed);
    expect(errs).toHaveLength(1);
    expect(errs[0]?.supportIds).toEqual(['Wx9Y~Zk2ABC~0']);
    expect(resultError(parsed.results[1]!)).toBeNull();
  });

  it('stacked business errors kept in order, partial data kept', () => {
    const [r] = classifyReply(reply('result-stacked-errors.xml')).results;
    expect(r?.errors.map((e) => e.errorno)).toEqual(['BL34000061', 'BL01001973', 'BL01001973']);
    expect(r?.errors[0]?.correction).toBe('Use a unique value instead.');
    expect(r?.data).toEqual([{ RECORDNO: '', PROJECTID: 'P-1' }]);
  });

  it('transaction rollback: failure then aborted', () => {
    const parsed = classifyReply(reply('result-transaction-rollback.xml'));
    const errs = resultErrors(parsed);
    expect(errs.map((e) => e.status)).toEqual(['failure', 'aborted']);
    expect(errs[1]?.aborted).toBe(true);
    expect(errs[0]?.errors.map((e) => e.errorno)).toEqual(['BL01001973', 'XL03000009']);
  });

  it('temporarily off-line is marked retryable', () => {
    const [r] = classifyReply(reply('result-offline.xml')).results;
    expect(resultError(r!)?.retryable).toBe(true);
  });
});

describe('decodeIds', () => {
  it('decodes URL-encoded Support IDs and keeps Request IDs', () => {
    expect(decodeIds('a [Support ID: Ab%7ECd%7E] b [Request ID: X:1.2] [Support ID: bad%ZZ%7E]')).toEqual({
      supportIds: ['Ab~Cd~', 'bad%ZZ~'],
      requestIds: ['X:1.2'],
    });
    expect(decodeIds('nothing here')).toEqual({ supportIds: [], requestIds: [] });
  });
});

describe('parity with the official SDK (xml2js) on records without attributes', () => {
  const require = createRequire(import.meta.url);
  const { default: OnlineResponse } = require('@intacct/intacct-sdk/dist/Xml/OnlineResponse.js') as {
    default: new (b: string) => { getResult(i: number): { data: unknown[] } };
  };
  it.each([
    'success-readbyquery.xml',
    'nested-lines.xml',
    'getuserpermissions.xml',
    'success-getapisession.xml',
  ])('%s', (name) => {
    const body = fixture(name);
    expect(parseResponse(body).results[0]?.data).toEqual(new OnlineResponse(body).getResult(0).data);
  });
});

describe('entity decoding edge cases', () => {
  it('keeps unknown and prototype-named entities literal, maps forbidden references to U+FFFD', () => {
    const body = fixture('success-readbyquery.xml').replace(
      'V-100',
      '&constructor;&__proto__;&toString;&#0;&#x110000;&#65;&#x42;&amp&;&#xZZ;',
    );
    expect(parseResponse(body).results[0]?.data[0]?.VENDORID).toBe(
      '&constructor;&__proto__;&toString;\ufffd\ufffdAB&amp&;&#xZZ;',
    );
  });
});

describe('records of mixed shapes in one page', () => {
  it('builds each record from its own fields whatever the shape of its neighbours', () => {
    const recs = [
      '<v><A>1</A><B>2</B></v>',
      '<v><A>3</A><B>4</B></v>',
      '<v><B>5</B><A>6</A></v>',
      '<v><A>7</A><B><C>8</C></B></v>',
      '<v><A>9</A><A>10</A></v>',
      '<v><__proto__>11</__proto__><constructor>12</constructor></v>',
      '<v x="1"><A>13</A><B>14</B></v>',
      '<v><A>15</A></v>',
      '<v>text only</v>',
      '<v><A>16</A><B>17</B></v>',
    ];
    const body = `<response><control><status>success</status></control><operation><authentication><status>success</status></authentication><result><status>success</status><function>readByQuery</function><controlid>f</controlid><data>${recs.join('')}</data></result></operation></response>`;
    const data = parseResponse(body).results[0]?.data ?? [];
    expect(data[0]).toEqual({ A: '1', B: '2' });
    expect(data[1]).toEqual({ A: '3', B: '4' });
    expect(data[2]).toEqual({ B: '5', A: '6' });
    expect(Object.keys(data[2] ?? {})).toEqual(['B', 'A']);
    expect(data[3]).toEqual({ A: '7', B: { C: '8' } });
    expect(data[4]).toEqual({ A: ['9', '10'] });
    expect(Object.getPrototypeOf(data[5])).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(data[5], '__proto__')?.value).toBe('11');
    expect(data[5]?.constructor).toBe('12');
    expect(data[6]).toEqual({ '@x': '1', A: '13', B: '14' });
    expect(data[7]).toEqual({ A: '15' });
    expect(data[8]).toEqual({ '#text': 'text only' });
    expect(data[9]).toEqual({ A: '16', B: '17' });
  });

  it('shapes whose names contain separators never share a builder', () => {
    const wrap = (recs: string) =>
      `<response><control><status>success</status></control><operation><authentication><status>success</status></authentication><result><status>success</status><function>read</function><controlid>f</controlid><data>${recs}</data></result></operation></response>`;
    const first = parseResponse(wrap('<v><a\u0000b>1</a\u0000b></v>')).results[0]?.data;
    const second = parseResponse(wrap('<v><a>2</a><b>3</b></v>')).results[0]?.data;
    expect(first).toEqual([{ 'a\u0000b': '1' }]);
    expect(second).toEqual([{ a: '2', b: '3' }]);
  });

  it('field names cannot inject code into the record builder', () => {
    // The scanner accepts quotes, brackets and semicolons inside a name; the builder must treat them as data.
    const evil = 'A"]});globalThis.__pwned++;({"';
    const odd = ['Z`$', '{1}\\'].join('');
    const body = `<response><control><status>success</status></control><operation><authentication><status>success</status></authentication><result><status>success</status><function>read</function><controlid>f</controlid><data><v><${evil}>1</${evil}><${odd}>2</${odd}></v><v><${evil}>3</${evil}><${odd}>4</${odd}></v></data></result></operation></response>`;
    const data = parseResponse(body).results[0]?.data ?? [];
    expect(data).toEqual([
      { [evil]: '1', [odd]: '2' },
      { [evil]: '3', [odd]: '4' },
    ]);
    expect((globalThis as { __pwned?: number }).__pwned).toBeUndefined();
  });
});
