import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';

/** The claims Intacct puts in its access tokens (reference §3.4); all optional, since none is documented. */
export interface IntacctClaims extends JWTPayload {
  oid?: string;
  clientId?: string;
  cnyId?: string;
  cnyKey?: string | number;
  userId?: string;
  userKey?: string | number;
  entityId?: string;
  entityKey?: string | number;
  sessionId?: string;
  agentId?: string;
  aiEnabled?: boolean;
}

/** Decodes without verifying, as Intacct's own clients do; undefined for anything that is not a JWT. */
export function decodeClaims(token: string): IntacctClaims | undefined {
  try {
    return decodeJwt(token) as IntacctClaims;
  } catch {
    return undefined;
  }
}

/** Expiry in epoch ms from the JWT `exp`, falling back to `expires_in` when the token is opaque. */
export function expiryOf(token: string, expiresIn: number | undefined, now = Date.now()): number {
  const exp = decodeClaims(token)?.exp;
  if (typeof exp === 'number') return exp * 1000;
  return now + (expiresIn ?? 0) * 1000;
}

/** Verifies an access token against a JWKS document (RS256), e.g. from `/.well-known/jwks.json`. */
export async function verifyAccessToken(
  token: string,
  jwks: JSONWebKeySet,
  options: { issuer?: string; currentDate?: Date } = {},
): Promise<IntacctClaims> {
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
    algorithms: ['RS256'],
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.currentDate ? { currentDate: options.currentDate } : {}),
  });
  return payload as IntacctClaims;
}
