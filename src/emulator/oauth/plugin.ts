import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext } from '../context.js';
import { authorizeGet, authorizePost } from './authorize.js';
import { errorBody, gw, REST_1216_TEXT } from './envelopes.js';
import { oauthState } from './state.js';
import { tokenEndpoint } from './token.js';

const AUTHORIZE_PATHS = ['/ia/api/v1/oauth2/authorize', '/ia/authorize'];
/** Near misses of the token path that real clients send (reference §4.7, GW-0033). */
const NEAR_MISS_TOKEN_PATHS = [
  '/ia/api/v1/oauth2/*',
  '/ia/api/v1/oauth/*',
  '/api/v1/oauth2/*',
  '/oauth2/*',
  '/oauth/*',
  '/ia/oauth2/*',
];

/** OAuth 2.0 routes (authorize, token, revoke, discovery, JWKS). */
export async function oauthRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const state = await oauthState(ctx);
  // Bodies stay raw text: the token endpoint decides itself what a missing or mistyped body means.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const started = new WeakMap<FastifyRequest, number>();

  app.addHook('onRequest', async (req) => {
    started.set(req, Date.now());
    ctx.count('oauth');
  });
  app.addHook('onResponse', async (req, reply) => {
    ctx.log({
      at: new Date().toISOString(),
      api: 'oauth',
      method: req.method,
      path: req.url.split('?')[0]!,
      status: reply.statusCode,
      ms: Date.now() - (started.get(req) ?? Date.now()),
    });
  });

  const base = (req: FastifyRequest) => ctx.baseUrl(req);

  app.get('/.well-known/openid-configuration', async (req) => {
    const b = base(req);
    return {
      issuer: b,
      authorization_endpoint: `${b}/ia/authorize`,
      token_endpoint: `${b}/ia/api/v1/oauth2/token`,
      revocation_endpoint: `${b}/ia/api/v1/oauth2/revoke`,
      jwks_uri: `${b}/.well-known/jwks.json`,
      scopes_supported: ['openid', 'offline_access', 'sage/ai-agents', 'token-exchange'],
      response_types_supported: ['code', 'token', 'id_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      id_token_signing_alg_values_supported: ['RS256'],
      grant_types_supported: [
        'authorization_code',
        'client_credentials',
        'urn:ietf:params:oauth:grant-type:token-exchange',
      ],
      code_challenge_methods_supported: ['S256'],
      subject_types_supported: ['public'],
      claims_supported: [
        'aud',
        'exp',
        'iat',
        'iss',
        'sub',
        'agentId',
        'clientId',
        'cnyId',
        'cnyKey',
        'userId',
        'userKey',
        'entityId',
        'sessionId',
        'oid',
        'aiEnabled',
      ],
    };
  });
  app.get('/.well-known/jwks.json', async () => ({ keys: [state.key.publicJwk] }));

  for (const path of AUTHORIZE_PATHS) {
    app.get(path, async (req, reply) => authorizeGet(ctx, state, req, reply));
    app.post(path, async (req, reply) => authorizePost(ctx, state, req, reply));
  }

  const send = (reply: FastifyReply, status: number, body: unknown) =>
    reply
      .code(status)
      .type('application/json')
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send(body);

  app.post('/ia/api/v1/oauth2/token', async (req, reply) => {
    const answer = await tokenEndpoint(ctx, state, req, base(req), (company) =>
      ctx.applyFault(req, reply, { api: 'oauth', company, path: '/ia/api/v1/oauth2/token' }),
    );
    if (!answer) return reply;
    return send(reply, answer.status, answer.body);
  });

  app.post('/ia/api/v1/oauth2/revoke', async (req, reply) => {
    const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
    const client = ctx.world.clients.find((c) => c.id === form.get('client_id'));
    if (!client || client.secret !== form.get('client_secret')) {
      return send(reply, ctx.behaviours.rest1216Status, {
        error: 'invalid_client',
        error_description: REST_1216_TEXT,
      });
    }
    const token = form.get('token') ?? '';
    let grantId = state.refreshTokens.get(token)?.grantId;
    if (!grantId) {
      const jti = jtiOf(token);
      if (jti) grantId = state.accessTokens.get(jti);
    }
    const grant = grantId ? state.grants.get(grantId) : undefined;
    // RFC 7009: an unknown token is not an error.
    if (grant && grant.clientId === client.id) {
      state.revokeFor(grant.companyId, grant.userId);
      ctx.sessions.revokeFor(grant.companyId, grant.userId);
    }
    return send(reply, 200, {});
  });

  for (const path of NEAR_MISS_TOKEN_PATHS) {
    app.post(path, async (_req, reply) => send(reply, 404, errorBody(ctx, 'D', gw('0033'))));
  }
}

function jtiOf(token: string): string | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { jti?: unknown };
    return typeof payload.jti === 'string' ? payload.jti : undefined;
  } catch {
    return undefined;
  }
}
