import {
  type AuthorizationServer,
  calculatePKCECodeChallenge,
  generateRandomCodeVerifier,
  generateRandomState,
  processDiscoveryResponse,
} from 'oauth4webapi';
import { DEFAULT_API_URL } from '../../shared/credentials.js';
import { IntacctRestError, parseRestError } from './errors.js';
import { type Exchange, type HttpOptions, send } from './http.js';
import { decodeClaims, expiryOf, type IntacctClaims } from './jwt.js';

export interface OAuthClientConfig {
  clientId: string;
  /** secret */
  clientSecret?: string;
  /** REST base, e.g. `https://api.intacct.com/ia/api/v1`; the OAuth endpoints sit below it. */
  apiUrl?: string;
  redirectUri?: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  signal?: AbortSignal;
  onExchange?: (exchange: Exchange) => void;
}

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  tokenType: string;
  /** Epoch ms, from the JWT `exp` (the truth) or else `expires_in`. */
  expiresAt: number;
  expiresIn?: number;
  scope?: string;
  idToken?: string;
  claims: IntacctClaims;
}

export type ClientCredentialsSubject =
  | { userId: string; companyId: string; entityId?: string | undefined }
  | { sessionId: string };

export interface AuthorizationRequest {
  url: string;
  state: string;
  codeVerifier: string;
  redirectUri: string;
  scope: string;
}

export type CallbackErrorKind = 'state_mismatch' | 'access_denied' | 'authorization_error' | 'missing_code';

/** The authorize leg came back without a usable code. */
export class OAuthCallbackError extends Error {
  constructor(
    readonly kind: CallbackErrorKind,
    message: string,
    readonly error?: string,
    readonly errorDescription?: string,
  ) {
    super(message);
    this.name = 'OAuthCallbackError';
  }
}

/** `userId@companyId[|entityId]`, Intacct's client-credentials username (reference §3.3). */
export function buildUsername(userId: string, companyId: string, entityId?: string): string {
  return `${userId}@${companyId}${entityId ? `|${entityId}` : ''}`;
}

export interface UsernameProblem {
  field: 'userId' | 'companyId' | 'entityId';
  problem: string;
}

/** Local checks that catch a malformed username before any request is sent. */
export function checkUsernameParts(
  userId?: string,
  companyId?: string,
  entityId?: string,
): UsernameProblem[] {
  const problems: UsernameProblem[] = [];
  const check = (field: UsernameProblem['field'], value: string | undefined, required: boolean) => {
    if (value === undefined || value === '') {
      if (required) problems.push({ field, problem: 'is missing' });
      return;
    }
    if (value !== value.trim()) problems.push({ field, problem: 'has leading or trailing spaces' });
    if (/[@|]/.test(value)) {
      problems.push({
        field,
        problem:
          field === 'userId' && value.includes('@')
            ? 'contains "@" (an email address instead of the user ID?)'
            : `contains "${value.includes('@') ? '@' : '|'}", which the username format reserves`,
      });
    }
    if (/[\r\n\t]/.test(value)) problems.push({ field, problem: 'contains control characters' });
  };
  check('userId', userId, true);
  check('companyId', companyId, true);
  check('entityId', entityId, false);
  if (entityId && /\s/.test(entityId.trim())) {
    problems.push({ field: 'entityId', problem: 'contains spaces (the entity name instead of its ID?)' });
  }
  return problems;
}

/** The OAuth 2.0 client for Intacct: standard parts through oauth4webapi, Intacct's own forms by hand. */
export class IntacctOAuthClient {
  readonly clientId: string;
  readonly apiUrl: string;
  readonly tokenUrl: string;
  readonly authorizeUrl: string;
  readonly revokeUrl: string;
  private readonly clientSecret: string | undefined;
  private readonly config: OAuthClientConfig;
  private readonly seenSecrets = new Set<string>();

  constructor(config: OAuthClientConfig) {
    this.config = config;
    this.clientId = config.clientId;
    this.clientSecret = config.clientSecret;
    this.apiUrl = (config.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
    this.tokenUrl = `${this.apiUrl}/oauth2/token`;
    this.authorizeUrl = `${this.apiUrl}/oauth2/authorize`;
    this.revokeUrl = `${this.apiUrl}/oauth2/revoke`;
  }

  /** Everything a transcript must never show, including tokens this client has received. */
  secrets(): string[] {
    return [this.clientSecret, ...this.seenSecrets].filter((s): s is string => Boolean(s));
  }

  private http(): HttpOptions {
    return {
      ...(this.config.fetch ? { fetch: this.config.fetch } : {}),
      ...(this.config.timeoutMs ? { timeoutMs: this.config.timeoutMs } : {}),
      ...(this.config.signal ? { signal: this.config.signal } : {}),
      ...(this.config.onExchange ? { onExchange: this.config.onExchange } : {}),
      secrets: () => this.secrets(),
    };
  }

  /** Builds the authorize URL with PKCE (S256) and a fresh state. Keep `state` and `codeVerifier`. */
  async createAuthorizationRequest(
    options: { scope?: string; redirectUri?: string; state?: string } = {},
  ): Promise<AuthorizationRequest> {
    const redirectUri = options.redirectUri ?? this.config.redirectUri;
    if (!redirectUri) throw new TypeError('redirectUri is required for the authorization-code flow');
    const codeVerifier = generateRandomCodeVerifier();
    const state = options.state ?? generateRandomState();
    const scope = options.scope ?? 'offline_access';
    const url = new URL(this.authorizeUrl);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('state', state);
    if (scope) url.searchParams.set('scope', scope);
    url.searchParams.set('code_challenge', await calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
    return { url: url.toString(), state, codeVerifier, redirectUri, scope };
  }

  /** Reads the redirect back from the authorize page; the state must match the one sent. */
  parseCallback(callbackUrl: string | URL, expectedState: string): { code: string; state: string } {
    const params = new URL(callbackUrl).searchParams;
    const state = params.get('state') ?? '';
    const error = params.get('error');
    if (state !== expectedState) {
      throw new OAuthCallbackError(
        'state_mismatch',
        'The state in the callback does not match the one sent; the response may be forged or from an older attempt',
        error ?? undefined,
      );
    }
    if (error) {
      const description = params.get('error_description') ?? undefined;
      throw new OAuthCallbackError(
        error === 'access_denied' ? 'access_denied' : 'authorization_error',
        error === 'access_denied'
          ? 'The person declined to authorize the application'
          : `The authorize page answered ${error}${description ? `: ${description}` : ''}`,
        error,
        description,
      );
    }
    const code = params.get('code');
    if (!code)
      throw new OAuthCallbackError('missing_code', 'The callback carries neither a code nor an error');
    return { code, state };
  }

  async exchangeCode(input: {
    code: string;
    codeVerifier?: string;
    redirectUri?: string;
  }): Promise<TokenSet> {
    const redirectUri = input.redirectUri ?? this.config.redirectUri;
    return this.tokenRequest({
      grant_type: 'authorization_code',
      code: input.code,
      ...(redirectUri ? { redirect_uri: redirectUri } : {}),
      ...(input.codeVerifier ? { code_verifier: input.codeVerifier } : {}),
    });
  }

  /** Intacct's client-credentials form: a `username` (`user@company[|entity]`) or a `session_id`. */
  async clientCredentials(subject: ClientCredentialsSubject): Promise<TokenSet> {
    const extra: Record<string, string> =
      'sessionId' in subject
        ? { session_id: subject.sessionId }
        : { username: buildUsername(subject.userId, subject.companyId, subject.entityId) };
    return this.tokenRequest({ grant_type: 'client_credentials', ...extra });
  }

  /** Client credentials go in the body: Intacct rejects Basic auth on refresh (reference §3.4). */
  async refresh(refreshToken: string): Promise<TokenSet> {
    this.seenSecrets.add(refreshToken);
    return this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  /** Revokes a token; Intacct revokes every token of the same user and company with it. */
  async revoke(token: string): Promise<void> {
    this.seenSecrets.add(token);
    const res = await send(
      {
        api: 'oauth',
        method: 'POST',
        url: this.revokeUrl,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: this.form({ token }),
      },
      this.http(),
    );
    if (res.status >= 400) throw parseRestError(res.status, res.text, res.headers);
  }

  private form(params: Record<string, string>): string {
    const body = new URLSearchParams(params);
    body.set('client_id', this.clientId);
    if (this.clientSecret !== undefined) body.set('client_secret', this.clientSecret);
    return body.toString();
  }

  /** Posts any grant to the token endpoint with the client credentials in the body. */
  async tokenRequest(params: Record<string, string>): Promise<TokenSet> {
    for (const key of ['code', 'code_verifier', 'session_id', 'refresh_token']) {
      const value = params[key];
      if (value) this.seenSecrets.add(value);
    }
    const res = await send(
      {
        api: 'oauth',
        method: 'POST',
        url: this.tokenUrl,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: this.form(params),
      },
      this.http(),
    );
    if (res.status !== 200) throw parseRestError(res.status, res.text, res.headers);
    return this.readTokenResponse(res.text, res.status);
  }

  private readTokenResponse(text: string, status: number): TokenSet {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new IntacctRestError({
        httpStatus: status,
        code: undefined,
        errorId: undefined,
        message: 'The token endpoint answered 200 with a body that is not JSON',
        supportId: undefined,
        requestId: undefined,
        details: undefined,
        shape: 'unknown',
      });
    }
    const accessToken = body.access_token;
    if (typeof accessToken !== 'string' || !accessToken) {
      throw parseRestError(status, text);
    }
    this.seenSecrets.add(accessToken);
    const refreshToken = typeof body.refresh_token === 'string' ? body.refresh_token : undefined;
    if (refreshToken) this.seenSecrets.add(refreshToken);
    const expiresIn =
      typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in) || undefined;
    return {
      accessToken,
      ...(refreshToken ? { refreshToken } : {}),
      tokenType: typeof body.token_type === 'string' ? body.token_type : 'Bearer',
      expiresAt: expiryOf(accessToken, expiresIn),
      ...(expiresIn !== undefined ? { expiresIn } : {}),
      ...(typeof body.scope === 'string' ? { scope: body.scope } : {}),
      ...(typeof body.id_token === 'string' ? { idToken: body.id_token } : {}),
      claims: decodeClaims(accessToken) ?? {},
    };
  }

  /** Loads the authorize page without following redirects; the doctor reads its error text. */
  async probeAuthorizePage(url: string): Promise<string> {
    const res = await send(
      { api: 'oauth', method: 'GET', url, headers: { accept: 'text/html' } },
      this.http(),
    );
    return `${res.status} ${res.headers.get('location') ?? ''} ${res.text}`;
  }

  /** Reads `/.well-known/openid-configuration` at the API host's origin. */
  async discover(): Promise<AuthorizationServer> {
    const issuer = new URL(new URL(this.apiUrl).origin);
    const res = await send(
      {
        api: 'oauth',
        method: 'GET',
        url: `${issuer.origin}/.well-known/openid-configuration`,
        headers: { accept: 'application/json' },
      },
      this.http(),
    );
    const response = new Response(res.text, {
      status: res.status,
      headers: { 'content-type': res.headers.get('content-type') ?? 'application/json' },
    });
    return processDiscoveryResponse(issuer, response);
  }
}

/**
 * Keeps one connection's tokens fresh. Refreshes are single-flight: every caller that finds the token
 * expiring while a refresh is under way waits for that refresh instead of starting another, because
 * Intacct rotates refresh tokens and a second refresh would use a token the first one just killed.
 */
export class OAuthConnection {
  private current: TokenSet;
  private inflight: Promise<TokenSet> | undefined;
  private readonly skewMs: number;

  constructor(
    readonly client: IntacctOAuthClient,
    tokens: TokenSet,
    private readonly options: {
      /** With client credentials and no refresh token, a refresh repeats the grant. */
      subject?: ClientCredentialsSubject;
      refreshSkewSeconds?: number;
      onTokens?: (tokens: TokenSet) => void | Promise<void>;
      now?: () => number;
    } = {},
  ) {
    this.current = tokens;
    this.skewMs = (options.refreshSkewSeconds ?? 60) * 1000;
  }

  get tokens(): TokenSet {
    return this.current;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** A usable access token, refreshed first when it expires within the skew. */
  async accessToken(): Promise<string> {
    if (this.current.expiresAt - this.now() <= this.skewMs) await this.refresh();
    return this.current.accessToken;
  }

  /** Refreshes now; concurrent callers share one token request. */
  refresh(): Promise<TokenSet> {
    if (this.inflight) return this.inflight;
    const started = this.current;
    this.inflight = (async () => {
      try {
        const next = started.refreshToken
          ? await this.client.refresh(started.refreshToken)
          : this.options.subject
            ? await this.client.clientCredentials(this.options.subject)
            : undefined;
        if (!next) throw new TypeError('No refresh token and no client-credentials subject to refresh with');
        // Keep the old refresh token when the server does not rotate it.
        this.current =
          next.refreshToken || !started.refreshToken ? next : { ...next, refreshToken: started.refreshToken };
        await this.options.onTokens?.(this.current);
        return this.current;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
