import { IntacctOAuthClient } from '../client/rest/oauth.js';
import type { OAuthProvider } from './app.js';
import type { SecretValues } from './log.js';
import type { ConnectionService } from './service.js';

export interface OAuthProviderOptions {
  clientId: string;
  clientSecret: string;
  apiUrl?: string;
  secrets: SecretValues;
  /** Set once the app is built (the provider and the service need each other). */
  service: () => ConnectionService;
}

export class OAuthExchangeError extends Error {
  constructor(readonly reason: string) {
    super(`OAuth code exchange failed: ${reason}`);
    this.name = 'OAuthExchangeError';
  }
}

/**
 * The authorization-code leg for the Connect UI: PKCE authorize URL, code exchange, then the connection is
 * diagnosed and stored with its refresh token encrypted.
 */
export function createOAuthProvider(o: OAuthProviderOptions): OAuthProvider {
  const client = (redirectUri: string) =>
    new IntacctOAuthClient({
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      ...(o.apiUrl ? { apiUrl: o.apiUrl } : {}),
      redirectUri,
    });
  return {
    async authorizationRequest(redirectUri) {
      const req = await client(redirectUri).createAuthorizationRequest({
        scope: 'offline_access',
        redirectUri,
      });
      o.secrets.addTransient(req.codeVerifier);
      return { url: req.url, state: req.state, codeVerifier: req.codeVerifier };
    },
    async complete(input) {
      let tokens: Awaited<ReturnType<IntacctOAuthClient['exchangeCode']>>;
      try {
        tokens = await client(input.redirectUri).exchangeCode({
          code: input.code,
          codeVerifier: input.codeVerifier,
          redirectUri: input.redirectUri,
        });
      } catch (error) {
        const kind = (error as { kind?: string }).kind;
        throw new OAuthExchangeError(kind ?? 'exchange_failed');
      }
      o.secrets.addTransient(tokens.accessToken);
      o.secrets.addTransient(tokens.refreshToken);
      const companyId = tokens.claims.cnyId;
      const userId = tokens.claims.userId;
      if (!companyId || !userId) throw new OAuthExchangeError('token_without_company_or_user');
      const outcome = await o.service().create(
        {
          companyId,
          userId,
          userPassword: '',
          ...(tokens.claims.entityId ? { entityId: tokens.claims.entityId } : {}),
        },
        input.connectSessionId ? `connect:${input.connectSessionId}` : 'oauth',
        { connectSessionId: input.connectSessionId, customerRef: input.customerRef ?? null },
        { refreshToken: tokens.refreshToken, accessToken: tokens.accessToken },
      );
      return outcome.id;
    },
  };
}
