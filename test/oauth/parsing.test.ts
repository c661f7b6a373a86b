import { describe, expect, it } from 'vitest';
import { classifyRestError, parseRestError, retryAfterFromHeaders } from '../../src/client/rest/errors.js';
import { buildUsername, checkUsernameParts } from '../../src/client/rest/oauth.js';
import { redactBody, redactHeaders, redactUrl } from '../../src/client/rest/redact.js';
import { applyFilters, parseExpression } from '../../src/emulator/rest/query.js';

describe('error envelopes of reference §3.8', () => {
  it('A: ia::error with details[] and a support ID (decoded)', () => {
    const e = parseRestError(
      400,
      '{"ia::error":{"code":"invalidRequest","message":"Version is not supported.","supportId":"Kx1%7EYz","details":[{"code":"BL01001973","message":"x"}]},"ia::meta":{"totalCount":1}}',
    );
    expect(e).toMatchObject({
      shape: 'A',
      code: 'invalidRequest',
      supportId: 'Kx1~Yz',
      errorId: undefined,
      kind: 'other',
    });
  });
  it('B: nested under ia::result with additionalInfo', () => {
    const e = parseRestError(
      400,
      '{"ia::result":{"ia::error":{"code":"invalidRequest","message":"The field","errorId":"REST-1106","additionalInfo":{"messageId":"IA.THE_FIELD","placeholders":{"FIELD":"foo","OBJECT":"bar"}},"supportId":"s"}},"ia::meta":{}}',
    );
    expect(e).toMatchObject({
      shape: 'B',
      errorId: 'REST-1106',
      messageId: 'IA.THE_FIELD',
      placeholders: { FIELD: 'foo', OBJECT: 'bar' },
    });
  });
  it('C: top-level error object (REST-2102)', () => {
    const e = parseRestError(
      401,
      '{"error":{"code":"tokenInvalid","message":"Token is not valid","errorId":"REST-2102"}}',
    );
    expect(e).toMatchObject({ shape: 'C', kind: 'token_superseded' });
  });
  it('D: details is an object with the request ID', () => {
    const e = parseRestError(
      400,
      '{"ia::error":{"code":"GW-0011","message":"Invalid Request","details":{"requestId":"AC47C2BE:D9EE_63EBC07F.59"}}}',
    );
    expect(e).toMatchObject({
      shape: 'D',
      requestId: 'AC47C2BE:D9EE_63EBC07F.59',
      kind: 'gateway_invalid_request',
    });
  });
  it('E: RFC 6749 token error', () => {
    const e = parseRestError(400, '{"error":"invalid_grant","error_description":"invalid_grant"}');
    expect(e).toMatchObject({ shape: 'E', code: 'invalid_grant', kind: 'invalid_grant' });
  });
  it('F: legacy XML errormessage with a Support ID', () => {
    const e = parseRestError(
      200,
      '<response><errormessage><error><errorno>XL03000006</errorno><description></description><description2>Invalid session [Support ID: ab%7Ecd]</description2><correction></correction></error></errormessage></response>',
    );
    expect(e).toMatchObject({ shape: 'F', code: 'XL03000006', supportId: 'ab~cd' });
  });
  it('anything else keeps the status and some text', () => {
    const e = parseRestError(524, '<html>A timeout occurred</html>');
    expect(e).toMatchObject({ shape: 'unknown', kind: 'unavailable' });
  });
  it('classifies by body before status', () => {
    expect(
      classifyRestError({
        httpStatus: 400,
        code: 'invalidRequest',
        errorId: 'REST-1206',
        message: 'The token is not valid',
        supportId: undefined,
        requestId: undefined,
        details: undefined,
        shape: 'B',
      }),
    ).toBe('token_expired');
    expect(
      classifyRestError({
        httpStatus: 401,
        code: undefined,
        errorId: undefined,
        message: 'oauthpartneruser::readpartneruserinfo - error retrieving Intacct user',
        supportId: undefined,
        requestId: undefined,
        details: undefined,
        shape: 'E',
      }),
    ).toBe('partner_user');
  });
  it('reads Retry-After as seconds or a date, and the throttle header', () => {
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': '7' }))).toBe(7);
    expect(retryAfterFromHeaders(new Headers({ 'x-ia-throttle-limit-retryafter': '3' }))).toBe(3);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now)).toBe(
      5,
    );
  });
});

describe('username', () => {
  it('builds userId@companyId|entityId', () => {
    expect(buildUsername('svc', 'acme', 'US')).toBe('svc@acme|US');
    expect(buildUsername('svc', 'acme')).toBe('svc@acme');
  });
  it('finds the usual mistakes locally', () => {
    expect(checkUsernameParts('a@b.com', 'acme').map((p) => p.field)).toEqual(['userId']);
    expect(checkUsernameParts('svc', 'acme ').map((p) => p.problem)).toEqual([
      'has leading or trailing spaces',
    ]);
    expect(checkUsernameParts('svc', 'acme', 'Central Region')[0]!.problem).toMatch(/entity name/);
    expect(checkUsernameParts('svc', '')[0]).toEqual({ field: 'companyId', problem: 'is missing' });
    expect(checkUsernameParts('svc', 'acme', 'US')).toEqual([]);
  });
});

describe('redaction', () => {
  it('masks form fields, JSON fields, JWTs, headers and query strings', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    expect(redactBody('grant_type=refresh_token&refresh_token=abc123&client_secret=s%2Fx')).toBe(
      'grant_type=refresh_token&refresh_token=[REDACTED]&client_secret=[REDACTED]',
    );
    expect(redactBody(`{"access_token":"${jwt}","expires_in":43200}`)).toBe(
      '{"access_token":"[REDACTED]","expires_in":43200}',
    );
    expect(redactBody(`token is ${jwt} ok`)).toBe('token is [REDACTED] ok');
    expect(redactHeaders({ Authorization: `Bearer ${jwt}`, accept: 'x' })).toEqual({
      Authorization: 'Bearer [REDACTED]',
      accept: 'x',
    });
    expect(redactUrl('https://x/cb?code=abc&state=s1')).toBe('https://x/cb?code=[REDACTED]&state=s1');
    expect(redactBody('my secret is hunter22!', ['hunter22!'])).toBe('my secret is [REDACTED]');
  });
});

describe('query filters', () => {
  const rows = [1, 2, 3, 4, 5].map((n) => ({
    key: String(n),
    status: n % 2 ? 'active' : 'inactive',
    name: `Vendor ${n}`,
  }));
  it('joins filters with the expression', () => {
    const out = applyFilters(
      rows,
      [{ $eq: { status: 'active' } }, { $gte: { key: '4' } }, { $startsWith: { name: 'vendor 2' } }],
      '(1 and 2) or 3',
    );
    expect(out.map((r) => r.key)).toEqual(['2', '5']);
  });
  it('rejects an expression that refers to a missing filter', () => {
    expect(() => parseExpression('1 and 3', 2)).toThrow(/filter 3/);
  });
});
