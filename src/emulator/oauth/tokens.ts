import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { EmulatorContext } from '../context.js';
import type { Company, User } from '../world/schema.js';
import type { Grant, OAuthState } from './state.js';
import { randomId } from './state.js';

/** Stable numeric keys, as Intacct's record numbers would be. */
function keyOf(list: ReadonlyArray<{ id: string }>, id: string | undefined): string {
  if (!id) return '';
  const i = list.findIndex((x) => x.id === id);
  return i < 0 ? '' : String(i + 1);
}

export interface IssuedTokens {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope?: string;
}

/** Signs an access token with the claims reference §3.4 lists, plus `jti` to find the grant again. */
export async function issueTokens(
  ctx: EmulatorContext,
  state: OAuthState,
  grant: Grant,
  issuer: string,
  withRefresh: boolean,
): Promise<IssuedTokens> {
  const company = ctx.findCompany(grant.companyId)!;
  const senderId = ctx.world.clients.find((c) => c.id === grant.clientId)?.sender;
  const session = ctx.sessions.create({
    companyId: company.id,
    userId: grant.userId,
    ...(grant.entityId ? { entityId: grant.entityId } : {}),
    ...(senderId ? { senderId } : {}),
  });
  const ttl = ctx.behaviours.accessTokenTtlSeconds;
  const iat = Math.floor(ctx.now() / 1000);
  const jti = randomId(12);
  const companyIndex = ctx.world.companies.indexOf(company);
  const accessToken = await new SignJWT({
    oid: `org-${String(companyIndex + 1).padStart(6, '0')}`,
    clientId: grant.clientId,
    cnyId: company.id,
    cnyKey: String(companyIndex + 1),
    userId: grant.userId,
    userKey: keyOf(company.users, grant.userId),
    entityId: grant.entityId ?? '',
    entityKey: keyOf(company.entities, grant.entityId),
    sessionId: session.sessionId,
    agentId: '',
    aiEnabled: false,
  })
    .setProtectedHeader({ alg: 'RS256', kid: state.key.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(grant.clientId)
    .setSubject(`${grant.userId}@${company.id}`)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .setJti(jti)
    .sign(state.key.privateKey);
  state.accessTokens.set(jti, grant.id);
  const out: IssuedTokens = { token_type: 'Bearer', access_token: accessToken, expires_in: ttl };
  if (withRefresh) {
    const refreshToken = randomId(32);
    const days = ctx.behaviours.refreshTtlDays;
    state.refreshTokens.set(refreshToken, {
      grantId: grant.id,
      valid: true,
      expiresAt: days === null ? undefined : ctx.now() + days * 86_400_000,
    });
    out.refresh_token = refreshToken;
  }
  if (grant.scopes.length) out.scope = grant.scopes.join(' ');
  return out;
}

export type BearerCheck =
  | { ok: true; grant: Grant; company: Company; user: User; entityId: string | undefined; sessionId: string }
  | {
      ok: false;
      problem: 'no_bearer' | 'malformed' | 'expired' | 'superseded' | 'revoked' | 'unknown_grant';
    };

/** Validates a bearer token on a REST call: signature, expiry, then whether its grant still stands. */
export async function checkBearer(
  ctx: EmulatorContext,
  state: OAuthState,
  header: string | undefined,
): Promise<BearerCheck> {
  if (!header || !/^Bearer /.test(header)) return { ok: false, problem: 'no_bearer' };
  const token = header.slice('Bearer '.length).trim();
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, state.key.publicKey, {
      algorithms: ['RS256'],
      currentDate: new Date(ctx.now()),
      clockTolerance: 0,
    }));
  } catch (error) {
    return { ok: false, problem: error instanceof joseErrors.JWTExpired ? 'expired' : 'malformed' };
  }
  const grant = state.grants.get(state.accessTokens.get(String(payload.jti)) ?? '');
  if (!grant) return { ok: false, problem: 'unknown_grant' };
  if (grant.status !== 'active') return { ok: false, problem: grant.status };
  const company = ctx.findCompany(grant.companyId);
  const user = company ? ctx.findUser(company, grant.userId) : undefined;
  if (!company || !user) return { ok: false, problem: 'unknown_grant' };
  return {
    ok: true,
    grant,
    company,
    user,
    entityId: grant.entityId,
    sessionId: String(payload.sessionId ?? ''),
  };
}
