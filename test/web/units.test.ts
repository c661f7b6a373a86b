import { describe, expect, it } from 'vitest';
import { firstLoadAssets } from '../../src/bench/web.js';
import { parseStreamEvent } from '../../src/web/api.js';
import { validate } from '../../src/web/components/CredentialsForm.js';
import { filterArticles, mergeHits } from '../../src/web/components/Help.js';
import { groupRequirements, STEPS, stepFrom } from '../../src/web/components/Setup.js';
import { targetOrigin, toMessage } from '../../src/web/embed.js';
import { m } from '../../src/web/messages.js';
import {
  applyProgress,
  detectPermissionModel,
  precheckRelevant,
  settle,
  stepVerdicts,
} from '../../src/web/progress.js';
import { href, parseHash } from '../../src/web/router.js';
import { SseParser } from '../../src/web/sse.js';

describe('SseParser', () => {
  const stream =
    'event: progress\ndata: {"a":1}\n\n: keep-alive comment\n\nevent: result\r\ndata: line one\r\ndata: line two\r\n\r\ndata: plain\n\n';

  it('parses events, multi-line data, comments and CRLF', () => {
    const events = new SseParser().push(stream);
    expect(events).toEqual([
      { event: 'progress', data: '{"a":1}' },
      { event: 'result', data: 'line one\nline two' },
      { event: 'message', data: 'plain' },
    ]);
  });

  it('gives the same events whatever the chunking, including CRLF split across chunks', () => {
    const whole = new SseParser().push(stream);
    for (let size = 1; size <= 7; size++) {
      const parser = new SseParser();
      const got = [];
      for (let i = 0; i < stream.length; i += size) got.push(...parser.push(stream.slice(i, i + size)));
      got.push(...parser.end());
      expect(got).toEqual(whole);
    }
  });

  it('emits a final event that lacks its blank line when the stream ends', () => {
    const parser = new SseParser();
    expect(parser.push('event: result\ndata: {"id":"x"}')).toEqual([]);
    expect(parser.end()).toEqual([{ event: 'result', data: '{"id":"x"}' }]);
  });

  it('ignores an event name without data', () => {
    expect(new SseParser().push('event: ping\n\n')).toEqual([]);
  });
});

describe('parseStreamEvent', () => {
  it('maps progress and result events and skips junk', () => {
    expect(parseStreamEvent('progress', '{"type":"check.started","id":"a","title":"A"}')).toEqual({
      kind: 'progress',
      event: { type: 'check.started', id: 'a', title: 'A' },
    });
    expect(parseStreamEvent('result', '{"id":"c1","status":"connected"}')?.kind).toBe('result');
    expect(parseStreamEvent('progress', 'not json')).toBeNull();
    expect(parseStreamEvent('other', '{}')).toBeNull();
  });

  it('turns an error event into a thrown error with its message', () => {
    expect(() => parseStreamEvent('error', '{"error":{"message":"boom"}}')).toThrow('boom');
  });
});

describe('progress', () => {
  it('adds a check when it starts and replaces it when it finishes', () => {
    let checks = applyProgress([], { type: 'check.started', id: 'a', title: 'A' });
    checks = applyProgress(checks, { type: 'check.started', id: 'b', title: 'B' });
    expect(checks.map((c) => c.status)).toEqual(['running', 'running']);
    checks = applyProgress(checks, {
      type: 'check.finished',
      check: { id: 'a', title: 'A', status: 'fail', cause: 'user.locked_out', ms: 3 },
    });
    expect(checks).toEqual([
      { id: 'a', title: 'A', status: 'fail', ms: 3, cause: 'user.locked_out' },
      { id: 'b', title: 'B', status: 'running' },
    ]);
    expect(applyProgress(checks, { type: 'request', roundTrip: 1, api: 'xml', ms: 2 })).toBe(checks);
  });

  it('settles against the final report: unknown for never-finished, appended for never-started', () => {
    const live = applyProgress([], { type: 'check.started', id: 'a', title: 'A' });
    const settled = settle(live, [{ id: 'z', title: 'Z', status: 'unknown', cause: null, ms: 0 }]);
    expect(settled.map((c) => [c.id, c.status])).toEqual([
      ['a', 'unknown'],
      ['z', 'unknown'],
    ]);
  });
});

describe('router', () => {
  it('parses every screen and round-trips through href', () => {
    expect(parseHash('')).toEqual({ name: 'setup', step: null });
    expect(parseHash('#/connect')).toEqual({ name: 'setup', step: 'credentials' });
    expect(parseHash('#/setup/permissions')).toEqual({ name: 'setup', step: 'permissions' });
    expect(parseHash('#/help/permission.missing')).toEqual({ name: 'help', article: 'permission.missing' });
    expect(parseHash('#/oauth-result/abc%20d')).toEqual({ name: 'oauth-result', id: 'abc d' });
    expect(parseHash('#/dashboard')).toEqual({ name: 'dashboard' });
    expect(parseHash('#/oauth-error/access_denied')).toEqual({
      name: 'oauth-error',
      reason: 'access_denied',
    });
    expect(parseHash('#/help/%E0%A4%A')).toEqual({ name: 'help', article: '%E0%A4%A' });
    for (const hash of [
      '#/help',
      '#/help/user.locked_out',
      '#/dashboard',
      '#/oauth-result/x1',
      '#/setup/entity',
    ]) {
      expect(href(parseHash(hash))).toBe(hash);
    }
  });

  it('falls back to the first step for unknown steps', () => {
    expect(stepFrom('nope')).toBe('prerequisites');
    expect(stepFrom(null)).toBe('prerequisites');
    expect(stepFrom('entity')).toBe('entity');
    expect(STEPS.at(-1)).toBe('credentials');
  });
});

describe('credentials validation', () => {
  const all = ['companyId', 'userId', 'userPassword', 'entityId'] as const;
  it('requires company, user and password but not the entity', () => {
    const errors = validate({ companyId: '', userId: '', userPassword: '', entityId: '' }, all);
    expect(errors.map((e) => e.field)).toEqual(['companyId', 'userId', 'userPassword']);
  });
  it('flags stray spaces in IDs but not in passwords', () => {
    const errors = validate(
      { companyId: 'acme ', userId: 'svc', userPassword: ' p w ', entityId: ' US' },
      all,
    );
    expect(errors).toEqual([
      { field: 'companyId', message: m.form.spaces(m.form.companyId) },
      { field: 'entityId', message: m.form.spaces(m.form.entityId) },
    ]);
  });
});

describe('help search', () => {
  const articles = [
    {
      id: 'sender.not_authorized',
      kind: 'cause' as const,
      title: 'Sender ID not authorized',
      summary: 'Missing from Web Services authorizations',
    },
    {
      id: 'user.locked_out',
      kind: 'cause' as const,
      title: 'User locked out',
      summary: 'Too many failed sign-ins',
    },
    { id: 'setup-role', kind: 'guide' as const, title: 'Créer un rôle', summary: 'Role set-up' },
  ];
  it('matches every word over title, summary and id, ignoring case and accents', () => {
    expect(filterArticles(articles, 'SENDER authorizations').map((a) => a.id)).toEqual([
      'sender.not_authorized',
    ]);
    expect(filterArticles(articles, 'locked').map((a) => a.id)).toEqual(['user.locked_out']);
    expect(filterArticles(articles, 'creer').map((a) => a.id)).toEqual(['setup-role']);
    expect(filterArticles(articles, 'not authorized').map((a) => a.id)).toEqual(['sender.not_authorized']);
    expect(filterArticles(articles, '   ')).toHaveLength(3);
    expect(filterArticles(articles, 'zebra')).toEqual([]);
  });
  it('adds server-only hits after the local ones, each article once', () => {
    const [a, b, c] = articles;
    expect(mergeHits([b!], [a!, b!, c!]).map((x) => x.id)).toEqual([b!.id, a!.id, c!.id]);
    expect(mergeHits([], [])).toEqual([]);
  });
});

describe('permission table', () => {
  it('groups requirements by module and permission, merging rights and objects', () => {
    const rows = groupRequirements([
      {
        object: 'VENDOR',
        operation: 'readByQuery',
        module: 'Accounts Payable',
        permission: 'Vendors',
        rights: ['List'],
      },
      {
        object: 'VENDOR',
        operation: 'read',
        module: 'Accounts Payable',
        permission: 'Vendors',
        rights: ['View'],
      },
      {
        object: 'GLBATCH',
        operation: 'create',
        module: 'General Ledger',
        permission: 'Journal Entries',
        rights: ['Add'],
      },
      {
        object: 'GLENTRY',
        operation: 'readByQuery',
        module: 'General Ledger',
        permission: 'Journal Entries',
        rights: ['List'],
      },
      { object: 'ODDTHING', operation: 'read' },
    ]);
    expect(rows).toEqual([
      {
        module: 'Accounts Payable',
        permission: 'Vendors',
        rights: ['List', 'View'],
        objects: ['VENDOR (readByQuery)', 'VENDOR (read)'],
      },
      {
        module: 'General Ledger',
        permission: 'Journal Entries',
        rights: ['Add', 'List'],
        objects: ['GLBATCH (create)', 'GLENTRY (readByQuery)'],
      },
      { module: '—', permission: 'ODDTHING', rights: [], objects: ['ODDTHING (read)'] },
    ]);
  });
});

describe('embedding events', () => {
  it('carries both the namespaced type and the bare event name', () => {
    expect(toMessage({ event: 'ready' })).toEqual({ type: 'intacct-connect:ready', event: 'ready' });
    const failed = toMessage({
      event: 'failed',
      connectionId: 'c1',
      companyId: 'acme',
      status: 'failed',
      cause: 'permission.missing',
      title: 'T',
    });
    expect(failed.type).toBe('intacct-connect:failed');
    expect(failed.event).toBe('failed');
  });
  it('restricts the target origin only when ?origin= is a valid URL', () => {
    expect(targetOrigin('')).toBe('*');
    expect(targetOrigin('?origin=https://app.example.com/path')).toBe('https://app.example.com');
    expect(targetOrigin('?origin=not a url')).toBe('*');
  });
});

describe('step verdicts', () => {
  const check = (id: string, status: string) => ({ id, status });
  it('marks a step failed when any of its checks failed, verified when all passed', () => {
    expect(
      stepVerdicts([
        check('company.exists', 'pass'),
        check('company.subscription', 'pass'),
        check('sender.authorization', 'fail'),
        check('user.signin', 'unknown'),
        check('input.sanity', 'pass'),
      ]),
    ).toEqual({ subscription: 'pass', authorization: 'fail' });
  });
  it('lets a later run override the precheck, and gives no verdict when nothing was decided', () => {
    const precheck = [check('sender.authorization', 'fail')];
    const run = [
      check('sender.authorization', 'pass'),
      check('entity.access', 'unknown'),
      check('user.kind', 'warn'),
    ];
    expect(stepVerdicts(precheck, run)).toEqual({ authorization: 'pass', user: 'warn' });
    expect(
      stepVerdicts([check('sender.authorization', 'pass')], [check('sender.authorization', 'unknown')]),
    ).toEqual({});
  });
});

describe('precheck list', () => {
  it('keeps decided checks and undecided company-level ones, drops undecided user-level ones', () => {
    const checks = [
      { id: 'company.exists', status: 'pass' },
      { id: 'company.subscription', status: 'unknown' },
      { id: 'sender.authorization', status: 'fail' },
      { id: 'user.signin', status: 'unknown' },
      { id: 'permissions.required', status: 'skip' },
      { id: 'endpoint.reachable', status: 'pass' },
    ];
    expect(precheckRelevant(checks).map((c) => c.id)).toEqual([
      'company.exists',
      'company.subscription',
      'sender.authorization',
      'endpoint.reachable',
    ]);
  });
});

describe('size benchmark', () => {
  it('finds the module scripts, modulepreloads and stylesheets of the built page', () => {
    const html = `<!doctype html><html><head>
      <script type="module" crossorigin src="/assets/index-a1.js"></script>
      <link rel="modulepreload" crossorigin href="/assets/vendor-b2.js">
      <link rel="stylesheet" href='/assets/index-c3.css'>
      <link rel="icon" href="data:,">
      <script>inline()</script></head><body></body></html>`;
    expect(firstLoadAssets(html)).toEqual({
      scripts: ['/assets/index-a1.js', '/assets/vendor-b2.js'],
      styles: ['/assets/index-c3.css'],
    });
  });
});

describe('permission type detection', () => {
  it('reads the type from permission findings and says nothing otherwise', () => {
    expect(detectPermissionModel(undefined)).toBeNull();
    expect(detectPermissionModel([{ cause: 'user.locked_out' }])).toBeNull();
    expect(
      detectPermissionModel([{ cause: 'permission.missing', evidence: { permissionModel: 'user' } }]),
    ).toBe('user');
    expect(
      detectPermissionModel([{ cause: 'permission.missing', evidence: { permissionModel: 'unknown' } }]),
    ).toBeNull();
    expect(detectPermissionModel([{ cause: 'permission.no_role' }])).toBe('role');
  });
});
