import type { CauseId } from '../shared/causes.js';
import { stripIds } from './ids.js';

/**
 * Pure classification of the first blocking failure of a login request, by layer, code and normalized
 * text together (XL03000006 alone means several things). Nothing here does I/O.
 */

export interface WireError {
  errorno: string;
  description: string;
  description2: string;
  correction: string;
}

export type TransportKind = 'dns' | 'refused' | 'tls' | 'timeout' | 'reset' | 'other';

export type FailedOutcome =
  | { layer: 'transport'; kind: TransportKind; message: string }
  | { layer: 'gateway'; kind: string; httpStatus?: number; errors: WireError[]; message: string }
  | { layer: 'control' | 'authentication'; httpStatus?: number; errors: WireError[]; message: string };

/** The XML check that a blocking failure belongs to. */
export type BlockingCheck =
  | 'endpoint.reachable'
  | 'gateway.available'
  | 'sender.credentials'
  | 'company.exists'
  | 'company.subscription'
  | 'sender.authorization'
  | 'user.signin'
  | 'entity.access';

export interface Blocking {
  cause: CauseId;
  check: BlockingCheck;
  detail: string;
  /** For a sign-in failure whose text does not tell which of several situations it is. */
  ambiguousSignIn?: boolean;
  /** Other causes that the same answer is consistent with (shown as candidates, never as fact). */
  candidates?: CauseId[];
  errorno?: string;
  description?: string;
  description2?: string;
  httpStatus?: number;
}

function norm(s: string): string {
  return stripIds(s).replace(/\s+/g, ' ').trim();
}

function allText(e: WireError): string {
  return norm(`${e.description} ${e.description2} ${e.correction}`);
}

function firstError(errors: WireError[]): WireError {
  return errors[0] ?? { errorno: '', description: '', description2: '', correction: '' };
}

function evidence(e: WireError, httpStatus?: number): Partial<Blocking> {
  const out: Partial<Blocking> = {};
  if (e.errorno) out.errorno = e.errorno;
  if (e.description) out.description = e.description;
  if (e.description2) out.description2 = e.description2;
  if (httpStatus !== undefined) out.httpStatus = httpStatus;
  return out;
}

const SENDER_CREDENTIALS =
  /incorrect intacct xml partner id or password|xml partner id|sender (id|password).*(incorrect|invalid)/i;
const SENDER_NOT_AUTHORIZED =
  /not authorized to make web services requests|invalid web services authorization|not authorized to use web services/i;
const SUBSCRIPTION_OFF =
  /not authorized for xml transactions|subscribe to the xml gateway|web services (is |are )?not subscribed/i;
const DEMO_EXPIRED = /demo company and has expired|trial (company )?(has )?expired/i;
const INVALID_SESSION = /invalid session|session (has )?expired/i;
const SIGN_IN_GENERIC =
  /sign-?in information is incorrect|login (failed|information is incorrect)|invalid (user|login)/i;
const SCHEMA = /xml parse|schema error|not expected|tag mismatch|malformed/i;
const POLICY = /transport policy/i;

/**
 * Sign-in texts other than the generic one. Intacct's real texts for these are unknown (reference U4);
 * when a gateway does say more, the words decide.
 */
export function classifySignInText(text: string): CauseId | null {
  const t = norm(text);
  if (/locked/i.test(t)) return 'user.locked_out';
  if (/\binactive\b|deactivated|disabled user|user (is )?disabled/i.test(t)) return 'user.inactive';
  if (/\bIP\b|ip address|address filter|not allowed from/i.test(t)) return 'user.ip_not_allowed';
  if (/\bSSO\b|single sign-?on|two-?step|2-?step|multi-?factor|\bMFA\b|\b2FA\b/i.test(t))
    return 'user.sso_or_mfa';
  if (/top[- ]level/i.test(t)) return 'entity.top_level_denied';
  if (/\b(entity|location)\b/i.test(t)) {
    if (/not (found|exist)|invalid|unknown|does not exist|no such/i.test(t)) return 'entity.not_found';
    return 'entity.access_denied';
  }
  if (/\bcompany\b/i.test(t) && /not (found|exist)|invalid|unknown|no such/i.test(t))
    return 'company.not_found';
  return null;
}

const SIGN_IN_CHECK: Partial<Record<CauseId, BlockingCheck>> = {
  'entity.not_found': 'entity.access',
  'entity.access_denied': 'entity.access',
  'entity.top_level_denied': 'entity.access',
  'company.not_found': 'company.exists',
};

/** Classifies the first blocking failure. Result-layer failures are not blocking and are handled elsewhere. */
export function classifyBlocking(outcome: FailedOutcome): Blocking {
  if (outcome.layer === 'transport') {
    if (outcome.kind === 'timeout') {
      return {
        cause: 'network.timeout',
        check: 'endpoint.reachable',
        detail: `No answer in time: ${outcome.message}`,
      };
    }
    if (outcome.kind === 'reset') {
      return {
        cause: 'gateway.unavailable',
        check: 'gateway.available',
        detail: `The connection was dropped before Intacct answered: ${outcome.message}. Usually transient; an IP address filter that drops connections looks the same.`,
        candidates: ['gateway.unavailable', 'user.ip_not_allowed'],
      };
    }
    return {
      cause: 'network.unreachable',
      check: 'endpoint.reachable',
      detail: `The endpoint could not be reached (${outcome.kind}): ${outcome.message}`,
    };
  }

  const e = firstError(outcome.errors);
  const ev = evidence(e, outcome.httpStatus);
  const text = allText(e);

  if (outcome.layer === 'gateway') {
    if (outcome.httpStatus === 403) {
      return {
        cause: 'user.ip_not_allowed',
        check: 'user.signin',
        detail:
          'The gateway refused the request with HTTP 403 (forbidden). An IP address filter on the company is the most likely reason; a proxy or firewall in between can do the same.',
        candidates: ['user.ip_not_allowed', 'network.unreachable'],
        ...ev,
      };
    }
    switch (outcome.kind) {
      case 'rate_limited':
        return {
          cause: 'gateway.rate_limited',
          check: 'gateway.available',
          detail: `Intacct refused the request with a rate or concurrency limit${e.errorno ? ` (${e.errorno})` : ''}; this says nothing about the configuration.`,
          ...ev,
        };
      case 'unavailable':
      case 'edge_timeout':
      case 'html':
      case 'malformed':
      case 'unsafe':
        return {
          cause: 'gateway.unavailable',
          check: 'gateway.available',
          detail: `Intacct (or the edge in front of it) did not answer normally: ${outcome.message}`,
          ...ev,
        };
      case 'sign_in':
        return classifySignIn(e, ev, outcome.httpStatus);
      case 'invalid_request':
        return {
          cause: 'company.not_found',
          check: 'company.exists',
          detail:
            'Intacct rejected the login at its gateway with GW-0011 (Invalid Request). For a well-formed login like this one it most often means no company has this company ID (a typo, a sandbox ID used against production or the reverse, or a console ID). An inactive sender licence can cause the same answer.',
          candidates: ['company.not_found', 'sender.invalid_credentials', 'gateway.invalid_request'],
          ...ev,
        };
      default: {
        if (outcome.httpStatus === 404 || outcome.httpStatus === 405) {
          return {
            cause: 'network.unreachable',
            check: 'endpoint.reachable',
            detail: `No XML gateway answers at this URL (HTTP ${outcome.httpStatus}); check the endpoint URL.`,
            ...ev,
          };
        }
        if (outcome.httpStatus !== undefined && outcome.httpStatus >= 500) {
          return { cause: 'gateway.unavailable', check: 'gateway.available', detail: outcome.message, ...ev };
        }
        return {
          cause: 'gateway.invalid_request',
          check: 'gateway.available',
          detail: `The gateway refused the request: ${outcome.message}`,
          ...ev,
        };
      }
    }
  }

  if (outcome.layer === 'control') {
    if (DEMO_EXPIRED.test(text) || e.errorno === 'PL04000055') {
      return {
        cause: 'company.trial_expired',
        check: 'company.exists',
        detail: `Intacct says this is a demo/trial company that has expired${e.errorno ? ` (${e.errorno})` : ''}.`,
        ...ev,
      };
    }
    if (SUBSCRIPTION_OFF.test(text)) return subscriptionOff(ev);
    if (SCHEMA.test(text) || e.errorno === 'XL03000003') {
      return {
        cause: 'request.malformed',
        check: 'sender.credentials',
        detail: `Intacct could not parse the request: ${norm(e.description2 || e.description)}`,
        ...ev,
      };
    }
    if (POLICY.test(text)) {
      return { cause: 'request.malformed', check: 'sender.credentials', detail: norm(e.description2), ...ev };
    }
    if (SENDER_NOT_AUTHORIZED.test(text)) return senderNotAuthorized(ev);
    if (SENDER_CREDENTIALS.test(text) || e.errorno === 'XL03000006') {
      return {
        cause: 'sender.invalid_credentials',
        check: 'sender.credentials',
        detail:
          'Intacct refused the Web Services sender ID or sender password ("Incorrect Intacct XML Partner ID or password"). Both are case-sensitive; only Sage Support can reset a sender password.',
        ...ev,
      };
    }
    return {
      cause: 'request.malformed',
      check: 'sender.credentials',
      detail: `Intacct refused the request in its control layer: ${norm(`${e.errorno} ${e.description} ${e.description2}`)}`,
      ...ev,
    };
  }

  // Authentication layer.
  if (SENDER_NOT_AUTHORIZED.test(text)) return senderNotAuthorized(ev);
  if (SUBSCRIPTION_OFF.test(text)) return subscriptionOff(ev);
  if (DEMO_EXPIRED.test(text)) {
    return {
      cause: 'company.trial_expired',
      check: 'company.exists',
      detail: 'Intacct says this demo/trial company has expired.',
      ...ev,
    };
  }
  if (INVALID_SESSION.test(text)) {
    return {
      cause: 'session.invalid',
      check: 'user.signin',
      detail: `Intacct refused the session: ${norm(e.description2)}`,
      ...ev,
    };
  }
  return classifySignIn(e, ev, outcome.httpStatus);
}

function senderNotAuthorized(ev: Partial<Blocking>): Blocking {
  return {
    cause: 'sender.not_authorized',
    check: 'sender.authorization',
    detail:
      'The company does not list this sender ID as an Active entry in its Web Services authorizations (it is missing, Inactive, or differs in case).',
    ...ev,
  };
}

function subscriptionOff(ev: Partial<Blocking>): Blocking {
  return {
    cause: 'company.web_services_disabled',
    check: 'company.subscription',
    detail:
      'Intacct says the company is not subscribed to Web Services ("not authorized for XML transactions"). Trial companies give the same answer, since they do not include Web Services.',
    candidates: ['company.web_services_disabled', 'company.trial_expired'],
    ...ev,
  };
}

function classifySignIn(e: WireError, ev: Partial<Blocking>, httpStatus?: number): Blocking {
  const text = `${e.description} ${e.description2} ${e.correction}`;
  const specific = SIGN_IN_GENERIC.test(norm(e.description2 || e.description))
    ? null
    : classifySignInText(text);
  const where = httpStatus === 401 ? ' (HTTP 401 at the gateway)' : '';
  if (specific) {
    return {
      cause: specific,
      check: SIGN_IN_CHECK[specific] ?? 'user.signin',
      detail: `Sign-in failed${where}: "${norm(e.description2 || e.description)}".`,
      ...ev,
    };
  }
  return {
    cause: 'user.invalid_credentials',
    check: 'user.signin',
    detail: `Sign-in failed${where}: "${norm(e.description2 || e.description) || 'no text'}". Intacct gives this same answer for several different situations.`,
    ambiguousSignIn: true,
    ...ev,
  };
}
