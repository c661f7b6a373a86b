import { z } from 'zod';

/**
 * The world file (CONTRACT §4). Every field except ids and passwords has the default the contract
 * shows. `behaviours` holds the switches for what the reference marks unknown (reference §7, U1–U29):
 * the emulator picks the documented-or-best-guess default and lets a world choose another option.
 */

export const RIGHTS = ['list', 'view', 'add', 'edit', 'delete'] as const;
export type Right = (typeof RIGHTS)[number];

const id = (what: string) =>
  z.string({ error: `${what} (a non-empty string)` }).min(1, `${what} must not be empty`);
const status = z.enum(['active', 'inactive']).default('active');
const permissionMap = z.record(z.string().min(1), z.array(z.enum(RIGHTS))).default({});

export const senderSchema = z.strictObject({
  id: id('sender ID'),
  password: z.string(),
  status,
});

export const clientSchema = z.strictObject({
  id: id('client ID'),
  secret: z.string(),
  sender: id('sender ID of the client'),
  scope: z.enum(['production', 'non_production']).default('production'),
  redirectUris: z.array(z.string()).default([]),
  name: z.string().optional(),
});

export const userSchema = z.strictObject({
  id: id('user ID'),
  password: z.string(),
  webServicesOnly: z.boolean().default(true),
  type: z
    .enum(['business', 'employee', 'view_only', 'project_manager', 'payment_approver', 'platform'])
    .default('business'),
  admin: z.enum(['off', 'limited', 'full']).default('off'),
  status: z.enum(['active', 'locked_out', 'inactive']).default('active'),
  sso: z.boolean().default(false),
  mfa: z.boolean().default(false),
  roles: z.array(z.string()).default([]),
  permissions: permissionMap,
  topLevelAccess: z.boolean().default(true),
  entities: z.union([z.literal('all'), z.array(z.string())]).default('all'),
  /** Added: contact name and email shown by USERINFO reads. */
  name: z.string().optional(),
  email: z.string().optional(),
});

export const roleSchema = z.strictObject({
  name: id('role name'),
  permissions: permissionMap,
  description: z.string().optional(),
});

export const entitySchema = z.strictObject({
  id: id('entity ID'),
  name: z.string().optional(),
});

const recordList = z.array(z.record(z.string(), z.unknown()));

export const companySchema = z.strictObject({
  id: id('company ID'),
  kind: z.enum(['production', 'non_production', 'trial', 'trial_expired']).default('production'),
  webServices: z.boolean().default(true),
  permissionModel: z.enum(['role', 'user']).default('role'),
  modules: z
    .array(z.string())
    .default(['company', 'general-ledger', 'accounts-payable', 'accounts-receivable', 'cash-management']),
  senderAuthorizations: z.array(z.strictObject({ sender: id('sender ID'), status })).default([]),
  authorizedClients: z
    .array(z.strictObject({ client: id('client ID'), user: z.string().optional(), status }))
    .default([]),
  ipAllowList: z.array(z.string()).default([]),
  sessionHours: z.number().positive().default(12),
  entities: z.array(entitySchema).default([]),
  /** Added: "Restrict access to top level only" (Multi-Entity Management › Configure). */
  restrictToTopLevelOnly: z.boolean().default(false),
  roles: z.array(roleSchema).default([]),
  users: z.array(userSchema).default([]),
  records: z.record(z.string(), z.union([z.number().int().nonnegative(), recordList])).default({}),
  /** Added: a one-line description shown in listings and the README. */
  description: z.string().optional(),
});

export const faultSchema = z.strictObject({
  match: z
    .strictObject({
      api: z.enum(['xml', 'oauth', 'rest']).optional(),
      function: z.string().optional(),
      object: z.string().optional(),
      company: z.string().optional(),
      path: z.string().optional(),
    })
    .default({}),
  effect: z.enum([
    'rate_limited',
    'unavailable',
    'timeout',
    'html_error',
    'drop_connection',
    'latency',
    'offline',
  ]),
  count: z.number().int().positive().optional(),
  latencyMs: z.number().int().nonnegative().default(0),
  /** Added: HTTP status for `html_error` (default 524) and `unavailable` (default 503). */
  status: z.number().int().min(400).max(599).optional(),
});

const authStep = z.enum(['company', 'subscription', 'sender', 'user', 'entity', 'ip']);

/** Switches for unknown behaviours (reference §7). Defaults follow the reference's default column. */
export const behavioursSchema = z
  .strictObject({
    /** U1 */
    authOrder: z.array(authStep).default(['company', 'subscription', 'sender', 'user', 'ip', 'entity']),
    /** U2 */
    unknownCompany: z.enum(['gw0011_400', 'a_signin']).default('gw0011_400'),
    /** U3 */
    subscriptionOffLayer: z.enum(['control', 'authentication']).default('control'),
    subscriptionOffErrorno: z.string().default('XL03000006'),
    /** U4: description2 for sign-in failures whose real text is unknown. */
    signInTexts: z
      .strictObject({
        password: z.string().default('Sign-in information is incorrect'),
        lockedOut: z.string().default('Sign-in information is incorrect'),
        inactive: z.string().default('Sign-in information is incorrect'),
        ipDenied: z.string().default('Sign-in information is incorrect'),
        ssoOrMfa: z.string().default('Sign-in information is incorrect'),
        badLocation: z.string().default('Sign-in information is incorrect'),
      })
      .default({
        password: 'Sign-in information is incorrect',
        lockedOut: 'Sign-in information is incorrect',
        inactive: 'Sign-in information is incorrect',
        ipDenied: 'Sign-in information is incorrect',
        ssoOrMfa: 'Sign-in information is incorrect',
        badLocation: 'Sign-in information is incorrect',
      }),
    /** U5 */
    signInFailureAs: z.enum(['authentication', 'gateway_401']).default('authentication'),
    /** U6 */
    duplicateControlId: z.enum(['fail', 'ignore']).default('fail'),
    /** U7: sessionHours is per company; this says whether each call slides the expiry. */
    slidingSessions: z.boolean().default(true),
    /** U8 */
    rollbackFailingStatus: z.enum(['failure', 'aborted']).default('failure'),
    /** U9 */
    readByQueryPageSizeOver1000: z.enum(['clamp', 'reject', 'accept_2000']).default('clamp'),
    /** U10 */
    resultIdTtlMinutes: z.number().positive().default(30),
    /** U11 */
    concurrencyLimit: z.number().int().positive().default(2),
    concurrencyQueueMs: z.number().int().nonnegative().default(30_000),
    /** U12 */
    retryAfterOnXml429: z.boolean().default(false),
    retryAfterOnRest429: z.boolean().default(true),
    /** U13 */
    rest1216Status: z.number().int().default(401),
    partnerUserStatus: z.number().int().default(400),
    tokenGw0011Status: z.number().int().default(400),
    tokenErrorShape: z.enum(['B', 'A', 'C', 'oauth']).default('B'),
    /** U14 */
    partnerUserDash: z.enum(['en_dash', 'hyphen']).default('en_dash'),
    /** U15 */
    expiredToken: z.enum(['observed', 'documented']).default('observed'),
    /** U16 */
    invalidTokenShape: z.enum(['B', 'C']).default('B'),
    /** U17 */
    refreshRotation: z.enum(['rotate', 'keep']).default('rotate'),
    refreshTtlDays: z.number().positive().nullable().default(null),
    /** U18 */
    singleGrantPerUser: z.boolean().default(true),
    /** U19 */
    basicAuthOnRefresh: z.enum(['reject', 'accept']).default('reject'),
    /** U20 */
    authCodeRequiresAcaRow: z.boolean().default(false),
    consentCreatesAcaRow: z.boolean().default(false),
    /** U21 */
    nonAdminConsentUnauthorizedSender: z.enum(['error_page', 'redirect']).default('error_page'),
    /** U22 */
    jsonTokenBody: z.enum(['reject', 'accept']).default('reject'),
    /** U23 */
    clientCredentialsUser: z.enum(['web_services', 'any']).default('web_services'),
    /** U24 */
    unknownEntityHeader: z.enum(['400', '403', 'ignore']).default('400'),
    /** U25 */
    rest403Code: z.string().default('permissionDenied'),
    /** U26 */
    querySizeOver4000: z.enum(['clamp', 'reject']).default('clamp'),
    /**
     * Added (reference §1.4, §4.5): how a function on an object of an unsubscribed module fails:
     * `Query Failed` / `Object definition X not found` (as for unknown objects) or `<Module> module is not subscribed`.
     */
    unsubscribedModule: z.enum(['object_not_found', 'module_not_subscribed']).default('object_not_found'),
    /** U29 */
    ipFilterEffect: z.enum(['a_signin', 'gateway_403', 'drop_connection']).default('a_signin'),
    accessTokenTtlSeconds: z.number().int().positive().default(43_200),
    /**
     * Tests set the caller's address with the `X-Emulator-Client-IP` header (for IP allow-lists).
     * Off: the socket's own address is used.
     */
    trustClientIpHeader: z.boolean().default(true),
  })
  .prefault({});

/** Top-level keys starting with `x-` hold YAML anchors and notes; they are not part of the world. */
const withoutExtensions = (raw: unknown) =>
  raw && typeof raw === 'object' && !Array.isArray(raw)
    ? Object.fromEntries(Object.entries(raw).filter(([key]) => !key.startsWith('x-')))
    : raw;

export const worldObjectSchema = z.strictObject({
  senders: z.array(senderSchema).default([]),
  clients: z.array(clientSchema).default([]),
  companies: z.array(companySchema).default([]),
  faults: z.array(faultSchema).default([]),
  latencyMs: z.number().int().nonnegative().default(0),
  behaviours: behavioursSchema,
  /** Added: free text describing the world. */
  description: z.string().optional(),
});

export const worldSchema = z.preprocess(withoutExtensions, worldObjectSchema);

export type World = z.output<typeof worldSchema>;
export type WorldInput = z.input<typeof worldObjectSchema>;
export type Company = World['companies'][number];
export type User = Company['users'][number];
export type Role = Company['roles'][number];
export type Sender = World['senders'][number];
export type Client = World['clients'][number];
export type Fault = World['faults'][number];
export type Behaviours = World['behaviours'];
