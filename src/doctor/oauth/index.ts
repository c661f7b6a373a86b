import { IntacctNetworkError, IntacctRestError } from '../../client/rest/errors.js';
import { decodeClaims, expiryOf } from '../../client/rest/jwt.js';
import { checkUsernameParts, type TokenSet } from '../../client/rest/oauth.js';
import type { DoctorOptions, DoctorReport, Finding } from '../../shared/report.js';
import { CheckTracker } from '../checks.js';
import { type CauseLookup, loadCauseLookup } from '../findings.js';
import { assembleReport } from '../report.js';
import {
  evidenceOf,
  finding,
  OAuthRecorder,
  type ProbeResult,
  probeFindings,
  probeRequirements,
  requirementsOf,
  transportCause,
} from './common.js';
import { classifyTokenError, narrowRest1216, type TokenDiagnosis } from './token-failure.js';

/** The checks of an OAuth client-credentials diagnosis, in the order the token endpoint applies them. */
export const OAUTH_CHECKS = [
  { id: 'input.username', title: 'Client-credentials username is well-formed' },
  { id: 'endpoint.reachable', title: 'Intacct token endpoint reachable' },
  { id: 'token.request', title: 'Token request accepted by the gateway' },
  { id: 'tenant.valid', title: 'Company and sender accepted by the gateway' },
  { id: 'client.credentials', title: 'Client ID and client secret' },
  { id: 'client.authorized', title: 'Client authorized in the company (and Client Scope matches)' },
  { id: 'partner.user', title: 'Web Services user bound to the client resolves' },
  { id: 'token.claims', title: 'Access token names the company and user' },
  { id: 'entity.access', title: 'Entity access' },
  { id: 'module.subscription', title: 'Modules subscribed' },
  { id: 'permissions.required', title: 'Permissions for the required operations' },
] as const;

const TOKEN_STAGES = [
  'token.request',
  'tenant.valid',
  'client.credentials',
  'client.authorized',
  'partner.user',
] as const;

/** Diagnoses an OAuth 2.0 client-credentials connection (CONTRACT §2, `--client-id`). */
export async function diagnoseOAuth(options: DoctorOptions): Promise<DoctorReport> {
  const started = Date.now();
  const lookup = await loadCauseLookup();
  const tracker = new CheckTracker(OAUTH_CHECKS, options.onProgress);
  const rec = new OAuthRecorder(options);
  const findings: Finding[] = [];
  const c = options.credentials;
  const report = () =>
    assembleReport({
      mode: 'oauth',
      roundTrips: rec.roundTrips,
      checks: tracker.list(),
      findings,
      ms: Date.now() - started,
      supportIds: rec.supportIds,
      requestIds: rec.requestIds,
      subject: {
        companyId: c.companyId,
        userId: c.userId,
        entityId: c.entityId,
        clientId: c.clientId,
        apiUrl: rec.apiUrl,
      },
    });

  // 1. The username is built locally; a malformed one is caught before any request.
  tracker.start('input.username');
  // A session ID stands in for the username (reference §3.3) when no user ID is given.
  const bySession = Boolean(c.sessionId && !c.userId);
  // An authorization-code connection is diagnosed with its own tokens; no username is sent.
  const byGrant = Boolean(c.accessToken || c.refreshToken);
  const problems = bySession || byGrant ? [] : checkUsernameParts(c.userId, c.companyId, c.entityId);
  if (problems.length) {
    tracker.finish('input.username', { status: 'fail', cause: 'oauth.malformed_username' });
    findings.push(
      finding(lookup, {
        cause: 'oauth.malformed_username',
        detail: `The username userId@companyId${c.entityId ? '|entityId' : ''} cannot be built: ${problems
          .map((p) => `${p.field} ${p.problem}`)
          .join('; ')}.`,
        evidence: { problems },
      }),
    );
    tracker.finishRemaining('Not checked: the username is malformed.');
    return report();
  }
  if (!/^https?:\/\/[^/\s]+/i.test(rec.apiUrl) || !URL.canParse(rec.apiUrl)) {
    tracker.finish('input.username', { status: 'pass' });
    tracker.finish('endpoint.reachable', {
      status: 'fail',
      cause: 'request.malformed',
      detail: `Not a URL: ${rec.apiUrl}`,
    });
    findings.push(
      finding(lookup, {
        cause: 'request.malformed',
        detail: `The REST API URL "${rec.apiUrl}" is not an http(s) URL; it should look like https://api.intacct.com/ia/api/v1.`,
      }),
    );
    tracker.finishRemaining('Not checked: the API URL is not valid.');
    return report();
  }
  if (!c.clientSecret) {
    tracker.finish('input.username', { status: 'pass' });
    tracker.finish('client.credentials', {
      status: 'fail',
      cause: 'oauth.invalid_client',
      detail: 'No client secret given',
    });
    findings.push(
      finding(lookup, {
        cause: 'oauth.invalid_client',
        detail:
          'No client secret was given (--client-secret or INTACCT_CLIENT_SECRET); the token endpoint needs it in the form body.',
      }),
    );
    tracker.finishRemaining('Not checked: no client secret.');
    return report();
  }
  tracker.finish('input.username', { status: 'pass' });

  // 2. The token request: one round trip when healthy.
  const client = rec.oauthClient();
  tracker.start('endpoint.reachable', ...TOKEN_STAGES);
  const t0 = Date.now();
  let tokens: TokenSet | undefined;
  try {
    if (c.accessToken) {
      tokens = tokenSetOf(c.accessToken, c.refreshToken);
    } else {
      tokens = c.refreshToken
        ? await client.refresh(c.refreshToken)
        : await client.clientCredentials(
            bySession
              ? { sessionId: c.sessionId! }
              : { userId: c.userId!, companyId: c.companyId!, entityId: c.entityId },
          );
      options.onTokens?.({
        accessToken: tokens.accessToken,
        ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
        expiresAt: tokens.expiresAt,
      });
    }
  } catch (error) {
    await explainTokenFailure(error, { options, lookup, tracker, findings, rec, client, t0 });
    tracker.finishRemaining('Not checked: no access token.');
    return report();
  }
  rec.addSecret(tokens.accessToken);
  rec.addSecret(tokens.refreshToken);
  if (tokens.claims.sessionId) rec.addSecret(tokens.claims.sessionId);
  const ms = Date.now() - t0;
  for (const id of ['endpoint.reachable', ...TOKEN_STAGES]) tracker.finish(id, { status: 'pass', ms });

  // 3. The token's claims should name what was asked for.
  tracker.start('token.claims');
  const claimProblems: string[] = [];
  if (c.companyId && tokens.claims.cnyId && tokens.claims.cnyId.toLowerCase() !== c.companyId.toLowerCase()) {
    claimProblems.push(`cnyId is ${tokens.claims.cnyId}, not ${c.companyId}`);
  }
  if (tokens.claims.userId && tokens.claims.userId !== c.userId)
    claimProblems.push(`userId is ${tokens.claims.userId}, not ${c.userId}`);
  if (c.entityId && tokens.claims.entityId !== undefined && tokens.claims.entityId !== c.entityId) {
    claimProblems.push(`entityId is "${tokens.claims.entityId}", not ${c.entityId}`);
  }
  tracker.finish('token.claims', {
    status: claimProblems.length ? 'warn' : 'pass',
    ...(claimProblems.length ? { detail: claimProblems.join('; ') } : {}),
  });

  // 4. Permissions, entity and modules: one size-1 read per required object, in parallel.
  await probeWithToken(rec, tracker, lookup, findings, tokens.accessToken, options);
  return report();
}

interface FailureContext {
  options: DoctorOptions;
  lookup: CauseLookup;
  tracker: CheckTracker;
  findings: Finding[];
  rec: OAuthRecorder;
  client: ReturnType<OAuthRecorder['oauthClient']>;
  t0: number;
}

async function explainTokenFailure(error: unknown, x: FailureContext): Promise<void> {
  const { tracker, findings, lookup } = x;
  const ms = Date.now() - x.t0;
  const transport = transportCause(error);
  if (transport || !(error instanceof IntacctRestError)) {
    const t = transport ?? { cause: 'network.unreachable' as const, detail: String(error) };
    const unreachable = error instanceof IntacctNetworkError;
    tracker.finish(
      'endpoint.reachable',
      unreachable ? { status: 'fail', cause: t.cause, ms } : { status: 'pass', ms },
    );
    if (!unreachable) tracker.finish('token.request', { status: 'fail', cause: t.cause, ms });
    findings.push(finding(lookup, { cause: t.cause, detail: t.detail, evidence: evidenceOf(error) }));
    return;
  }
  tracker.finish('endpoint.reachable', { status: 'pass', ms });
  let d: TokenDiagnosis = classifyTokenError(error);
  if (d.cause === 'oauth.invalid_client' && error.kind === 'invalid_client') {
    d = await narrowRest1216(x.client, x.options.credentials.companyId, error);
  }
  if (d.cause === 'oauth.partner_user_not_found') {
    d = await narrowPartnerUser(x, d);
  }
  if (d.cause === 'gateway.invalid_request') {
    d = await narrowGw0011(x, d);
  }
  // Everything before the failing stage passed: the gateway checks in order (reference §3.4).
  for (const stage of TOKEN_STAGES) {
    if (stage === d.check) break;
    if (d.check === 'client.authorized' && stage === 'client.credentials') {
      tracker.finish(stage, { status: 'pass', detail: 'A refresh probe accepted the client ID and secret' });
      continue;
    }
    tracker.finish(stage, { status: 'pass', ms });
  }
  if (d.check === 'client.credentials')
    tracker.finish('client.authorized', {
      status: 'unknown',
      detail: 'Hidden by the client credentials failure',
    });
  tracker.finish(d.check === 'token.grant' ? 'token.request' : d.check, {
    status: 'fail',
    cause: d.cause,
    detail: d.detail,
    ms,
  });
  findings.push(
    finding(lookup, {
      cause: d.cause,
      detail: d.detail,
      evidence: {
        ...evidenceOf(error),
        ...d.evidence,
        ...(d.candidates ? { candidates: d.candidates, inferred: true } : {}),
      },
    }),
  );
}

const GW0011_CAUSES = new Set([
  'company.not_found',
  'company.web_services_disabled',
  'company.trial_expired',
  'sender.not_authorized',
  'sender.invalid_credentials',
]);

/**
 * GW-0011 hides the company and sender checks. With the application's sender credentials at hand, the
 * XML doctor's company-scope probe (a sign-in with a user that cannot exist) tells them apart.
 */
async function narrowGw0011(x: FailureContext, d: TokenDiagnosis): Promise<TokenDiagnosis> {
  const c = x.options.credentials;
  if (!c.senderId || !c.senderPassword || !c.companyId) return d;
  const endpointUrl = c.endpointUrl ?? `${new URL(x.rec.apiUrl).origin}/ia/xml/xmlgw.phtml`;
  try {
    const { diagnoseXml } = await import('../xml.js');
    const xml = await diagnoseXml({
      ...x.options,
      credentials: { ...c, clientId: undefined, clientSecret: undefined, endpointUrl },
      scope: 'company',
      onProgress: undefined,
    });
    x.rec.roundTrips += xml.roundTrips;
    for (const id of xml.supportIds ?? []) x.rec.supportIds.add(id);
    const root = xml.findings.find((f) => f.severity === 'error');
    if (root && GW0011_CAUSES.has(root.cause)) {
      return {
        ...d,
        cause: root.cause,
        detail: `${d.detail} An XML sign-in probe with sender ${c.senderId} narrows it: ${root.detail}`,
        candidates: undefined,
      };
    }
  } catch {
    // The probe is a refinement; without it the GW-0011 finding stands as it is.
  }
  return d;
}

/**
 * readpartneruserinfo means the user behind the username cannot be resolved. With an entity in the
 * username, one retry without it tells an entity problem from a user problem; the token from that
 * retry then lists the company's entities to say which.
 */
async function narrowPartnerUser(x: FailureContext, d: TokenDiagnosis): Promise<TokenDiagnosis> {
  const c = x.options.credentials;
  if (c.sessionId && !c.userId) {
    return {
      ...d,
      cause: 'session.invalid',
      detail: `${d.detail} The token was requested with a session ID, and Intacct cannot resolve its user: the session expired or was ended, or it belongs to another company or endpoint. Open a new session (getAPISession) and try again.`,
    };
  }
  const fits: string[] = [];
  if (c.entityId) {
    const retry = await x.client.clientCredentials({ userId: c.userId!, companyId: c.companyId! }).then(
      (t) => t,
      () => undefined,
    );
    if (retry) {
      x.rec.addSecret(retry.accessToken);
      x.rec.addSecret(retry.refreshToken);
      const rest = x.rec.restClient(retry.accessToken);
      let known: boolean | undefined;
      try {
        const page = await rest.listPage('company-config/entity', { size: 100 }, { entityId: null });
        known = (page.result ?? []).some((e) => e.id === c.entityId);
      } catch {
        known = undefined;
      }
      const cause = known === false ? 'entity.not_found' : 'entity.access_denied';
      return {
        cause,
        check: 'partner.user',
        detail: `${d.detail} Without "|${c.entityId}" the same user gets a token, so the entity is the problem: ${
          known === false
            ? `the company has no entity with ID ${c.entityId} (an entity name instead of its ID?).`
            : `user ${c.userId} may not work in entity ${c.entityId}.`
        }`,
      };
    }
    fits.push(`the entity "${c.entityId}" may also be wrong, but the user fails without it too`);
  }
  const candidates = [
    {
      cause: 'oauth.partner_user_not_found' as const,
      why: `user ID "${c.userId}" is not exactly (case-sensitive) the Web Services user ID on the client's row in Authorized client applications, or that row names no user`,
      inferred: true as const,
    },
    {
      cause: 'oauth.partner_user_not_found' as const,
      why: `user ${c.userId} is inactive, locked out or deleted, or is a regular user where a Web Services user is required`,
      inferred: true as const,
    },
    {
      cause: 'oauth.partner_user_not_found' as const,
      why: `company ID "${c.companyId}" is another environment (sandbox or -imp) than the one where the row and user exist`,
      inferred: true as const,
    },
  ];
  if (c.userId && c.userId !== c.userId.toLowerCase())
    fits.unshift('the user ID has capitals: Intacct compares user IDs case-sensitively');
  return {
    ...d,
    detail: `${d.detail} The user named in the username cannot be resolved. Likely causes, most likely first (inferred): ${candidates
      .map((k, i) => `${i + 1}. ${k.why}`)
      .join('; ')}.${fits.length ? ` Also: ${fits.join('; ')}.` : ''}`,
    candidates,
  };
}

export async function probeWithToken(
  rec: OAuthRecorder,
  tracker: CheckTracker,
  lookup: CauseLookup,
  findings: Finding[],
  accessToken: string,
  options: DoctorOptions,
): Promise<ProbeResult[]> {
  tracker.start('entity.access', 'module.subscription', 'permissions.required');
  const t0 = Date.now();
  const requirements = requirementsOf(options);
  const results = await probeRequirements(rec.restClient(accessToken), requirements);
  const ms = Date.now() - t0;
  const by = (pred: (r: ProbeResult) => boolean) => results.filter(pred);
  const entity = by((r) => Boolean(r.cause?.startsWith('entity.')));
  const modules = by((r) => r.cause === 'module.not_subscribed');
  const blocking = by(
    (r) =>
      Boolean(r.cause) &&
      !r.cause!.startsWith('entity.') &&
      r.cause !== 'module.not_subscribed' &&
      r.cause !== 'permission.missing',
  );
  tracker.finish(
    'entity.access',
    entity.length
      ? { status: 'fail', cause: entity[0]!.cause!, detail: entity[0]!.detail ?? '', ms }
      : blocking.length
        ? { status: 'unknown', detail: 'Hidden by an earlier failure' }
        : { status: 'pass', ms },
  );
  if (entity.length || blocking.length) {
    tracker.finish('module.subscription', { status: 'unknown', detail: 'Hidden by an earlier failure' });
    tracker.finish('permissions.required', { status: 'unknown', detail: 'Hidden by an earlier failure' });
  } else {
    tracker.finish(
      'module.subscription',
      modules.length ? { status: 'fail', cause: 'module.not_subscribed', ms } : { status: 'pass', ms },
    );
    const missing = by((r) => r.cause === 'permission.missing');
    const unprobed = by((r) => r.status === 'not_probed');
    tracker.finish(
      'permissions.required',
      missing.length
        ? {
            status: 'fail',
            cause: 'permission.missing',
            ms,
            detail: missing.map((r) => `${r.requirement.object}:${r.requirement.operation}`).join(', '),
          }
        : unprobed.length
          ? {
              status: 'warn',
              ms,
              detail: `Not verified: ${unprobed.map((r) => `${r.requirement.object}:${r.requirement.operation} (${r.detail})`).join('; ')}`,
            }
          : { status: 'pass', ms },
    );
  }
  // An entity failure hides every permission result (each probe failed the same way).
  findings.push(
    ...probeFindings(lookup, entity.length ? entity.slice(0, 1) : blocking.length ? blocking : results),
  );
  return results;
}

/** A token set for an access token handed in by the caller (e.g. straight after a code exchange). */
function tokenSetOf(accessToken: string, refreshToken?: string): TokenSet {
  return {
    accessToken,
    ...(refreshToken ? { refreshToken } : {}),
    tokenType: 'Bearer',
    expiresAt: expiryOf(accessToken, undefined),
    claims: decodeClaims(accessToken) ?? {},
  };
}
