import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Behaviours, Company, Right, User, World } from './world/schema.js';

export type EmulatorApi = 'xml' | 'oauth' | 'rest';

/** One API session, opened by getAPISession (XML) or by the OAuth/REST plugins. */
export interface Session {
  sessionId: string;
  companyId: string;
  userId: string;
  /** Empty or undefined: the top level. */
  entityId?: string;
  senderId?: string;
  createdAt: number;
  expiresAt: number;
}

export interface SessionStore {
  create(input: { companyId: string; userId: string; entityId?: string; senderId?: string }): {
    sessionId: string;
    expiresAt: number;
  };
  /** The live session, its expiry slid forward when `behaviours.slidingSessions` is on; undefined when unknown or expired. */
  get(sessionId: string): Session | undefined;
  /** Looks without sliding the expiry. */
  peek(sessionId: string): Session | undefined;
  revokeFor(companyId: string, userId: string): void;
  clear(): void;
  readonly size: number;
}

/** What a fault rule is compared against. Every key a rule names must match. */
export interface FaultMatch {
  api: EmulatorApi;
  function?: string;
  object?: string;
  company?: string;
  path?: string;
}

/** Extra inputs some fault effects need to answer in the API's own shape. */
export interface FaultAnswer {
  /** The XML body for `offline`: a 200 response whose results carry the off-line text. */
  offlineXml?: () => string;
}

export type SignInStep = Behaviours['authOrder'][number];

/** Why a sign-in failed. One value per situation the diagnostics tell apart. */
export type SignInFailureReason =
  | 'company_not_found'
  | 'web_services_disabled'
  | 'trial_expired'
  | 'sender_not_authorized'
  | 'user_not_found'
  | 'wrong_password'
  | 'locked_out'
  | 'inactive'
  | 'sso_or_mfa'
  | 'ip_not_allowed'
  | 'entity_not_found'
  | 'entity_single_entity_company'
  | 'entity_access_denied'
  | 'top_level_denied';

export interface SignInInput {
  /** The company ID as the caller typed it (compared case-insensitively, never trimmed). */
  company: string;
  userId: string;
  /** Undefined skips the password check (OAuth client_credentials, where the client secret stands in). */
  password: string | undefined;
  /** Undefined or empty: the top level. */
  entityId?: string | undefined;
  /** The caller's address (see `clientAddress`). */
  address: string;
  via: 'xml' | 'oauth';
  /** When given, the `sender` step checks the company's Web Services authorizations for it. */
  senderId?: string | undefined;
  /** Steps to leave out, e.g. the XML gateway checks the subscription in the control layer per U3. */
  skip?: ReadonlyArray<SignInStep>;
}

export type SignInResult =
  | { ok: true; company: Company; user: User; entityId: string | undefined }
  | {
      ok: false;
      reason: SignInFailureReason;
      /** The step that failed. */
      step: SignInStep;
      company?: Company;
      user?: User;
      /** The description2 text the XML gateway uses for this failure (behaviours.signInTexts, U4). */
      message: string;
    };

/** One line of the request log. Secrets are masked before an entry is stored. */
export interface LogEntry {
  at: string;
  api: EmulatorApi | 'admin';
  method: string;
  path: string;
  status: number;
  ms: number;
  company?: string;
  user?: string;
  functions?: string[];
  note?: string;
}

export interface EmulatorStats {
  requests: { xml: number; oauth: number; rest: number; total: number };
}

/** The emulator's shared state and helpers, handed to every route plugin. */
export interface EmulatorContext {
  world: World;
  behaviours: Behaviours;
  now(): number;
  /** The caller's address: `X-Emulator-Client-IP` when `behaviours.trustClientIpHeader`, else the socket's. */
  clientAddress(req: FastifyRequest): string;
  count(api: EmulatorApi): void;
  stats(): EmulatorStats;
  /** Case-insensitive, never trimmed (a trailing space is a different, unknown company). */
  findCompany(id: string): Company | undefined;
  /** Case-sensitive, as Intacct's user IDs are. */
  findUser(company: Company, userId: string): User | undefined;
  /** Object → rights: the union of the user's roles (role-based) or the user's own permissions (user-based). */
  effectiveRights(company: Company, user: User): Map<string, Set<Right>>;
  sessions: SessionStore;
  /**
   * Applies the world's fault rules that match. Resolves true when a fault answered, held or dropped
   * the request (the caller must stop), false when the request should proceed (latency faults only delay).
   */
  applyFault(
    req: FastifyRequest,
    reply: FastifyReply,
    match: FaultMatch,
    answer?: FaultAnswer,
  ): Promise<boolean>;
  /** The company's records of an object: deterministic generated data, mutable per emulator instance. */
  records(company: Company, object: string): Record<string, string>[];
  /** A fresh Support ID, URL-encoded as Intacct sends it (`…%7E…`). */
  supportId(): string;
  /** A fresh gateway Request ID (`AC47C2BE:D9EE_63EBC07F.59`). */
  requestId(): string;
  /** Appends to the request log (secrets are masked). */
  log(entry: LogEntry): void;
  logs(): readonly LogEntry[];
  /** One place deciding whether a user may sign in, checking steps in `behaviours.authOrder`. */
  checkSignIn(input: SignInInput): SignInResult;
  /** Registers a hook run by `reset()` (the OAuth plugin forgets its tokens there). */
  onReset(hook: () => void): void;
  /** Clears stats, sessions, fault counters and every onReset hook's state; the world stays. */
  reset(): void;
  /** The base URL of this request as the caller addressed it (scheme + Host header). */
  baseUrl(req: FastifyRequest): string;
}
