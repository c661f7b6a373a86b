import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest, functions, postXml } from '../../src/client/xml/index.js';
import { diagnose } from '../../src/doctor/index.js';
import type { RunningEmulator, WorldInput } from '../../src/emulator/index.js';
import type { CauseId } from '../../src/shared/causes.js';
import type { ConnectionCredentials } from '../../src/shared/credentials.js';
import type { DoctorReport, Requirement } from '../../src/shared/report.js';
import { DEMO, startTestEmulator } from '../helpers/emulator.js';

/**
 * The accuracy suite: one situation per cause the XML side can produce, alone and in combination, in
 * the demo world and in inline worlds that flip the emulator's switches for what Intacct leaves
 * undocumented. Each case states the root cause, every error finding there must be (no false errors),
 * the round trips, and where relevant the missing objects and the candidates a sign-in failure lists.
 */

interface Expect {
  root: CauseId | null;
  /** Every error-severity cause, root included; default: just the root. */
  errors?: CauseId[];
  warnings?: CauseId[];
  roundTrips: number;
  missing?: string[];
  candidates?: CauseId[];
  /** Checks that must be `unknown` (hidden by an earlier failure). */
  unknown?: string[];
  /** Checks that must pass. */
  pass?: string[];
  /** Checks that do not apply (company scope). */
  skip?: string[];
}

interface Case {
  name: string;
  world: string;
  creds?: ConnectionCredentials;
  require?: Requirement[];
  timeoutMs?: number;
  headers?: Record<string, string>;
  scope?: 'company';
  /** Sign in to this company first and diagnose with the session ID it returns. */
  session?: string;
  expect: Expect;
}

const FULL_RIGHTS: Record<string, Array<'list' | 'view' | 'add' | 'edit' | 'delete'>> = {
  GLACCOUNT: ['list', 'view'],
  GLENTRY: ['list', 'view'],
  VENDOR: ['list', 'view', 'add', 'edit'],
  CUSTOMER: ['list', 'view', 'add', 'edit'],
  APBILL: ['list', 'view', 'add', 'edit'],
  ARINVOICE: ['list', 'view', 'add', 'edit'],
  LOCATIONENTITY: ['list', 'view'],
  DEPARTMENT: ['list', 'view'],
  LOCATION: ['list', 'view'],
  USERINFO: ['list', 'view'],
  ROLES: ['list', 'view'],
};

type CompanyInput = NonNullable<WorldInput['companies']>[number];
type UserInput = NonNullable<CompanyInput['users']>[number];

function company(id: string, over: Partial<CompanyInput> = {}, user: Partial<UserInput> = {}): CompanyInput {
  return {
    id,
    senderAuthorizations: [{ sender: DEMO.senderId }],
    roles: [
      {
        name: 'Integration',
        permissions: { ...FULL_RIGHTS },
      },
    ],
    users: [{ id: DEMO.userId, password: DEMO.userPassword, admin: 'full', roles: ['Integration'], ...user }],
    ...over,
  };
}

/** A world with the same situations for every behaviour variant. */
function world(behaviours: WorldInput['behaviours'] = {}, faults: WorldInput['faults'] = []): WorldInput {
  return {
    senders: [{ id: DEMO.senderId, password: DEMO.senderPassword }],
    behaviours,
    faults,
    companies: [
      company('healthy'),
      company('multi', { entities: [{ id: 'US' }, { id: 'UK' }] }),
      company(
        'restricted',
        { entities: [{ id: 'US' }, { id: 'UK' }] },
        { entities: ['US'], topLevelAccess: false },
      ),
      company('locked', {}, { status: 'locked_out' }),
      company('inactive', {}, { status: 'inactive' }),
      company('mfa', {}, { webServicesOnly: false, mfa: true }),
      company('ipf', { ipAllowList: ['203.0.113.10'] }),
      company('nosub', { webServices: false }),
      company('unauth', { senderAuthorizations: [] }),
      // Subscription off, sender unauthorized and missing permissions at once.
      company('triple', {
        webServices: false,
        senderAuthorizations: [],
        roles: [{ name: 'Integration', permissions: { GLACCOUNT: ['list'] } }],
      }),
      company('noap-perms', {
        modules: ['company', 'general-ledger', 'accounts-receivable'],
        roles: [{ name: 'Integration', permissions: { ...FULL_RIGHTS, GLENTRY: [] } }],
      }),
      company('perms', {
        roles: [
          {
            name: 'Integration',
            permissions: { GLACCOUNT: ['list'], USERINFO: ['list', 'view'], ROLES: ['list'] },
          },
        ],
      }),
      company('offline'),
      company(
        'nonadmin',
        {
          roles: [
            {
              name: 'Integration',
              permissions: { ...FULL_RIGHTS, USERINFO: ['list', 'view', 'add', 'edit'] },
            },
          ],
        },
        { admin: 'off' },
      ),
    ],
  };
}

const OFF_TEXTS = {
  password: 'Sign-in information is incorrect',
  lockedOut: 'Sign-in failed: the user is locked out',
  inactive: 'Sign-in failed: the user is inactive',
  ipDenied: 'Sign-in is not allowed from this IP address',
  ssoOrMfa: 'This user must sign in with single sign-on or two-step verification',
  badLocation: 'Invalid entity (location) ID',
};

const WORLDS: Record<string, WorldInput | undefined> = {
  demo: undefined,
  std: world({}, [{ match: { company: 'offline' }, effect: 'offline' }]),
  userFirst: world({
    authOrder: ['user', 'ip', 'entity', 'company', 'subscription', 'sender'],
    subscriptionOffLayer: 'authentication',
  }),
  senderFirst: world({
    authOrder: ['sender', 'subscription', 'company', 'user', 'ip', 'entity'],
    subscriptionOffLayer: 'authentication',
  }),
  gw401: world({ signInFailureAs: 'gateway_401' }),
  aSignin: world({ unknownCompany: 'a_signin' }),
  texts: world({ signInTexts: OFF_TEXTS }),
  ip403: world({ ipFilterEffect: 'gateway_403' }),
  ipDrop: world({ ipFilterEffect: 'drop_connection' }),
  moduleText: world({ unsubscribedModule: 'module_not_subscribed' }),
  faults: world({}, [
    { match: { company: 'healthy' }, effect: 'timeout' },
    { match: { company: 'multi' }, effect: 'html_error' },
    { match: { company: 'locked' }, effect: 'drop_connection' },
  ]),
};

const SIGN_IN_AMBIGUOUS: CauseId[] = [
  'user.locked_out',
  'user.inactive',
  'user.sso_or_mfa',
  'user.ip_not_allowed',
];

const r = (object: string, operation: Requirement['operation'] = 'readByQuery'): Requirement => ({
  object,
  operation,
});

const CASES: Case[] = [
  // Demo world: one company per situation.
  {
    name: 'healthy',
    world: 'demo',
    creds: { companyId: 'acme-healthy' },
    expect: { root: null, roundTrips: 1 },
  },
  {
    name: 'healthy sandbox',
    world: 'demo',
    creds: { companyId: 'acme-sandbox' },
    expect: { root: null, roundTrips: 1 },
  },
  {
    name: 'healthy multi-entity, top level',
    world: 'demo',
    creds: { companyId: 'acme-multi' },
    expect: { root: null, roundTrips: 1 },
  },
  {
    name: 'healthy multi-entity, entity UK',
    world: 'demo',
    creds: { companyId: 'acme-multi', entityId: 'UK' },
    expect: { root: null, roundTrips: 1 },
  },
  {
    name: 'company ID case differs (Intacct ignores case)',
    world: 'demo',
    creds: { companyId: 'ACME-Healthy' },
    expect: { root: null, roundTrips: 1 },
  },
  {
    name: 'regular user (warning only)',
    world: 'demo',
    creds: { companyId: 'regular-user' },
    expect: { root: null, warnings: ['user.not_web_services_user'], roundTrips: 1 },
  },
  {
    name: 'subscription off',
    world: 'demo',
    creds: { companyId: 'no-subscription' },
    expect: {
      root: 'company.web_services_disabled',
      roundTrips: 1,
      unknown: ['user.signin', 'permissions.required'],
    },
  },
  {
    name: 'sender not authorized',
    world: 'demo',
    creds: { companyId: 'sender-not-authorized' },
    expect: { root: 'sender.not_authorized', roundTrips: 1, pass: ['sender.credentials', 'company.exists'] },
  },
  {
    name: 'sender authorization inactive',
    world: 'demo',
    creds: { companyId: 'sender-inactive' },
    expect: { root: 'sender.not_authorized', roundTrips: 1 },
  },
  {
    name: 'wrong sender password',
    world: 'demo',
    creds: { companyId: 'acme-healthy', senderPassword: 'not-the-sender-secret' },
    expect: { root: 'sender.invalid_credentials', roundTrips: 1, unknown: ['company.exists'] },
  },
  {
    name: 'inactive sender licence',
    world: 'demo',
    creds: { companyId: 'acme-healthy', senderId: 'RetiredSender', senderPassword: 'retired-secret' },
    expect: { root: 'sender.invalid_credentials', roundTrips: 1 },
  },
  {
    name: 'unknown company (GW-0011)',
    world: 'demo',
    creds: { companyId: 'acme-helthy' },
    expect: { root: 'company.not_found', roundTrips: 1 },
  },
  {
    name: 'trailing space in company ID',
    world: 'demo',
    creds: { companyId: 'acme-healthy ' },
    expect: { root: 'company.not_found', roundTrips: 1, pass: ['user.signin', 'permissions.required'] },
  },
  {
    name: 'wrong password',
    world: 'demo',
    creds: { companyId: 'acme-healthy', userPassword: 'wrong-password' },
    expect: {
      root: 'user.invalid_credentials',
      roundTrips: 1,
      candidates: SIGN_IN_AMBIGUOUS,
      unknown: ['permissions.required', 'company.subscription'],
    },
  },
  {
    name: 'locked user (generic text)',
    world: 'demo',
    creds: { companyId: 'locked-user' },
    expect: { root: 'user.invalid_credentials', roundTrips: 1, candidates: ['user.locked_out'] },
  },
  {
    name: 'inactive user (generic text)',
    world: 'demo',
    creds: { companyId: 'inactive-user' },
    expect: { root: 'user.invalid_credentials', roundTrips: 1, candidates: ['user.inactive'] },
  },
  {
    name: 'regular user with MFA (generic text)',
    world: 'demo',
    creds: { companyId: 'regular-user-mfa' },
    expect: { root: 'user.invalid_credentials', roundTrips: 1, candidates: ['user.sso_or_mfa'] },
  },
  {
    name: 'IP filter (generic text)',
    world: 'demo',
    creds: { companyId: 'ip-filtered' },
    expect: { root: 'user.invalid_credentials', roundTrips: 1, candidates: ['user.ip_not_allowed'] },
  },
  {
    name: 'IP filter, caller allowed',
    world: 'demo',
    creds: { companyId: 'ip-filtered' },
    headers: { 'x-emulator-client-ip': '203.0.113.10' },
    expect: { root: null, roundTrips: 1 },
  },
  {
    name: 'missing permissions (role-based)',
    world: 'demo',
    creds: { companyId: 'missing-perms-role' },
    expect: { root: 'permission.missing', roundTrips: 1, missing: ['APBILL', 'GLENTRY', 'VENDOR'] },
  },
  {
    name: 'missing permissions (user-based)',
    world: 'demo',
    creds: { companyId: 'missing-perms-user' },
    expect: { root: 'permission.missing', roundTrips: 1, missing: ['ARINVOICE', 'CUSTOMER'] },
  },
  {
    name: 'no role',
    world: 'demo',
    creds: { companyId: 'no-role' },
    expect: { root: 'permission.no_role', roundTrips: 1 },
  },
  {
    name: 'trial expired',
    world: 'demo',
    creds: { companyId: 'trial-expired' },
    expect: { root: 'company.trial_expired', roundTrips: 1 },
  },
  {
    name: 'trial without Web Services',
    world: 'demo',
    creds: { companyId: 'trial' },
    expect: { root: 'company.web_services_disabled', roundTrips: 1, candidates: ['company.trial_expired'] },
  },
  {
    name: 'module not subscribed',
    world: 'demo',
    creds: { companyId: 'no-ap-module' },
    expect: {
      root: 'module.not_subscribed',
      roundTrips: 1,
      unknown: ['permissions.required'],
      missing: ['APBILL', 'VENDOR'],
    },
  },
  {
    name: 'rate limited',
    world: 'demo',
    creds: { companyId: 'rate-limited' },
    expect: {
      root: 'gateway.rate_limited',
      roundTrips: 1,
      unknown: ['sender.credentials', 'permissions.required'],
    },
  },
  {
    name: 'outage (503)',
    world: 'demo',
    creds: { companyId: 'outage' },
    expect: { root: 'gateway.unavailable', roundTrips: 1 },
  },
  {
    name: 'unknown entity',
    world: 'demo',
    creds: { companyId: 'acme-multi', entityId: 'FR' },
    expect: { root: 'entity.not_found', roundTrips: 2, pass: ['user.signin'] },
  },
  {
    name: 'entity ID case differs',
    world: 'demo',
    creds: { companyId: 'acme-multi', entityId: 'us' },
    expect: { root: 'entity.not_found', roundTrips: 2 },
  },
  {
    name: 'entity ID on a single-entity company',
    world: 'demo',
    creds: { companyId: 'acme-healthy', entityId: 'US' },
    expect: { root: 'entity.not_found', roundTrips: 2 },
  },
  {
    name: 'entity-restricted user in its entity',
    world: 'demo',
    creds: { companyId: 'entity-restricted', entityId: 'US' },
    expect: { root: null, roundTrips: 1 },
  },
  {
    name: 'entity-restricted user at the top level',
    world: 'demo',
    creds: { companyId: 'entity-restricted' },
    expect: { root: 'user.invalid_credentials', roundTrips: 1, candidates: ['entity.top_level_denied'] },
  },
  {
    name: 'entity-restricted user in another entity',
    world: 'demo',
    creds: { companyId: 'entity-restricted', entityId: 'UK' },
    expect: {
      root: 'user.invalid_credentials',
      roundTrips: 2,
      candidates: ['entity.access_denied', 'entity.top_level_denied'],
    },
  },
  {
    name: 'writes allowed by the role',
    world: 'demo',
    creds: { companyId: 'acme-healthy' },
    require: [r('VENDOR', 'create'), r('APBILL', 'update'), r('VENDOR')],
    expect: { root: null, roundTrips: 1 },
  },
  {
    name: 'writes not allowed by the role',
    world: 'demo',
    creds: { companyId: 'acme-healthy' },
    require: [r('GLACCOUNT', 'create'), r('VENDOR', 'delete'), r('CUSTOMER', 'read')],
    expect: { root: 'permission.missing', roundTrips: 1, missing: ['GLACCOUNT', 'VENDOR'] },
  },
  {
    name: 'unknown object required',
    world: 'demo',
    creds: { companyId: 'acme-healthy' },
    require: [r('NOSUCHTHING'), r('VENDOR')],
    expect: { root: 'request.malformed', roundTrips: 1 },
  },
  {
    name: 'invalid session ID',
    world: 'demo',
    creds: { companyId: '', userId: '', userPassword: '', sessionId: 'not-a-real-session..' },
    expect: { root: 'session.invalid', roundTrips: 1, unknown: ['permissions.required'] },
  },
  {
    name: 'valid session ID (taken from a real sign-in)',
    world: 'demo',
    session: 'acme-healthy',
    creds: { companyId: '', userId: '', userPassword: '' },
    expect: { root: null, roundTrips: 1 },
  },
  {
    name: 'nothing listens at the endpoint',
    world: 'demo',
    creds: { companyId: 'acme-healthy', endpointUrl: 'http://127.0.0.1:9/ia/xml/xmlgw.phtml' },
    expect: { root: 'network.unreachable', roundTrips: 1, unknown: ['sender.credentials'] },
  },
  {
    name: 'empty password (no round trip)',
    world: 'demo',
    creds: { companyId: 'acme-healthy', userPassword: '' },
    expect: { root: 'user.invalid_credentials', roundTrips: 0, unknown: ['endpoint.reachable'] },
  },
  {
    name: 'company|entity typed into Company ID',
    world: 'demo',
    creds: { companyId: 'acme-multi|UK' },
    expect: { root: null, warnings: ['company.not_found'], roundTrips: 1 },
  },
  {
    name: 'conflicting entity IDs (no round trip)',
    world: 'demo',
    creds: { companyId: 'acme-multi|UK', entityId: 'US' },
    expect: { root: 'company.not_found', roundTrips: 0 },
  },
  {
    name: 'company scope, healthy company',
    world: 'demo',
    scope: 'company',
    creds: { companyId: 'acme-healthy' },
    expect: {
      root: null,
      roundTrips: 1,
      skip: ['user.signin', 'permissions.required'],
      pass: ['company.exists', 'company.subscription', 'sender.authorization'],
    },
  },
  {
    name: 'company scope, sender not authorized',
    world: 'demo',
    scope: 'company',
    creds: { companyId: 'sender-not-authorized' },
    expect: { root: 'sender.not_authorized', roundTrips: 1 },
  },
  {
    name: 'company scope, unknown company',
    world: 'demo',
    scope: 'company',
    creds: { companyId: 'nobody-here' },
    expect: { root: 'company.not_found', roundTrips: 1 },
  },

  // Combinations: the earliest blocking failure is the root, and what it hides is unknown.
  {
    name: 'subscription off + sender unauthorized + missing perms',
    world: 'std',
    creds: { companyId: 'triple' },
    expect: {
      root: 'company.web_services_disabled',
      roundTrips: 1,
      unknown: ['sender.authorization', 'permissions.required'],
    },
  },
  {
    name: 'wrong password + missing perms',
    world: 'std',
    creds: { companyId: 'perms', userPassword: 'nope-nope' },
    expect: {
      root: 'user.invalid_credentials',
      roundTrips: 1,
      unknown: ['permissions.required', 'role.assigned'],
    },
  },
  {
    name: 'module off + missing perms on another module',
    world: 'std',
    creds: { companyId: 'noap-perms' },
    expect: {
      root: 'module.not_subscribed',
      errors: ['module.not_subscribed', 'permission.missing'],
      roundTrips: 1,
      missing: ['APBILL', 'GLENTRY', 'VENDOR'],
    },
  },
  {
    name: 'missing perms, several objects',
    world: 'std',
    creds: { companyId: 'perms' },
    expect: {
      root: 'permission.missing',
      roundTrips: 1,
      missing: [
        'APBILL',
        'ARINVOICE',
        'CUSTOMER',
        'DEPARTMENT',
        'GLENTRY',
        'LOCATION',
        'LOCATIONENTITY',
        'VENDOR',
      ],
    },
  },
  {
    name: 'service off-line on one probe',
    world: 'std',
    creds: { companyId: 'offline' },
    expect: { root: 'gateway.unavailable', roundTrips: 1, unknown: ['permissions.required'] },
  },
  {
    name: 'managing users needs admin privileges',
    world: 'std',
    creds: { companyId: 'nonadmin' },
    require: [r('USERINFO', 'update'), r('GLACCOUNT')],
    expect: { root: 'permission.admin_required', roundTrips: 1, pass: ['permissions.required'] },
  },
  {
    name: 'admin privileges off, read-only sync (not needed)',
    world: 'std',
    creds: { companyId: 'nonadmin' },
    expect: { root: null, roundTrips: 1, pass: ['user.admin'] },
  },
  {
    name: 'std healthy',
    world: 'std',
    creds: { companyId: 'healthy' },
    expect: { root: null, roundTrips: 1 },
  },

  // Behaviour switches: the doctor must not depend on the emulator's defaults.
  {
    name: 'user-first order: triple fault is the subscription (A layer)',
    world: 'userFirst',
    creds: { companyId: 'triple' },
    expect: { root: 'company.web_services_disabled', roundTrips: 1 },
  },
  {
    name: 'user-first order: wrong password hides everything',
    world: 'userFirst',
    creds: { companyId: 'triple', userPassword: 'bad-bad-bad' },
    expect: {
      root: 'user.invalid_credentials',
      roundTrips: 1,
      unknown: ['company.subscription', 'sender.authorization'],
    },
  },
  {
    name: 'sender-first order: triple fault is sender authorization',
    world: 'senderFirst',
    creds: { companyId: 'triple' },
    expect: { root: 'sender.not_authorized', roundTrips: 1 },
  },
  {
    name: 'A-layer subscription off',
    world: 'senderFirst',
    creds: { companyId: 'nosub' },
    expect: { root: 'company.web_services_disabled', roundTrips: 1 },
  },
  {
    name: 'sign-in failure as gateway 401',
    world: 'gw401',
    creds: { companyId: 'healthy', userPassword: 'bad-bad-bad' },
    expect: { root: 'user.invalid_credentials', roundTrips: 1 },
  },
  {
    name: 'gateway 401, healthy',
    world: 'gw401',
    creds: { companyId: 'healthy' },
    expect: { root: null, roundTrips: 1 },
  },
  {
    name: 'gateway 401, unknown entity',
    world: 'gw401',
    creds: { companyId: 'multi', entityId: 'DE' },
    expect: { root: 'entity.not_found', roundTrips: 2 },
  },
  {
    name: 'unknown company answered as sign-in',
    world: 'aSignin',
    creds: { companyId: 'nowhere' },
    expect: { root: 'user.invalid_credentials', roundTrips: 1, candidates: ['company.not_found'] },
  },
  {
    name: 'distinct text: locked out',
    world: 'texts',
    creds: { companyId: 'locked' },
    expect: { root: 'user.locked_out', roundTrips: 1 },
  },
  {
    name: 'distinct text: inactive',
    world: 'texts',
    creds: { companyId: 'inactive' },
    expect: { root: 'user.inactive', roundTrips: 1 },
  },
  {
    name: 'distinct text: IP filter',
    world: 'texts',
    creds: { companyId: 'ipf' },
    expect: { root: 'user.ip_not_allowed', roundTrips: 1 },
  },
  {
    name: 'distinct text: SSO/MFA',
    world: 'texts',
    creds: { companyId: 'mfa' },
    expect: { root: 'user.sso_or_mfa', roundTrips: 1 },
  },
  {
    name: 'distinct text: wrong password stays ambiguous',
    world: 'texts',
    creds: { companyId: 'healthy', userPassword: 'xx-wrong' },
    expect: { root: 'user.invalid_credentials', roundTrips: 1 },
  },
  {
    name: 'distinct text: unknown entity',
    world: 'texts',
    creds: { companyId: 'multi', entityId: 'DE' },
    expect: { root: 'entity.not_found', roundTrips: 2 },
  },
  {
    name: 'distinct text: entity access denied',
    world: 'texts',
    creds: { companyId: 'restricted', entityId: 'UK' },
    expect: { root: 'entity.access_denied', roundTrips: 2, candidates: ['entity.not_found'] },
  },
  {
    name: 'distinct text: top level refused',
    world: 'texts',
    creds: { companyId: 'restricted' },
    expect: { root: 'entity.top_level_denied', roundTrips: 1 },
  },
  {
    name: 'IP filter as gateway 403',
    world: 'ip403',
    creds: { companyId: 'ipf' },
    expect: { root: 'user.ip_not_allowed', roundTrips: 1 },
  },
  {
    name: 'IP filter dropping the connection',
    world: 'ipDrop',
    creds: { companyId: 'ipf' },
    expect: { root: 'gateway.unavailable', roundTrips: 1, candidates: ['user.ip_not_allowed'] },
  },
  {
    name: '"module is not subscribed" text',
    world: 'moduleText',
    creds: { companyId: 'noap-perms' },
    expect: {
      root: 'module.not_subscribed',
      errors: ['module.not_subscribed', 'permission.missing'],
      roundTrips: 1,
      missing: ['APBILL', 'GLENTRY', 'VENDOR'],
    },
  },
  {
    name: 'request timeout',
    world: 'faults',
    timeoutMs: 400,
    creds: { companyId: 'healthy' },
    expect: { root: 'network.timeout', roundTrips: 1 },
  },
  {
    name: 'edge HTML page (524)',
    world: 'faults',
    creds: { companyId: 'multi' },
    expect: { root: 'gateway.unavailable', roundTrips: 1 },
  },
  {
    name: 'dropped connection',
    world: 'faults',
    creds: { companyId: 'locked' },
    expect: { root: 'gateway.unavailable', roundTrips: 1 },
  },
];

const emulators = new Map<string, RunningEmulator>();
const outcomes: Array<{ name: string; expected: string; got: string; ok: boolean }> = [];

beforeAll(async () => {
  for (const [key, w] of Object.entries(WORLDS)) emulators.set(key, await startTestEmulator(w));
});

afterAll(async () => {
  await Promise.all([...emulators.values()].map((e) => e.close()));
  const right = outcomes.filter((o) => o.ok).length;
  const lines = outcomes.map(
    (o) => `${o.ok ? 'ok  ' : 'MISS'} ${o.name}: expected ${o.expected}, got ${o.got}`,
  );
  console.log(
    `\nDoctor accuracy (XML): ${right}/${outcomes.length} situations diagnosed exactly (root cause, error set, round trips)\n${lines.join('\n')}`,
  );
});

async function openSession(endpointUrl: string, companyId: string): Promise<string> {
  const body = buildRequest({
    control: { senderId: DEMO.senderId, senderPassword: DEMO.senderPassword },
    operation: {
      authentication: { login: { userId: DEMO.userId, companyId, password: DEMO.userPassword } },
      functions: [functions.getAPISession()],
    },
  });
  const reply = await postXml(endpointUrl, body);
  const sid = /<sessionid>([^<]+)<\/sessionid>/.exec(reply.body)?.[1];
  if (!sid) throw new Error('no session');
  return sid;
}

function errorsOf(report: DoctorReport): CauseId[] {
  return report.findings.filter((f) => f.severity === 'error').map((f) => f.cause);
}

describe('doctor accuracy (XML)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const em = emulators.get(c.world)!;
      const creds: ConnectionCredentials = {
        endpointUrl: `${em.url}/ia/xml/xmlgw.phtml`,
        senderId: DEMO.senderId,
        senderPassword: DEMO.senderPassword,
        userId: DEMO.userId,
        userPassword: DEMO.userPassword,
        ...c.creds,
      };
      if (c.session) creds.sessionId = await openSession(creds.endpointUrl ?? '', c.session);
      const headers = c.headers;
      const report = await diagnose({
        credentials: creds,
        timeoutMs: c.timeoutMs ?? 5000,
        ...(c.require ? { require: c.require } : {}),
        ...(c.scope ? { scope: c.scope } : {}),
        ...(headers
          ? {
              fetch: (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
                fetch(input, {
                  ...init,
                  headers: { ...(init?.headers as Record<string, string>), ...headers },
                }),
            }
          : {}),
      });
      const errors = errorsOf(report);
      const expectedErrors = c.expect.errors ?? (c.expect.root ? [c.expect.root] : []);
      const root = report.findings.find((f) => f.severity === 'error')?.cause ?? null;
      outcomes.push({
        name: c.name,
        expected: `${c.expect.root ?? 'healthy'} in ${c.expect.roundTrips}`,
        got: `${root ?? 'healthy'} in ${report.roundTrips}`,
        ok:
          root === c.expect.root &&
          report.roundTrips === c.expect.roundTrips &&
          [...errors].sort().join() === [...expectedErrors].sort().join(),
      });

      expect(root).toBe(c.expect.root);
      expect(report.ok).toBe(c.expect.root === null);
      expect([...errors].sort()).toEqual([...expectedErrors].sort());
      expect(report.roundTrips).toBe(c.expect.roundTrips);
      expect(report.findings[0]?.cause ?? null).toBe(c.expect.root ?? report.findings[0]?.cause ?? null);
      if (c.expect.warnings) {
        expect(report.findings.filter((f) => f.severity === 'warning').map((f) => f.cause)).toEqual(
          c.expect.warnings,
        );
      }
      if (c.expect.missing) {
        const missing = report.findings.flatMap((f) => f.evidence?.missing ?? []).map((m) => m.object);
        expect([...new Set(missing)].sort()).toEqual(c.expect.missing);
      }
      if (c.expect.candidates) {
        const rootFinding = report.findings.find((f) => f.severity === 'error');
        const candidates = (rootFinding?.evidence?.candidates ?? []) as string[];
        for (const cand of c.expect.candidates) expect(candidates).toContain(cand);
      }
      for (const id of c.expect.unknown ?? [])
        expect(report.checks.find((k) => k.id === id)?.status, id).toBe('unknown');
      for (const id of c.expect.pass ?? [])
        expect(report.checks.find((k) => k.id === id)?.status, id).toBe('pass');
      // The checks agree with the findings: every error's cause is the cause of a failing check.
      for (const cause of errors) {
        expect(
          report.checks.some((k) => k.status === 'fail' && k.cause === cause),
          `a failing check for ${cause}`,
        ).toBe(true);
      }
      expect(report.checks).toHaveLength(14);
      // Every check is decided with a status, and a failing check names a cause from the catalog.
      for (const check of report.checks) {
        if (check.status === 'fail') expect(check.cause).not.toBeNull();
      }
      if (report.ok) expect(report.checks.some((k) => k.status === 'fail')).toBe(false);
    });
  }
});
