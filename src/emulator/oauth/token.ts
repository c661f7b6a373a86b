import type { FastifyRequest } from 'fastify';
import type { EmulatorContext } from '../context.js';
import type { Client, Company } from '../world/schema.js';
import {
  type EnvelopeShape,
  type ErrorSpec,
  errorBody,
  gw,
  INVALID_CLIENT_TEXT,
  partnerUserText,
  REST_1216_TEXT,
} from './envelopes.js';
import { type Grant, type OAuthState, s256 } from './state.js';
import { issueTokens } from './tokens.js';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** The company the request concerned, for fault matching and the log. */
  company?: string;
  user?: string;
}

/** Failures are thrown as this and turned into the answer in one place. */
class Refusal {
  constructor(
    readonly status: number,
    readonly shape: EnvelopeShape,
    readonly spec: ErrorSpec,
  ) {}
}

const GRANTS = new Set(['authorization_code', 'refresh_token', 'client_credentials']);

/** Reads the body the way the gateway does: only a form body counts, JSON only when U22 says so. */
export function readTokenParams(
  ctx: EmulatorContext,
  contentType: string | undefined,
  body: unknown,
): URLSearchParams {
  const text = typeof body === 'string' ? body : '';
  const type = (contentType ?? '').toLowerCase();
  if (!text.trim()) throw new Refusal(400, 'D', gw('0035'));
  if (type.includes('application/x-www-form-urlencoded')) return new URLSearchParams(text);
  if (type.includes('application/json')) {
    if (ctx.behaviours.jsonTokenBody === 'reject') throw new Refusal(400, 'D', gw('0032'));
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Refusal(400, 'D', gw('0032'));
    }
    const params = new URLSearchParams();
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      for (const [k, v] of Object.entries(parsed)) {
        for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
      }
    }
    return params;
  }
  // Any other content type makes the gateway skip the body (reference §4.7, GW-0035).
  throw new Refusal(400, 'D', gw('0035'));
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header || !/^Basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { id: decodeURIComponent(decoded), secret: '' };
  return {
    id: decodeURIComponent(decoded.slice(0, colon)),
    secret: decodeURIComponent(decoded.slice(colon + 1)),
  };
}

function rest1216(ctx: EmulatorContext): Refusal {
  const shape = ctx.behaviours.tokenErrorShape;
  return new Refusal(ctx.behaviours.rest1216Status, shape === 'oauth' ? 'oauth' : shape, {
    code: 'invalidRequest',
    errorId: 'REST-1216',
    message: REST_1216_TEXT,
    oauthError: 'invalid_client',
  });
}

function partnerUser(ctx: EmulatorContext): Refusal {
  const shape = ctx.behaviours.tokenErrorShape;
  return new Refusal(ctx.behaviours.partnerUserStatus, shape === 'oauth' ? 'oauth' : shape, {
    code: 'invalidRequest',
    message: partnerUserText(ctx.behaviours.partnerUserDash),
    oauthError: 'invalid_grant',
  });
}

const invalidGrant = (why: string) =>
  new Refusal(400, 'oauth', { code: 'invalid_grant', oauthError: 'invalid_grant', message: why });

/** Company is live for the API and the client's sender is authorized in it (GW-0011 otherwise). */
function checkTenant(
  ctx: EmulatorContext,
  company: Company | undefined,
  client: Client | undefined,
): Company {
  const refuse = () => new Refusal(ctx.behaviours.tokenGw0011Status, 'D', gw('0011'));
  if (!company) throw refuse();
  if (!company.webServices || company.kind === 'trial' || company.kind === 'trial_expired') throw refuse();
  if (client) {
    const sender = ctx.world.senders.find((s) => s.id === client.sender);
    if (sender?.status !== 'active') throw refuse();
    const auth = company.senderAuthorizations.find((a) => a.sender === client.sender);
    if (auth?.status !== 'active') throw refuse();
  }
  return company;
}

/** Secret, Authorized client applications row, and Client Scope vs company kind: all REST-1216. */
function checkClient(
  ctx: EmulatorContext,
  client: Client | undefined,
  secret: string | undefined,
  company: Company | undefined,
  needsAcaRow: boolean,
): Client {
  if (!client || secret === undefined || client.secret !== secret) throw rest1216(ctx);
  if (!company) return client;
  if (needsAcaRow) {
    const row = company.authorizedClients.find((r) => r.client === client.id);
    if (row?.status !== 'active') throw rest1216(ctx);
  }
  const companyIsProduction = company.kind !== 'non_production';
  if ((client.scope === 'production') !== companyIsProduction) throw rest1216(ctx);
  return client;
}

interface Subject {
  company: Company;
  userId: string;
  entityId: string | undefined;
}

/** The user behind a client-credentials request must resolve exactly (readpartneruserinfo otherwise). */
function resolvePartnerUser(
  ctx: EmulatorContext,
  client: Client,
  subject: Subject,
  fromSession: boolean,
): void {
  const { company, userId, entityId } = subject;
  const row = company.authorizedClients.find((r) => r.client === client.id && r.status === 'active');
  if (!fromSession && (!row?.user || row.user !== userId)) throw partnerUser(ctx);
  const user = ctx.findUser(company, userId);
  if (user?.status !== 'active') throw partnerUser(ctx);
  if (!fromSession && ctx.behaviours.clientCredentialsUser === 'web_services' && !user.webServicesOnly) {
    throw partnerUser(ctx);
  }
  if (entityId) {
    const known = company.entities.some((e) => e.id === entityId);
    const allowed = user.entities === 'all' || user.entities.includes(entityId);
    if (!known || !allowed || company.restrictToTopLevelOnly) throw partnerUser(ctx);
  }
}

/** The token endpoint, in the check order of reference §3.4. */
export async function tokenEndpoint(
  ctx: EmulatorContext,
  state: OAuthState,
  req: FastifyRequest,
  issuer: string,
  onCompany?: (companyId: string) => Promise<boolean>,
): Promise<Answer | undefined> {
  try {
    return await decide(ctx, state, req, issuer, onCompany);
  } catch (error) {
    if (error instanceof Refusal)
      return { status: error.status, body: errorBody(ctx, error.shape, error.spec) };
    throw error;
  }
}

async function decide(
  ctx: EmulatorContext,
  state: OAuthState,
  req: FastifyRequest,
  issuer: string,
  onCompany?: (companyId: string) => Promise<boolean>,
): Promise<Answer | undefined> {
  const params = readTokenParams(ctx, req.headers['content-type'], req.body);
  const grantType = params.get('grant_type') ?? '';
  if (params.getAll('grant_type').length !== 1 || !GRANTS.has(grantType))
    throw new Refusal(400, 'D', gw('0032'));

  const queryIds = new URLSearchParams(req.url.split('?')[1] ?? '').getAll('client_id');
  const bodyIds = params.getAll('client_id');
  const basic = basicCredentials(req.headers.authorization);
  if (queryIds.length + bodyIds.length > 1) throw new Refusal(400, 'D', gw('0038'));
  const clientId = bodyIds[0] ?? queryIds[0] ?? basic?.id;
  if (!clientId) throw new Refusal(400, 'D', gw('0037'));
  const bodySecret = params.get('client_secret') ?? undefined;
  const secret = bodySecret ?? (basic && basic.id === clientId ? basic.secret : undefined);
  // Basic works on the code exchange but not on refresh (reference §3.4, U19).
  if (
    grantType === 'refresh_token' &&
    basic &&
    bodySecret === undefined &&
    ctx.behaviours.basicAuthOnRefresh === 'reject'
  ) {
    throw new Refusal(400, 'oauth', {
      code: 'invalid_client',
      oauthError: 'invalid_client',
      message: INVALID_CLIENT_TEXT,
    });
  }
  const client = ctx.world.clients.find((c) => c.id === clientId);

  if (grantType === 'client_credentials') {
    const usernames = params.getAll('username');
    const sessions = params.getAll('session_id');
    if (usernames.length + sessions.length === 0 || (usernames.length === 1 && !usernames[0])) {
      throw new Refusal(400, 'D', gw('0036'));
    }
    if (usernames.length + sessions.length > 1) throw new Refusal(400, 'D', gw('0039'));
    let subject: Subject | undefined;
    if (usernames.length === 1) {
      const username = usernames[0]!;
      const at = username.lastIndexOf('@');
      if (at < 0 || at === username.length - 1) throw new Refusal(400, 'D', gw('0012'));
      const tenant = username.slice(at + 1);
      const bar = tenant.indexOf('|');
      const companyId = bar < 0 ? tenant : tenant.slice(0, bar);
      const entityId = bar < 0 ? undefined : tenant.slice(bar + 1) || undefined;
      if (onCompany && (await onCompany(companyId))) return undefined;
      const company = checkTenant(ctx, ctx.findCompany(companyId), client);
      subject = { company, userId: username.slice(0, at), entityId };
    } else {
      const session = ctx.sessions.get(sessions[0]!);
      if (session) {
        const company = checkTenant(ctx, ctx.findCompany(session.companyId), client);
        subject = { company, userId: session.userId, entityId: session.entityId || undefined };
      }
    }
    const okClient = checkClient(ctx, client, secret, subject?.company, true);
    if (!subject) throw partnerUser(ctx);
    resolvePartnerUser(ctx, okClient, subject, sessions.length === 1);
    const grant = state.newGrant(
      {
        kind: 'client_credentials',
        clientId: okClient.id,
        companyId: subject.company.id,
        userId: subject.userId,
        entityId: subject.entityId,
        scopes: scopesOf(params.get('scope')),
      },
      ctx.now(),
    );
    return {
      status: 200,
      body: { ...(await issueTokens(ctx, state, grant, issuer, true)) },
      company: subject.company.id,
      user: subject.userId,
    };
  }

  if (grantType === 'authorization_code') {
    const code = params.get('code') ?? '';
    const record = state.codes.get(code);
    const company = record ? ctx.findCompany(record.grantFields.companyId) : undefined;
    if (record) {
      if (onCompany && company && (await onCompany(company.id))) return undefined;
      checkTenant(ctx, company, client);
    }
    checkClient(ctx, client, secret, company, ctx.behaviours.authCodeRequiresAcaRow);
    if (!record) throw invalidGrant('The authorization code is invalid');
    if (record.used) {
      // A replayed code revokes what it was exchanged for (RFC 6749 §4.1.2).
      const earlier = record.grantId ? state.grants.get(record.grantId) : undefined;
      if (earlier?.status === 'active') earlier.status = 'revoked';
      throw invalidGrant('The authorization code has already been used');
    }
    if (record.expiresAt <= ctx.now()) throw invalidGrant('The authorization code has expired');
    if (record.grantFields.clientId !== clientId)
      throw invalidGrant('The authorization code was issued to another client');
    if ((params.get('redirect_uri') ?? '') !== record.redirectUri) {
      throw invalidGrant('redirect_uri does not match the one used on the authorize request');
    }
    if (record.codeChallenge) {
      const verifier = params.get('code_verifier');
      if (!verifier || s256(verifier) !== record.codeChallenge)
        throw invalidGrant('PKCE verification failed');
    }
    record.used = true;
    const grant = state.newGrant({ kind: 'authorization_code', ...record.grantFields }, ctx.now());
    record.grantId = grant.id;
    if (ctx.behaviours.singleGrantPerUser) state.supersede(grant);
    const offline = grant.scopes.includes('offline_access');
    return {
      status: 200,
      body: { ...(await issueTokens(ctx, state, grant, issuer, offline)) },
      company: grant.companyId,
      user: grant.userId,
    };
  }

  // refresh_token
  const token = params.get('refresh_token') ?? '';
  const rt = state.refreshTokens.get(token);
  const grant: Grant | undefined = rt ? state.grants.get(rt.grantId) : undefined;
  const company = grant ? ctx.findCompany(grant.companyId) : undefined;
  if (grant && company) {
    if (onCompany && (await onCompany(company.id))) return undefined;
    checkTenant(ctx, company, client);
  }
  checkClient(ctx, client, secret, company, grant?.kind === 'client_credentials');
  if (!rt || !grant) throw invalidGrant('The refresh token is invalid');
  if (grant.clientId !== clientId) throw invalidGrant('The refresh token was issued to another client');
  if (grant.status !== 'active') throw invalidGrant(`The grant was ${grant.status}`);
  if (!rt.valid) throw invalidGrant('The refresh token has already been used');
  if (rt.expiresAt !== undefined && rt.expiresAt <= ctx.now())
    throw invalidGrant('The refresh token has expired');
  if (ctx.behaviours.refreshRotation === 'rotate') rt.valid = false;
  return {
    status: 200,
    body: { ...(await issueTokens(ctx, state, grant, issuer, true)) },
    company: grant.companyId,
    user: grant.userId,
  };
}

export function scopesOf(scope: string | null | undefined): string[] {
  return (scope ?? '').split(/[\s+]+/).filter(Boolean);
}
