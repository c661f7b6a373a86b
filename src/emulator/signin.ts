import type { SignInFailureReason, SignInInput, SignInResult, SignInStep } from './context.js';
import type { Behaviours, Company, User, World } from './world/schema.js';

/** The A-layer text Intacct uses when a sender is not in the company's Web Services authorizations (§4.4). */
export const SENDER_NOT_AUTHORIZED = {
  description: 'Invalid Web Services Authorization',
  description2: (sender: string, company: string) =>
    `The sender ID '${sender}' is not authorized to make Web Services requests to company ID '${company}'.`,
  correction: 'Contact the company administrator to grant Web Services authorization to this sender ID.',
};

export const SUBSCRIPTION_OFF_TEXT =
  'This company is not authorized for XML transactions. Please subscribe to the XML Gateway.';
export const DEMO_EXPIRED_TEXT = 'This company is a demo company and has expired.';

export function findCompany(world: World, id: string): Company | undefined {
  const wanted = id.toLowerCase();
  return world.companies.find((c) => c.id.toLowerCase() === wanted);
}

export function findUser(company: Company, userId: string): User | undefined {
  return company.users.find((u) => u.id === userId);
}

/** Strips the IPv4-mapped IPv6 prefix so allow-lists can name plain IPv4 addresses. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let out = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out = out * 256 + n;
  }
  return out;
}

/** An allow-list entry is an address or an IPv4 CIDR block (`203.0.113.0/24`). */
export function addressAllowed(allowList: readonly string[], address: string): boolean {
  if (allowList.length === 0) return true;
  const addr = normalizeAddress(address);
  const addrInt = ipv4ToInt(addr);
  return allowList.some((entry) => {
    const [base, bits] = entry.split('/');
    if (bits === undefined) return normalizeAddress(entry) === addr;
    const baseInt = ipv4ToInt(base ?? '');
    const prefix = Number(bits);
    if (baseInt === undefined || addrInt === undefined || !(prefix >= 0 && prefix <= 32)) return false;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return (baseInt & mask) >>> 0 === (addrInt & mask) >>> 0;
  });
}

type EntityCheck = { ok: true } | { ok: false; reason: SignInFailureReason };

/** Whether the user may work in `entityId` (empty/undefined = the top level) of the company. */
export function checkEntityAccess(company: Company, user: User, entityId: string | undefined): EntityCheck {
  const multiEntity = company.entities.length > 0;
  if (entityId) {
    if (!multiEntity) return { ok: false, reason: 'entity_single_entity_company' };
    if (!company.entities.some((e) => e.id === entityId)) return { ok: false, reason: 'entity_not_found' };
    if (company.restrictToTopLevelOnly) return { ok: false, reason: 'entity_access_denied' };
    if (Array.isArray(user.entities) && !user.entities.includes(entityId)) {
      return { ok: false, reason: 'entity_access_denied' };
    }
    return { ok: true };
  }
  if (multiEntity && !user.topLevelAccess) return { ok: false, reason: 'top_level_denied' };
  return { ok: true };
}

export function signInMessage(
  behaviours: Behaviours,
  reason: SignInFailureReason,
  senderId = '',
  companyId = '',
) {
  const t = behaviours.signInTexts;
  switch (reason) {
    case 'company_not_found':
    case 'user_not_found':
    case 'wrong_password':
      return t.password;
    case 'locked_out':
      return t.lockedOut;
    case 'inactive':
      return t.inactive;
    case 'sso_or_mfa':
      return t.ssoOrMfa;
    case 'ip_not_allowed':
      return t.ipDenied;
    case 'entity_not_found':
    case 'entity_single_entity_company':
    case 'entity_access_denied':
    case 'top_level_denied':
      return t.badLocation;
    case 'sender_not_authorized':
      return SENDER_NOT_AUTHORIZED.description2(senderId, companyId);
    case 'web_services_disabled':
      return SUBSCRIPTION_OFF_TEXT;
    case 'trial_expired':
      return DEMO_EXPIRED_TEXT;
  }
}

/**
 * Decides a sign-in in the order `behaviours.authOrder` gives (reference U1). Steps missing from that
 * order still run, after the listed ones, so a world cannot switch a check off by omission.
 */
export function checkSignIn(world: World, input: SignInInput): SignInResult {
  const behaviours = world.behaviours;
  const all: SignInStep[] = ['company', 'subscription', 'sender', 'user', 'ip', 'entity'];
  const order = [...behaviours.authOrder, ...all.filter((s) => !behaviours.authOrder.includes(s))];
  const skip = new Set(input.skip ?? []);
  const company = findCompany(world, input.company);
  const user = company ? findUser(company, input.userId) : undefined;
  const entityId = input.entityId ? input.entityId : undefined;

  const fail = (reason: SignInFailureReason, step: SignInStep): SignInResult => ({
    ok: false,
    reason,
    step,
    ...(company ? { company } : {}),
    ...(user ? { user } : {}),
    message: signInMessage(behaviours, reason, input.senderId ?? '', company?.id ?? input.company),
  });

  // A step that needs the company or user cannot pass without them; those failures belong to the
  // company/user steps, which report them when their turn comes.
  for (const step of order) {
    if (skip.has(step)) continue;
    switch (step) {
      case 'company':
        if (!company) return fail('company_not_found', step);
        break;
      case 'subscription':
        if (!company) return fail('company_not_found', 'company');
        if (company.kind === 'trial_expired') return fail('trial_expired', step);
        if (!company.webServices) return fail('web_services_disabled', step);
        break;
      case 'sender': {
        if (input.senderId === undefined) break;
        if (!company) return fail('company_not_found', 'company');
        const auth = company.senderAuthorizations.find((a) => a.sender === input.senderId);
        if (auth?.status !== 'active') return fail('sender_not_authorized', step);
        break;
      }
      case 'user':
        if (!company) return fail('company_not_found', 'company');
        if (!user) return fail('user_not_found', step);
        if (input.password !== undefined && input.password !== user.password) {
          return fail('wrong_password', step);
        }
        if (user.status === 'locked_out') return fail('locked_out', step);
        if (user.status === 'inactive') return fail('inactive', step);
        // On the authorize page an interactive user completes SSO/2FA in the browser; only API sign-ins fail.
        if (input.via === 'xml' && !user.webServicesOnly && (user.sso || user.mfa)) {
          return fail('sso_or_mfa', step);
        }
        break;
      case 'ip':
        if (!company) return fail('company_not_found', 'company');
        if (!addressAllowed(company.ipAllowList, input.address)) return fail('ip_not_allowed', step);
        break;
      case 'entity': {
        if (!company) return fail('company_not_found', 'company');
        if (!user) return fail('user_not_found', 'user');
        const entity = checkEntityAccess(company, user, entityId);
        if (!entity.ok) return fail(entity.reason, step);
        break;
      }
    }
  }
  if (!company) return fail('company_not_found', 'company');
  if (!user) return fail('user_not_found', 'user');
  return { ok: true, company, user, entityId };
}
