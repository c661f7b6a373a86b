import type { CauseId } from '../shared/causes.js';
import type { Finding, Severity } from '../shared/report.js';

/** What the doctor needs from a catalog entry; the catalog (src/doctor/catalog.ts) may carry much more. */
export interface CauseText {
  title: string;
  fix: string[];
  fixRoleBased?: string[];
  fixUserBased?: string[];
}

export type CauseLookup = (id: CauseId) => CauseText | undefined;

export type PermissionModel = 'role' | 'user' | 'unknown';

/**
 * Short stand-in texts, used only while the catalog is missing or lacks an entry. The catalog is the
 * source of record for titles and fix steps; these keep a report readable if it cannot be loaded.
 */
const FALLBACK: Partial<Record<CauseId, CauseText>> = {
  'network.unreachable': {
    title: 'The Intacct endpoint cannot be reached',
    fix: ['Check the endpoint URL, DNS, proxy and firewall settings of the machine making the call.'],
  },
  'network.timeout': {
    title: 'Intacct did not answer in time',
    fix: ['Try again; if it keeps happening, raise the timeout or check the network path to Intacct.'],
  },
  'gateway.rate_limited': {
    title: 'Intacct is throttling requests (rate or concurrency limit)',
    fix: ['Wait and try again; reduce concurrent requests from every integration using this company.'],
  },
  'gateway.unavailable': {
    title: 'Intacct is temporarily unavailable',
    fix: ['Wait and try again later; check status.intacct.com for an outage.'],
  },
  'gateway.invalid_request': {
    title: 'Intacct rejected the request at its gateway (GW-0011)',
    fix: ['Check the company ID and the sender ID; then try again.'],
  },
  'request.malformed': {
    title: 'The request was malformed',
    fix: ['Correct the values named in the detail and try again.'],
  },
  'sender.invalid_credentials': {
    title: 'The Web Services sender ID or sender password is wrong',
    fix: ['Check the sender ID (case-sensitive) and sender password configured in the application.'],
  },
  'sender.not_authorized': {
    title: 'The sender ID is not authorized in this company',
    fix: [
      'Switch to the top level of the company.',
      'Go to Company › Setup › Company › Security › Edit › Web Services authorizations › Add.',
      'Enter the sender ID exactly (case-sensitive) with status Active, and save.',
    ],
  },
  'company.web_services_disabled': {
    title: 'The company has no Web Services subscription',
    fix: ['Go to Company › Admin › Subscriptions and turn on Web Services.'],
  },
  'company.trial_expired': {
    title: 'This is a trial company, which cannot use Web Services',
    fix: ['Use a live or sandbox company.'],
  },
  'company.not_found': {
    title: 'No company has this company ID',
    fix: ['Copy the company ID from Company › Setup › Company, without spaces, and try again.'],
  },
  'user.invalid_credentials': {
    title: 'Sign-in failed: user ID or password is wrong',
    fix: ['Check the user ID (case-sensitive) and password at Company › Admin › Web Services users.'],
  },
  'user.locked_out': { title: 'The user is locked out', fix: ['Have an administrator unlock the user.'] },
  'user.inactive': { title: 'The user is inactive', fix: ['Have an administrator set the user to Active.'] },
  'user.ip_not_allowed': {
    title: 'The company IP address filter blocks this caller',
    fix: ['Add the caller IP address at Company › Setup › Company › Security › IP address filters.'],
  },
  'user.sso_or_mfa': {
    title: 'The user signs in with SSO or two-step verification, which the API cannot use',
    fix: ['Use a Web Services user instead of a regular user.'],
  },
  'user.not_web_services_user': {
    title: 'A regular user is used where a Web Services user belongs',
    fix: ['Create a Web Services user at Company › Admin › Web Services users and use it instead.'],
  },
  'session.invalid': { title: 'The session is invalid or expired', fix: ['Sign in again.'] },
  'entity.not_found': {
    title: 'No entity has this entity ID',
    fix: [
      'Copy the entity ID from Company › Setup › Entities, or leave it empty for a single-entity company.',
    ],
  },
  'entity.access_denied': {
    title: 'The user may not access this entity',
    fix: ['Add the entity on the user’s User entities tab (Company › Admin › Users).'],
  },
  'entity.top_level_denied': {
    title: 'The user is restricted to entities but top-level access is needed',
    fix: ['Give the user top-level access on the User entities tab, or connect with an entity ID.'],
  },
  'permission.missing': {
    title: 'The user lacks permissions the application needs',
    fix: [
      'Grant the rights listed in the detail to the user’s role (or to the user in a user-based company).',
    ],
  },
  'permission.admin_required': {
    title: 'The user lacks the admin privileges the application needs',
    fix: ['Set Admin privileges to Full for the user at Company › Admin › Users.'],
  },
  'permission.no_role': {
    title: 'The user has no role',
    fix: ['Assign a role with the needed permissions on the user’s Roles information tab.'],
  },
  'module.not_subscribed': {
    title: 'An application module the integration needs is not subscribed',
    fix: ['Subscribe the module at Company › Admin › Subscriptions.'],
  },
};

let catalogLookup: CauseLookup | null | undefined;

/**
 * Loads the catalog's `getCause` once. The import is dynamic so the doctor keeps working (with the
 * stand-in texts) if the catalog module is absent or broken.
 */
export async function loadCauseLookup(): Promise<CauseLookup> {
  if (catalogLookup === undefined) {
    catalogLookup = null;
    try {
      const specifier = './catalog.js';
      const mod = (await import(specifier)) as { getCause?: (id: string) => unknown };
      if (typeof mod.getCause === 'function') {
        const getCause = mod.getCause;
        catalogLookup = (id) => toCauseText(safeCall(() => getCause(id)));
      }
    } catch {
      catalogLookup = null;
    }
  }
  const fromCatalog = catalogLookup;
  return (id) => fromCatalog?.(id) ?? FALLBACK[id];
}

function safeCall<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const list = value.filter((v): v is string => typeof v === 'string' && v.length > 0);
  return list.length ? list : undefined;
}

function toCauseText(entry: unknown): CauseText | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  const e = entry as Record<string, unknown>;
  if (typeof e.title !== 'string') return undefined;
  const fix = stringList(e.fix) ?? [];
  const text: CauseText = { title: e.title, fix };
  const role = stringList(e.fixRoleBased);
  const user = stringList(e.fixUserBased);
  if (role) text.fixRoleBased = role;
  if (user) text.fixUserBased = user;
  return text;
}

export interface FindingInput {
  cause: CauseId;
  severity?: Severity;
  detail: string;
  evidence?: Finding['evidence'];
  /** Chooses role- or user-based fix steps where the catalog has both. */
  permissionModel?: PermissionModel;
  /** Steps specific to this diagnosis (e.g. the exact rights to grant), shown before the catalog's steps. */
  extraFix?: string[];
}

/** Builds one finding, its title and fix steps from the catalog. */
export function buildFinding(lookup: CauseLookup, input: FindingInput): Finding {
  const text = lookup(input.cause) ?? { title: input.cause, fix: [] };
  let fix = text.fix;
  if (input.permissionModel === 'role' && text.fixRoleBased?.length) fix = text.fixRoleBased;
  if (input.permissionModel === 'user' && text.fixUserBased?.length) fix = text.fixUserBased;
  const finding: Finding = {
    cause: input.cause,
    severity: input.severity ?? 'error',
    title: text.title,
    detail: input.detail,
    fix: [...(input.extraFix ?? []), ...fix],
    article: input.cause,
  };
  if (input.evidence && Object.keys(input.evidence).length) finding.evidence = input.evidence;
  return finding;
}
