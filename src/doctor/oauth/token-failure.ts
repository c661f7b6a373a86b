import { IntacctRestError } from '../../client/rest/errors.js';
import type { IntacctOAuthClient } from '../../client/rest/oauth.js';
import type { CauseId } from '../../shared/causes.js';
import type { Finding } from '../../shared/report.js';

/** A cause the doctor could not confirm, with why it fits; always inferred (reference §4.7 marks these I). */
export interface Candidate {
  cause: CauseId;
  why: string;
  inferred: true;
}

export interface TokenDiagnosis {
  cause: CauseId;
  /** Which check failed. */
  check:
    | 'token.request'
    | 'tenant.valid'
    | 'client.credentials'
    | 'client.authorized'
    | 'partner.user'
    | 'token.grant';
  detail: string;
  candidates?: Candidate[];
  evidence?: Finding['evidence'];
}

/** Company IDs of sandboxes and implementation copies often carry one of these (reference §1.1). */
const NON_PRODUCTION_HINT = /(sandbox|sbx|-imp\b|imp$|-dev\b|-test\b|-uat\b|preview|-stg\b|staging)/i;

export function looksNonProduction(companyId: string | undefined): boolean {
  return Boolean(companyId && NON_PRODUCTION_HINT.test(companyId));
}

const PROBE_REFRESH_TOKEN = 'intacct-connect-doctor-probe';

/**
 * REST-1216 covers a wrong secret, a client missing from Authorized client applications and a Client
 * Scope mismatch alike. A refresh with a token that cannot exist separates the first from the others:
 * the server authenticates the client before it looks at the grant, so a good ID and secret get
 * `invalid_grant` and a bad pair gets REST-1216 again (inferred from RFC 6749's order, not documented
 * by Sage). Then the authorize page tells an unknown client ID from a wrong secret.
 */
export async function narrowRest1216(
  client: IntacctOAuthClient,
  companyId: string | undefined,
  first: IntacctRestError,
): Promise<TokenDiagnosis> {
  const probe = await client.refresh(PROBE_REFRESH_TOKEN).then(
    () => undefined,
    (e: unknown) => e,
  );
  const original = `Intacct answered ${first.httpStatus} ${first.errorId ?? first.code ?? ''}: "${first.message}".`;
  if (probe instanceof IntacctRestError && probe.kind === 'invalid_grant') {
    const scopeFirst = looksNonProduction(companyId);
    const aca: Candidate = {
      cause: 'oauth.client_not_authorized',
      why: `the client is missing from (or Inactive in) Authorized client applications of company ${companyId ?? '?'}`,
      inferred: true,
    };
    const scope: Candidate = {
      cause: 'oauth.scope_mismatch',
      why: scopeFirst
        ? `company ID "${companyId}" looks like a sandbox or implementation company, and production keys do not work there (or the reverse)`
        : 'the Client Scope of the keys (production or non-production) does not match the company',
      inferred: true,
    };
    const candidates = scopeFirst ? [scope, aca] : [aca, scope];
    return {
      cause: candidates[0]!.cause,
      check: 'client.authorized',
      detail: `${original} The client ID and secret themselves are valid (a refresh probe was refused for its token, not for the client), so the company side refuses this client. Most likely: ${candidates[0]!.why}; otherwise ${candidates[1]!.why}.`,
      candidates,
    };
  }
  // The pair is bad. Is the client ID known at all? The authorize page answers without a secret.
  let clientKnown: boolean | undefined;
  try {
    const request = await client.createAuthorizationRequest({
      redirectUri: 'https://invalid.invalid/intacct-connect-probe',
    });
    const page = await client.probeAuthorizePage(request.url);
    if (/redirect_uri/i.test(page)) clientKnown = true;
    else if (/invalid_client|not a registered application|unknown client/i.test(page)) clientKnown = false;
  } catch {
    clientKnown = undefined;
  }
  return {
    cause: 'oauth.invalid_client',
    check: 'client.credentials',
    detail: `${original} ${
      clientKnown === false
        ? 'The authorize page does not know this client ID: it is mistyped, or the application was deleted.'
        : clientKnown === true
          ? 'The client ID is registered, so the client secret is wrong or was regenerated.'
          : 'The client ID or the client secret is wrong.'
    } A refresh probe with the same pair was refused for the client too.`,
    candidates: [
      {
        cause: 'oauth.invalid_client',
        why: 'the secret is wrong, stale or belongs to another application',
        inferred: true,
      },
    ],
    evidence: { clientIdKnown: clientKnown ?? null },
  };
}

/** Classifies a token-endpoint error that is not a transport failure. */
export function classifyTokenError(error: IntacctRestError): TokenDiagnosis {
  const id = (error.errorId ?? error.code ?? '').toUpperCase();
  const said = `Intacct answered ${error.httpStatus} ${error.errorId ?? error.code ?? ''}: "${error.message}".`;
  switch (id) {
    case 'GW-0033':
      return {
        cause: 'request.malformed',
        check: 'token.request',
        detail: `${said} The token URL is wrong; it must end in /ia/api/v1/oauth2/token.`,
      };
    case 'GW-0035':
    case 'GW-0032':
      return {
        cause: 'request.malformed',
        check: 'token.request',
        detail: `${said} The token request must be a form body (application/x-www-form-urlencoded) with an exact grant_type.`,
      };
    case 'GW-0037':
    case 'GW-0038':
      return {
        cause: 'request.malformed',
        check: 'token.request',
        detail: `${said} Send exactly one client_id, in the form body.`,
      };
    case 'GW-0012':
    case 'GW-0036':
    case 'GW-0039':
      return {
        cause: 'oauth.malformed_username',
        check: 'token.request',
        detail: `${said} The username must be userId@companyId or userId@companyId|entityId, sent once.`,
      };
  }
  switch (error.kind) {
    case 'gateway_invalid_request':
      return {
        cause: 'gateway.invalid_request',
        check: 'tenant.valid',
        detail: `${said} The gateway refused the company or the application before checking the client secret.`,
        candidates: [
          {
            cause: 'sender.not_authorized',
            why: "the application's sender ID is missing from (or Inactive in) Web Services authorizations",
            inferred: true,
          },
          {
            cause: 'company.not_found',
            why: 'the company ID is wrong (typo, sandbox vs production, a console ID)',
            inferred: true,
          },
          {
            cause: 'company.web_services_disabled',
            why: 'the company has no Web Services subscription, or is a trial',
            inferred: true,
          },
        ],
      };
    case 'partner_user':
      return { cause: 'oauth.partner_user_not_found', check: 'partner.user', detail: said };
    case 'invalid_grant':
      return { cause: 'oauth.invalid_grant', check: 'token.grant', detail: said };
    case 'invalid_client':
      return { cause: 'oauth.invalid_client', check: 'client.credentials', detail: said };
    default:
      return { cause: 'request.malformed', check: 'token.request', detail: said };
  }
}
