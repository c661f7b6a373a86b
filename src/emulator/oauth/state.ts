import { createHash, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { EmulatorContext } from '../context.js';

/** One authorization: what every token issued under it refers back to. */
export interface Grant {
  id: string;
  kind: 'authorization_code' | 'client_credentials';
  clientId: string;
  /** The company ID as the world spells it. */
  companyId: string;
  userId: string;
  entityId: string | undefined;
  scopes: string[];
  status: 'active' | 'revoked' | 'superseded';
  createdAt: number;
}

export interface AuthCode {
  grantFields: Omit<Grant, 'id' | 'status' | 'createdAt' | 'kind'>;
  redirectUri: string;
  codeChallenge: string | undefined;
  expiresAt: number;
  used: boolean;
  /** The grant the code was exchanged for, revoked if the code is replayed. */
  grantId?: string;
}

export interface RefreshRecord {
  grantId: string;
  valid: boolean;
  expiresAt: number | undefined;
}

/** A sign-in in progress on the authorize page. */
export interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  scopes: string[];
  codeChallenge: string | undefined;
  expiresAt: number;
  signedIn?: { companyId: string; userId: string };
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/** Tokens, codes and grants of one emulator; cleared by the emulator's reset. */
export class OAuthState {
  readonly grants = new Map<string, Grant>();
  readonly codes = new Map<string, AuthCode>();
  readonly refreshTokens = new Map<string, RefreshRecord>();
  /** jti → grant id. */
  readonly accessTokens = new Map<string, string>();
  readonly pending = new Map<string, PendingAuthorization>();

  constructor(readonly key: SigningKey) {}

  clear(): void {
    this.grants.clear();
    this.codes.clear();
    this.refreshTokens.clear();
    this.accessTokens.clear();
    this.pending.clear();
  }

  newGrant(fields: Omit<Grant, 'id' | 'status' | 'createdAt'>, now: number): Grant {
    const grant: Grant = { ...fields, id: randomId(12), status: 'active', createdAt: now };
    this.grants.set(grant.id, grant);
    return grant;
  }

  /** Single grant per user and company (reference §3.5, U18): a newer authorization ends older ones. */
  supersede(newer: Grant): void {
    for (const g of this.grants.values()) {
      if (
        g !== newer &&
        g.status === 'active' &&
        g.kind === 'authorization_code' &&
        g.companyId === newer.companyId &&
        g.userId === newer.userId
      ) {
        g.status = 'superseded';
      }
    }
  }

  /** Revoking one token revokes every grant of the same user and company (reference §3.1). */
  revokeFor(companyId: string, userId: string): number {
    let n = 0;
    for (const g of this.grants.values()) {
      if (g.companyId === companyId && g.userId === userId && g.status === 'active') {
        g.status = 'revoked';
        n += 1;
      }
    }
    return n;
  }
}

export function randomId(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

const states = new WeakMap<EmulatorContext, Promise<OAuthState>>();

/** One state per emulator: the OAuth and REST plugins share it. The key pair is new at every start. */
export function oauthState(ctx: EmulatorContext): Promise<OAuthState> {
  let state = states.get(ctx);
  if (!state) {
    state = (async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
      const publicJwk = await exportJWK(publicKey);
      const kid = createHash('sha256').update(JSON.stringify(publicJwk)).digest('base64url').slice(0, 16);
      const s = new OAuthState({
        kid,
        privateKey,
        publicKey,
        publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' },
      });
      ctx.onReset(() => s.clear());
      return s;
    })();
    states.set(ctx, state);
  }
  return state;
}
