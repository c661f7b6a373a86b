import { describe, expect, it } from 'vitest';
import { classifyBlocking, classifySignInText, type FailedOutcome } from '../../src/doctor/classify.js';
import { buildFinding, type CauseLookup } from '../../src/doctor/findings.js';
import { extractRequestIds, extractSupportIds } from '../../src/doctor/ids.js';
import { checkInput } from '../../src/doctor/input.js';
import { describeMissing, grantLines, grants, parseUserPermissions } from '../../src/doctor/permissions.js';
import { probesFor } from '../../src/doctor/plan.js';
import { redactDeep, redactText } from '../../src/doctor/redact.js';
import { renderReport } from '../../src/doctor/render.js';
import { assembleReport } from '../../src/doctor/report.js';
import {
  parseRequirementFile,
  parseRequirementList,
  RequirementSpecError,
} from '../../src/doctor/require.js';
import type { Finding } from '../../src/shared/report.js';

const base = { senderId: 'S', senderPassword: 'sp', companyId: 'acme', userId: 'u', userPassword: 'p' };

describe('input sanity', () => {
  it('accepts clean input unchanged', () => {
    const r = checkInput(base);
    expect(r.issues).toEqual([]);
    expect(r.stop).toBe(false);
    expect(r.values).toEqual(base);
  });

  it('trailing space in an ID: error finding, diagnosis goes on trimmed', () => {
    const r = checkInput({ ...base, companyId: 'acme ', userId: ' u' });
    expect(r.stop).toBe(false);
    expect(r.values.companyId).toBe('acme');
    expect(r.values.userId).toBe('u');
    expect(r.issues.map((i) => [i.field, i.cause, i.severity])).toEqual([
      ['companyId', 'company.not_found', 'error'],
      ['userId', 'user.invalid_credentials', 'error'],
    ]);
  });

  it('company|entity and console|company|entity are split with a warning', () => {
    const two = checkInput({ ...base, companyId: 'acme|US' });
    expect(two.values).toMatchObject({ companyId: 'acme', entityId: 'US' });
    expect(two.issues[0]).toMatchObject({ severity: 'warning', cause: 'company.not_found' });
    const three = checkInput({ ...base, companyId: 'console1|acme|UK' });
    expect(three.values).toMatchObject({ companyId: 'acme', entityId: 'UK' });
    expect(three.stop).toBe(false);
  });

  it('ambiguous input stops before any request', () => {
    expect(checkInput({ ...base, companyId: 'acme|US', entityId: 'UK' }).stop).toBe(true);
    expect(checkInput({ ...base, companyId: 'a|b|c|d' }).stop).toBe(true);
    expect(checkInput({ ...base, companyId: '|US' }).stop).toBe(true);
  });

  it('empty required fields stop with the cause of the layer that would refuse them', () => {
    const r = checkInput({ ...base, senderId: '', userPassword: '  ' });
    expect(r.stop).toBe(true);
    expect(r.issues.map((i) => i.cause)).toEqual(['sender.invalid_credentials', 'user.invalid_credentials']);
    expect(
      checkInput({ senderId: 'S', senderPassword: 'x', companyId: 'c' }, { scope: 'company' }).stop,
    ).toBe(false);
  });

  it('an email as user ID is only a warning; passwords are never touched', () => {
    const r = checkInput({ ...base, userId: 'jane@example.com', userPassword: ' spaced pw ' });
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ severity: 'warning', field: 'userId' });
    expect(r.values.userPassword).toBe(' spaced pw ');
  });
});

const err = (errorno: string, description2: string, description = '') => ({
  errorno,
  description,
  description2,
  correction: '',
});

describe('classification of the blocking failure', () => {
  const cases: Array<[string, FailedOutcome, string, string]> = [
    [
      'DNS',
      { layer: 'transport', kind: 'dns', message: 'ENOTFOUND' },
      'network.unreachable',
      'endpoint.reachable',
    ],
    [
      'refused',
      { layer: 'transport', kind: 'refused', message: 'ECONNREFUSED' },
      'network.unreachable',
      'endpoint.reachable',
    ],
    [
      'timeout',
      { layer: 'transport', kind: 'timeout', message: 't' },
      'network.timeout',
      'endpoint.reachable',
    ],
    [
      'reset',
      { layer: 'transport', kind: 'reset', message: 'r' },
      'gateway.unavailable',
      'gateway.available',
    ],
    [
      '429',
      {
        layer: 'gateway',
        kind: 'rate_limited',
        httpStatus: 429,
        errors: [err('GW-0010', '', 'API rate limit exceeded')],
        message: '',
      },
      'gateway.rate_limited',
      'gateway.available',
    ],
    [
      '503',
      { layer: 'gateway', kind: 'unavailable', httpStatus: 503, errors: [], message: '' },
      'gateway.unavailable',
      'gateway.available',
    ],
    [
      '524',
      { layer: 'gateway', kind: 'edge_timeout', httpStatus: 524, errors: [], message: '' },
      'gateway.unavailable',
      'gateway.available',
    ],
    [
      'GW-0011',
      {
        layer: 'gateway',
        kind: 'invalid_request',
        httpStatus: 400,
        errors: [err('GW-0011', '', 'Invalid Request [Request ID: AC47:1]')],
        message: '',
      },
      'company.not_found',
      'company.exists',
    ],
    [
      '403',
      { layer: 'gateway', kind: 'html', httpStatus: 403, errors: [], message: '' },
      'user.ip_not_allowed',
      'user.signin',
    ],
    [
      '404',
      { layer: 'gateway', kind: 'http', httpStatus: 404, errors: [], message: '' },
      'network.unreachable',
      'endpoint.reachable',
    ],
    [
      '401 JPP0002',
      {
        layer: 'gateway',
        kind: 'sign_in',
        httpStatus: 401,
        errors: [err('XMLGW_JPP0002', '', 'Sign-in information is incorrect. Please check your request.')],
        message: '',
      },
      'user.invalid_credentials',
      'user.signin',
    ],
    [
      'sender password',
      {
        layer: 'control',
        errors: [err('XL03000006', 'Incorrect Intacct XML Partner ID or password.')],
        message: '',
      },
      'sender.invalid_credentials',
      'sender.credentials',
    ],
    [
      'demo expired',
      {
        layer: 'control',
        errors: [err('PL04000055', 'This company is a demo company and has expired.')],
        message: '',
      },
      'company.trial_expired',
      'company.exists',
    ],
    [
      'subscription (C)',
      {
        layer: 'control',
        errors: [
          err(
            'XL03000006',
            'This company is not authorized for XML transactions. Please subscribe to the XML Gateway.',
          ),
        ],
        message: '',
      },
      'company.web_services_disabled',
      'company.subscription',
    ],
    [
      'schema',
      { layer: 'control', errors: [err('XL03000003', 'XML Parse schema error: Error 1871')], message: '' },
      'request.malformed',
      'sender.credentials',
    ],
    [
      'sender not authorized',
      {
        layer: 'authentication',
        errors: [
          err(
            'XL03000006',
            "The sender ID 'S' is not authorized to make Web Services requests to company ID 'C'.",
            'Invalid Web Services Authorization',
          ),
        ],
        message: '',
      },
      'sender.not_authorized',
      'sender.authorization',
    ],
    [
      'subscription (A)',
      {
        layer: 'authentication',
        errors: [
          err(
            'XL99',
            'This company is not authorized for XML transactions. Please subscribe to the XML Gateway.',
          ),
        ],
        message: '',
      },
      'company.web_services_disabled',
      'company.subscription',
    ],
    [
      'session',
      { layer: 'authentication', errors: [err('XL03000006', 'Invalid session')], message: '' },
      'session.invalid',
      'user.signin',
    ],
    [
      'sign-in',
      {
        layer: 'authentication',
        errors: [err('XL03000006', 'Sign-in information is incorrect')],
        message: '',
      },
      'user.invalid_credentials',
      'user.signin',
    ],
  ];
  for (const [name, outcome, cause, check] of cases) {
    it(name, () => {
      const b = classifyBlocking(outcome);
      expect(b.cause).toBe(cause);
      expect(b.check).toBe(check);
    });
  }

  it('the generic sign-in text is ambiguous; a distinct one decides', () => {
    expect(
      classifyBlocking({
        layer: 'authentication',
        errors: [err('XL03000006', 'Sign-in information is incorrect')],
        message: '',
      }).ambiguousSignIn,
    ).toBe(true);
    expect(classifySignInText('The user account is locked')).toBe('user.locked_out');
    expect(classifySignInText('User is inactive')).toBe('user.inactive');
    expect(classifySignInText('Login not allowed from IP address 10.0.0.1')).toBe('user.ip_not_allowed');
    expect(classifySignInText('Use single sign-on for this user')).toBe('user.sso_or_mfa');
    expect(classifySignInText('Invalid location ID')).toBe('entity.not_found');
    expect(classifySignInText('You do not have access to entity UK')).toBe('entity.access_denied');
    expect(classifySignInText('Top-level access is not allowed')).toBe('entity.top_level_denied');
    expect(classifySignInText('Sign-in information is incorrect')).toBeNull();
  });
});

describe('redaction', () => {
  it('masks secret tags, JSON fields, headers and every planted value in any encoding', () => {
    const text = [
      '<password>p&amp;w</password><sessionid>abc..</sessionid>',
      '{"access_token":"eyJ.x.y","client_secret":"cs"}',
      'Authorization: Bearer tok123',
      'echo: my secret&pw and my%20secret%26pw and my secret&amp;pw',
    ].join('\n');
    const out = redactText(text, ['my secret&pw']);
    expect(out).not.toMatch(/p&amp;w|abc\.\.|eyJ|"cs"|tok123|my secret|my%20secret/);
    expect(out.match(/\[REDACTED\]/g)?.length).toBeGreaterThanOrEqual(7);
  });
});

describe('IDs', () => {
  it('decodes Support IDs and collects Request IDs', () => {
    const text = 'x [Support ID: ab%7Ecd] y [Request ID: AC47C2BE:D9EE_63EBC07F.59] "supportId":"zz%7E1"';
    expect(extractSupportIds(text)).toEqual(['ab~cd', 'zz~1']);
    expect(extractRequestIds(text)).toEqual(['AC47C2BE:D9EE_63EBC07F.59']);
  });
});

describe('report assembly', () => {
  const lookup: CauseLookup = (id) => ({
    title: `T ${id}`,
    fix: ['generic'],
    fixRoleBased: ['role step'],
    fixUserBased: ['user step'],
  });
  it('orders root cause first and sets ok exactly when no error exists', () => {
    const f = (cause: Finding['cause'], severity: Finding['severity'] = 'error') =>
      buildFinding(lookup, { cause, severity, detail: 'd' });
    const report = assembleReport({
      mode: 'xml',
      roundTrips: 1,
      checks: [],
      findings: [
        f('user.not_web_services_user', 'warning'),
        f('permission.missing'),
        f('module.not_subscribed'),
      ],
    });
    expect(report.findings.map((x) => x.cause)).toEqual([
      'module.not_subscribed',
      'permission.missing',
      'user.not_web_services_user',
    ]);
    expect(report.ok).toBe(false);
    expect(
      assembleReport({
        mode: 'xml',
        roundTrips: 1,
        checks: [],
        findings: [f('user.not_web_services_user', 'warning')],
      }).ok,
    ).toBe(true);
  });

  it('picks role- or user-based fix steps and puts specific steps first', () => {
    const role = buildFinding(lookup, {
      cause: 'permission.missing',
      detail: 'd',
      permissionModel: 'role',
      extraFix: ['Grant X'],
    });
    expect(role.fix).toEqual(['Grant X', 'role step']);
    expect(
      buildFinding(lookup, { cause: 'permission.missing', detail: 'd', permissionModel: 'user' }).fix,
    ).toEqual(['user step']);
    expect(buildFinding(lookup, { cause: 'permission.missing', detail: 'd' }).fix).toEqual(['generic']);
  });

  it('renders without colour codes unless asked', () => {
    const report = assembleReport({
      mode: 'xml',
      roundTrips: 1,
      checks: [{ id: 'a', title: 'A', status: 'pass', cause: null, ms: 3 }],
      findings: [],
    });
    expect(renderReport(report, { color: false }, { withChecks: true })).not.toContain('\u001b[');
    expect(renderReport(report, { color: true }, { withChecks: true })).toContain('\u001b[');
  });
});

describe('permissions', () => {
  const data = [
    {
      permissions: {
        appSubscription: [
          {
            applicationName: 'Accounts Payable',
            policies: {
              policy: [
                { policyName: 'Vendors', rights: 'List|View|Add' },
                { policyName: 'Bills', rights: 'List' },
              ],
            },
          },
          {
            applicationName: 'General Ledger',
            policies: { policy: { policyName: 'Accounts', rights: 'List|View' } },
          },
        ],
      },
    },
  ];
  it('parses getUserPermissions and answers per object and operation', () => {
    const rights = parseUserPermissions(data);
    expect(grants(rights, 'VENDOR', 'create')).toBe(true);
    expect(grants(rights, 'VENDOR', 'update')).toBe(false);
    expect(grants(rights, 'APBILL', 'read')).toBe(false);
    expect(grants(rights, 'GLACCOUNT', 'readByQuery')).toBe(true);
    expect(grants(rights, 'CUSTOMER', 'readByQuery')).toBe(false);
    expect(grants(rights, 'NOTANOBJECT', 'read')).toBeUndefined();
  });
  it('groups missing rights per module and permission', () => {
    const lines = grantLines([
      describeMissing({ object: 'VENDOR', operation: 'readByQuery' }),
      describeMissing({ object: 'VENDOR', operation: 'update' }),
      describeMissing({ object: 'GLENTRY', operation: 'readByQuery' }),
      describeMissing({ object: 'GLBATCH', operation: 'read' }),
    ]);
    expect(lines).toEqual([
      'Accounts Payable › Vendors: List, Edit (for VENDOR)',
      'General Ledger › Journal Entries: List, View (for GLENTRY, GLBATCH)',
    ]);
  });
  it('probes each object once, with read only when nothing lists it', () => {
    const probes = probesFor([
      { object: 'vendor', operation: 'create' },
      { object: 'VENDOR', operation: 'readByQuery' },
      { object: 'APBILL', operation: 'read' },
    ]);
    expect(probes.map((p) => [p.object, p.via])).toEqual([
      ['VENDOR', 'readByQuery'],
      ['APBILL', 'read'],
    ]);
  });
});

describe('--require parsing', () => {
  it('parses the inline list and the file form', () => {
    expect(parseRequirementList('vendor:readByQuery, APBILL:create')).toEqual([
      { object: 'VENDOR', operation: 'readByQuery' },
      { object: 'APBILL', operation: 'create' },
    ]);
    expect(parseRequirementFile('[{"object":"GLACCOUNT","operation":"read"}]', 'f.json')).toEqual([
      { object: 'GLACCOUNT', operation: 'read' },
    ]);
  });
  it('names the bad part', () => {
    expect(() => parseRequirementList('VENDOR')).toThrow(/"VENDOR"/);
    expect(() => parseRequirementList('VENDOR:write')).toThrow(RequirementSpecError);
    expect(() => parseRequirementFile('- {object: VENDOR}', 'n.yaml')).toThrow(/n\.yaml \[0\]/);
    expect(() => parseRequirementFile('{}', 'n.yaml')).toThrow(/non-empty list/);
  });
});

describe('deep redaction', () => {
  it('redacts strings at any depth without touching the original', () => {
    const original = { a: 'x Secret-123 y', b: [{ c: 'Secret-123' }, 3], d: null };
    const out = redactDeep(original, ['Secret-123', 'ab']);
    expect(out).toEqual({ a: 'x [REDACTED] y', b: [{ c: '[REDACTED]' }, 3], d: null });
    expect(original.a).toBe('x Secret-123 y');
  });
});
