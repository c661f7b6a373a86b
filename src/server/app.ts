import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { MODULES, type ModuleId, OBJECTS, OPERATION_RIGHTS, RIGHT_LABELS } from '../shared/objects.js';
import { DEFAULT_REQUIREMENTS, type ProgressEvent, type Requirement } from '../shared/report.js';
import { constantTimeEqual, type Keyring, randomToken, sha256Hex } from './crypto.js';
import { nowIso, type StorageHandle } from './db.js';
import { bearer, buildOpenApi, errorBody, HttpError, parseInput, type RouteDoc } from './http.js';
import { RateLimiter } from './limits.js';
import { redactUrl, type SecretValues } from './log.js';
import * as S from './schemas.js';
import { ConnectionService, type Diagnose, type ServiceConfig, toIssueView } from './service.js';
import type { CompanyGate } from './slots.js';
import { UI_NOT_BUILT_HTML, WebRoot } from './static.js';
import { type DispatcherOptions, WEBHOOK_EVENTS, WebhookDispatcher } from './webhooks.js';

export interface HelpProvider {
  listArticles(): Array<{ id: string; kind: 'cause' | 'guide'; title: string; summary: string }>;
  searchArticles(q: string): Array<{ id: string; kind: 'cause' | 'guide'; title: string; summary: string }>;
  getArticle(id: string): unknown;
}

export type Explain = (text: string) => unknown;

/** The authorization-code leg, supplied by the OAuth client when an OAuth app is configured. */
export interface OAuthProvider {
  authorizationRequest(redirectUri: string): Promise<{ url: string; state: string; codeVerifier: string }>;
  /** Exchanges the code, diagnoses, stores the connection; returns its id. */
  complete(input: {
    code: string;
    codeVerifier: string;
    redirectUri: string;
    connectSessionId: string | null;
    customerRef?: string | null;
  }): Promise<string>;
}

export interface AppConfig extends ServiceConfig {
  /** Management API key; when unset every management route answers 401. */
  apiKey?: string;
  demo?: boolean;
  /** Allows `POST /api/connect/token` without a management key (always on with demo). */
  publicConnect?: boolean;
  /** CSP frame-ancestors sources; default `'self'`. */
  frameAncestors?: string[];
  appName?: string;
  suggestedUserId?: string;
  /** Base URL for links handed out (connect URLs, OAuth redirect); default: from the request. */
  publicUrl?: string;
  /** Credential submissions per IP and company in a window; default 20 per 10 min. */
  credentialLimit?: { max: number; windowMs: number };
  version?: string;
}

export interface AppDeps {
  storage: StorageHandle;
  keyring: Keyring;
  diagnose: Diagnose;
  logger: Logger;
  secrets: SecretValues;
  config: AppConfig;
  help?: HelpProvider;
  explain?: Explain;
  oauth?: OAuthProvider;
  /** The built Connect UI (dist/web). */
  webDir?: string;
  webhooks?: Omit<DispatcherOptions, 'storage' | 'keyring' | 'logger'>;
  /** Cross-process per-company cap (PostgreSQL advisory locks when several nodes share a database). */
  gate?: CompanyGate;
}

export interface BuiltApp {
  app: FastifyInstance;
  service: ConnectionService;
  dispatcher: WebhookDispatcher;
  routes: RouteDoc[];
}

type Auth = { actor: string; sessionId: string | null };

declare module 'fastify' {
  interface FastifyRequest {
    auth?: Auth;
  }
}

export function contentSecurityPolicy(frameAncestors: string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // React sets style properties through the DOM; inline <style> from the bundle needs 'unsafe-inline'.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors.length ? frameAncestors.join(' ') : "'none'"}`,
  ].join('; ');
}

export function requirementView(requirements: Requirement[]) {
  return requirements.map((r) => {
    const info = OBJECTS[r.object.toUpperCase()];
    return {
      object: r.object,
      operation: r.operation,
      ...(info ? { module: moduleName(info.module), permission: info.permission } : {}),
      rights: (OPERATION_RIGHTS[r.operation] ?? []).map((x) => RIGHT_LABELS[x]),
    };
  });
}

function moduleName(id: ModuleId): string {
  return MODULES[id].name;
}

export async function buildApp(deps: AppDeps): Promise<BuiltApp> {
  const { config, storage, keyring, logger } = deps;
  const db = storage.db;
  const dispatcher = new WebhookDispatcher({ storage, keyring, logger, ...deps.webhooks });
  const service = new ConnectionService({
    storage,
    keyring,
    diagnose: deps.diagnose,
    logger,
    secrets: deps.secrets,
    config,
    onEventsQueued: () => dispatcher.poke(),
    ...(deps.gate ? { gate: deps.gate } : {}),
  });
  deps.secrets.addFixed(config.apiKey);
  deps.secrets.addFixed(config.senderPassword);
  deps.secrets.addFixed(config.clientSecret);
  const limit = config.credentialLimit ?? { max: 20, windowMs: 10 * 60_000 };
  const credentialLimiter = new RateLimiter(limit.max, limit.windowMs);
  const precheckLimiter = new RateLimiter(limit.max * 3, limit.windowMs);
  const csp = contentSecurityPolicy(config.frameAncestors ?? ["'self'"]);
  const web = new WebRoot(deps.webDir);
  const requirements = config.requirements ?? DEFAULT_REQUIREMENTS;

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: 1_048_576,
    trustProxy: false,
    genReqId: () => randomUUID(),
  });

  const securityHeaders = (set: (name: string, value: string) => void, isApi: boolean) => {
    set('content-security-policy', csp);
    set('x-content-type-options', 'nosniff');
    // Connect tokens travel in the page URL; never leak them to other sites.
    set('referrer-policy', 'no-referrer');
    set('cross-origin-resource-policy', 'same-origin');
    if (!config.frameAncestors || config.frameAncestors.length === 0) set('x-frame-options', 'SAMEORIGIN');
    if (isApi) set('cache-control', 'no-store');
  };

  app.addHook('onSend', async (request, reply, payload) => {
    const isApi = request.url.startsWith('/api/') || request.url.startsWith('/oauth/');
    securityHeaders((k, v) => {
      if (!reply.hasHeader(k)) reply.header(k, v);
    }, isApi);
    return payload;
  });

  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof HttpError) {
      for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
      return reply.code(error.statusCode).send(errorBody(error.message, error.field));
    }
    const e = error as { statusCode?: number; code?: string; message?: string };
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send(errorBody('body must be JSON (Content-Type: application/json)', 'body'));
    }
    if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      return reply.code(400).send(errorBody('body is empty', 'body'));
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(413).send(errorBody('body is too large', 'body'));
    if (
      e.statusCode === 400 &&
      (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError)
    ) {
      return reply.code(400).send(errorBody('body is not valid JSON', 'body'));
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(e.statusCode).send(errorBody('bad request'));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(errorBody('internal error'));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return reply.code(404).send(errorBody(`no route ${request.method} ${redactUrl(path)}`));
    }
    if (path.startsWith('/api/') || path === '/api' || path.startsWith('/oauth/')) {
      return reply.code(404).send(errorBody(`no route GET ${path}`));
    }
    if (!web.built) {
      if (/\.[a-z0-9]+$/i.test(path)) return reply.code(404).type('text/plain').send('not found');
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(UI_NOT_BUILT_HTML);
    }
    const file = web.lookup(path);
    if (!file) return reply.code(404).type('text/plain').send('not found');
    return reply.type(file.contentType).header('cache-control', file.cacheControl).send(file.body);
  });

  // ---- authentication ----
  const requireManagement = async (request: FastifyRequest) => {
    const token = bearer(request);
    if (!config.apiKey || !token || !constantTimeEqual(token, config.apiKey)) {
      throw new HttpError(
        401,
        'a valid management key is required (Authorization: Bearer <INTACCT_CONNECT_API_KEY>)',
        'authorization',
        {
          'www-authenticate': 'Bearer',
        },
      );
    }
    request.auth = { actor: 'management', sessionId: null };
  };

  const requireConnect = async (request: FastifyRequest) => {
    const token = bearer(request);
    if (!token?.startsWith('ct_')) {
      throw new HttpError(
        401,
        'a connect token is required (Authorization: Bearer ct_...)',
        'authorization',
        {
          'www-authenticate': 'Bearer',
        },
      );
    }
    const row = await db
      .selectFrom('connect_sessions')
      .select(['id', 'expires_at'])
      .where('token_hash', '=', sha256Hex(token))
      .executeTakeFirst();
    if (!row || row.expires_at <= nowIso()) {
      throw new HttpError(401, 'the connect token is unknown or expired', 'authorization', {
        'www-authenticate': 'Bearer',
      });
    }
    request.auth = { actor: `connect:${row.id}`, sessionId: row.id };
  };

  const routes: RouteDoc[] = [];
  const route = (
    doc: RouteDoc,
    handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
  ) => {
    routes.push(doc);
    const preHandler =
      doc.auth === 'management' ? requireManagement : doc.auth === 'connect' ? requireConnect : undefined;
    app.route({
      method: doc.method,
      url: doc.path,
      ...(preHandler ? { preHandler } : {}),
      handler,
    });
  };

  const body = <T extends z.ZodType>(schema: T, request: FastifyRequest) =>
    parseInput(schema, request.body, 'body');
  const params = (request: FastifyRequest) => parseInput(S.idParams, request.params, 'params');
  const takeCredentialSlot = (request: FastifyRequest, companyId: string, limiter = credentialLimiter) => {
    const decision = limiter.take(`${request.ip}|${companyId.trim().toLowerCase()}`);
    if (!decision.allowed) {
      throw new HttpError(
        429,
        `too many attempts for company ${companyId}; try again in ${decision.retryAfterSeconds} s`,
        'companyId',
        {
          'retry-after': String(decision.retryAfterSeconds),
        },
      );
    }
  };
  const baseUrl = (request: FastifyRequest) =>
    (config.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
  const actor = (request: FastifyRequest) => request.auth?.actor ?? 'anonymous';

  // ---- public ----
  route(
    {
      method: 'GET',
      path: '/healthz',
      summary: 'Liveness',
      auth: 'none',
      tag: 'public',
      responses: { 200: { description: 'Up', schema: S.answers.ok } },
    },
    async () => ({ ok: true }),
  );
  route(
    {
      method: 'GET',
      path: '/openapi.json',
      summary: 'This description',
      auth: 'none',
      tag: 'public',
      responses: { 200: { description: 'OpenAPI 3.1' } },
    },
    async () => buildOpenApi(routes, config.version ?? '0.1.0'),
  );

  // ---- management: connections (CONTRACT §2b) ----
  route(
    {
      method: 'POST',
      path: '/api/connections',
      summary: 'Diagnose and store a connection',
      auth: 'management',
      tag: 'connections',
      body: S.createConnectionBody,
      responses: {
        201: { description: 'Stored; status connected or failed', schema: S.answers.outcome },
        429: { description: 'Too many credential submissions for this company from this address' },
      },
    },
    async (request, reply) => {
      const input = body(S.createConnectionBody, request);
      deps.secrets.addTransient(input.userPassword);
      takeCredentialSlot(request, input.companyId);
      const outcome = await service.create(input, actor(request));
      return reply.code(201).send(outcome);
    },
  );
  route(
    {
      method: 'GET',
      path: '/api/connections',
      summary: 'List connections',
      auth: 'management',
      tag: 'connections',
      responses: { 200: { description: 'All connections', schema: S.answers.connections } },
    },
    async () => ({ connections: await service.list() }),
  );
  route(
    {
      method: 'GET',
      path: '/api/connections/:id',
      summary: 'One connection with its issues',
      auth: 'management',
      tag: 'connections',
      params: S.idParams,
      responses: {
        200: { description: 'The connection', schema: S.answers.connection },
        404: { description: 'No such connection' },
      },
    },
    async (request) => {
      const { id } = params(request);
      const view = await service.get(id);
      if (!view) throw new HttpError(404, `no connection ${id}`, 'id');
      return view;
    },
  );
  route(
    {
      method: 'POST',
      path: '/api/connections/:id/check',
      summary: 'Diagnose a stored connection again',
      auth: 'management',
      tag: 'connections',
      params: S.idParams,
      responses: {
        200: { description: 'The new status and report', schema: S.answers.checkOutcome },
        404: { description: 'No such connection' },
      },
    },
    async (request) => {
      const { id } = params(request);
      const outcome = await service.check(id, actor(request), 'manual');
      if (!outcome) throw new HttpError(404, `no connection ${id}`, 'id');
      return { status: outcome.status, report: outcome.report };
    },
  );
  route(
    {
      method: 'DELETE',
      path: '/api/connections/:id',
      summary: 'Delete a connection (and its stored credentials)',
      auth: 'management',
      tag: 'connections',
      params: S.idParams,
      responses: { 204: { description: 'Deleted' }, 404: { description: 'No such connection' } },
    },
    async (request, reply) => {
      const { id } = params(request);
      if (!(await service.remove(id, actor(request)))) throw new HttpError(404, `no connection ${id}`, 'id');
      return reply.code(204).send();
    },
  );
  route(
    {
      method: 'GET',
      path: '/api/connections/:id/checks',
      summary: 'Check history, newest first',
      auth: 'management',
      tag: 'connections',
      params: S.idParams,
      responses: {
        200: { description: 'History', schema: S.answers.checks },
        404: { description: 'No such connection' },
      },
    },
    async (request) => {
      const { id } = params(request);
      if (!(await service.getRow(id))) throw new HttpError(404, `no connection ${id}`, 'id');
      const rows = await db
        .selectFrom('checks')
        .select(['id', 'at', 'status', 'ok', 'round_trips', 'root_cause', 'trigger'])
        .where('connection_id', '=', id)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(500)
        .execute();
      return {
        checks: rows.map((r) => ({
          id: r.id,
          at: r.at,
          status: r.status,
          ok: Number(r.ok) === 1,
          roundTrips: Number(r.round_trips),
          rootCause: r.root_cause,
          trigger: r.trigger,
        })),
      };
    },
  );
  route(
    {
      method: 'PUT',
      path: '/api/connections/:id/credentials',
      summary: 'Replace the stored credentials and diagnose again',
      auth: 'management',
      tag: 'connections',
      params: S.idParams,
      body: S.updateCredentialsBody,
      responses: {
        200: { description: 'The new status and report', schema: S.answers.checkOutcome },
        404: { description: 'No such connection' },
      },
    },
    async (request) => {
      const { id } = params(request);
      const input = body(S.updateCredentialsBody, request);
      deps.secrets.addTransient(input.userPassword);
      const row = await service.getRow(id);
      if (!row) throw new HttpError(404, `no connection ${id}`, 'id');
      if (row.mode === 'oauth') {
        throw new HttpError(400, 'this connection uses OAuth; reconnect it through the Connect UI', 'id');
      }
      takeCredentialSlot(request, row.company_id);
      const outcome = await service.updateCredentials(id, input, actor(request));
      if (!outcome) throw new HttpError(404, `no connection ${id}`, 'id');
      return { status: outcome.status, report: outcome.report };
    },
  );
  route(
    {
      method: 'GET',
      path: '/api/issues',
      summary: 'Issues across connections',
      auth: 'management',
      tag: 'issues',
      query: S.issuesQuery,
      responses: { 200: { description: 'Issues, newest first', schema: S.answers.issues } },
    },
    async (request) => {
      const q = parseInput(S.issuesQuery, request.query, 'query');
      let query = db.selectFrom('issues').selectAll().orderBy('opened_at', 'desc');
      if (q.status) query = query.where('status', '=', q.status);
      if (q.connectionId) query = query.where('connection_id', '=', q.connectionId);
      return { issues: (await query.limit(1000).execute()).map(toIssueView) };
    },
  );
  route(
    {
      method: 'GET',
      path: '/api/audit',
      summary: 'Audit log, newest first (last 500)',
      auth: 'management',
      tag: 'audit',
      responses: { 200: { description: 'Entries', schema: S.answers.audit } },
    },
    async () => {
      const rows = await db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(500).execute();
      return {
        entries: rows.map((r) => ({
          id: Number(r.id),
          at: r.at,
          actor: r.actor,
          action: r.action,
          connectionId: r.connection_id,
          detail: JSON.parse(r.detail) as Record<string, unknown>,
        })),
      };
    },
  );

  // ---- webhooks ----
  route(
    {
      method: 'POST',
      path: '/api/webhooks',
      summary: 'Register a webhook endpoint; the signing secret is returned once',
      auth: 'management',
      tag: 'webhooks',
      body: S.webhookBody,
      responses: { 201: { description: 'Registered', schema: S.answers.webhook } },
    },
    async (request, reply) => {
      const input = body(S.webhookBody, request);
      const secret = input.secret ?? randomToken('whsec_', 24);
      deps.secrets.addFixed(secret);
      const sealed = keyring.seal(secret);
      const id = `whk_${randomUUID().replace(/-/g, '')}`;
      const events = input.events ?? [...WEBHOOK_EVENTS];
      const createdAt = nowIso();
      await db
        .insertInto('webhooks')
        .values({
          id,
          url: input.url,
          secret: sealed.blob,
          key_id: sealed.keyId,
          events: JSON.stringify(events),
          created_at: createdAt,
          deleted_at: null,
        })
        .execute();
      await service.audit(db, actor(request), 'webhook.created', null, { id, url: input.url, events });
      return reply
        .code(201)
        .send({ id, url: input.url, events, createdAt, ...(input.secret ? {} : { secret }) });
    },
  );
  route(
    {
      method: 'GET',
      path: '/api/webhooks',
      summary: 'Registered webhooks',
      auth: 'management',
      tag: 'webhooks',
      responses: { 200: { description: 'Webhooks', schema: S.answers.webhooks } },
    },
    async () => {
      const rows = await db
        .selectFrom('webhooks')
        .select(['id', 'url', 'events', 'created_at'])
        .where('deleted_at', 'is', null)
        .execute();
      return {
        webhooks: rows.map((r) => ({
          id: r.id,
          url: r.url,
          events: JSON.parse(r.events) as string[],
          createdAt: r.created_at,
        })),
      };
    },
  );
  route(
    {
      method: 'DELETE',
      path: '/api/webhooks/:id',
      summary: 'Remove a webhook',
      auth: 'management',
      tag: 'webhooks',
      params: S.idParams,
      responses: { 204: { description: 'Removed' }, 404: { description: 'No such webhook' } },
    },
    async (request, reply) => {
      const { id } = params(request);
      const res = await db
        .updateTable('webhooks')
        .set({ deleted_at: nowIso() })
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) throw new HttpError(404, `no webhook ${id}`, 'id');
      await service.audit(db, actor(request), 'webhook.deleted', null, { id });
      return reply.code(204).send();
    },
  );
  route(
    {
      method: 'GET',
      path: '/api/webhooks/deliveries',
      summary: 'Delivery log, newest first (last 500)',
      auth: 'management',
      tag: 'webhooks',
      responses: { 200: { description: 'Deliveries', schema: S.answers.deliveries } },
    },
    async () => {
      const rows = await db
        .selectFrom('deliveries')
        .selectAll()
        .orderBy('created_at', 'desc')
        .limit(500)
        .execute();
      return {
        deliveries: rows.map((d) => ({
          id: d.id,
          webhookId: d.webhook_id,
          eventId: d.event_id,
          event: d.event,
          status: d.status,
          attempts: Number(d.attempts),
          lastStatusCode: d.last_status_code === null ? null : Number(d.last_status_code),
          lastError: d.last_error,
          createdAt: d.created_at,
          deliveredAt: d.delivered_at,
          nextAttemptAt: d.next_attempt_at,
        })),
      };
    },
  );

  // ---- connect sessions ----
  const issueToken = async (ttlSeconds: number, customerRef: string | null, who: string) => {
    const token = randomToken('ct_');
    deps.secrets.addTransient(token);
    const id = `cs_${randomUUID().replace(/-/g, '')}`;
    const expiresAt = nowIso(Date.now() + ttlSeconds * 1000);
    await db
      .insertInto('connect_sessions')
      .values({
        id,
        token_hash: sha256Hex(token),
        customer_ref: customerRef,
        created_at: nowIso(),
        expires_at: expiresAt,
        actor: who,
      })
      .execute();
    await service.audit(db, who, 'connect_session.created', null, { id, customerRef, expiresAt });
    return { id, token, expiresAt };
  };
  route(
    {
      method: 'POST',
      path: '/api/connect-sessions',
      summary: 'Create a short-lived connect token for one customer (for the Connect UI)',
      auth: 'management',
      tag: 'connect',
      body: S.connectSessionBody,
      responses: { 201: { description: 'Token and the Connect UI URL', schema: S.answers.connectSession } },
    },
    async (request, reply) => {
      const input = parseInput(S.connectSessionBody, request.body ?? {}, 'body');
      const s = await issueToken(input.ttlSeconds ?? 3600, input.customerRef ?? null, actor(request));
      return reply.code(201).send({ ...s, url: `${baseUrl(request)}/?token=${s.token}` });
    },
  );
  route(
    {
      method: 'POST',
      path: '/api/connect/token',
      summary: 'Demo only: a connect token without a management key',
      auth: 'none',
      tag: 'connect',
      responses: {
        201: { description: 'Token', schema: S.answers.connectToken },
        403: { description: 'Not in demo / public-connect mode' },
      },
    },
    async (request, reply) => {
      if (!config.demo && !config.publicConnect) {
        throw new HttpError(
          403,
          'connect tokens come from POST /api/connect-sessions (management key) unless the server runs with --demo',
        );
      }
      const s = await issueToken(3600, null, `public:${request.ip}`);
      return reply.code(201).send({ token: s.token, expiresAt: s.expiresAt });
    },
  );
  route(
    {
      method: 'GET',
      path: '/api/connect/config',
      summary: 'What the Connect UI shows',
      auth: 'connect',
      tag: 'connect',
      responses: { 200: { description: 'Config', schema: S.answers.config } },
    },
    async () => ({
      appName: config.appName ?? 'Intacct Connect',
      senderId: config.senderId ?? null,
      oauth: { enabled: Boolean(deps.oauth) },
      suggestedUserId: config.suggestedUserId ?? 'svc_sync',
      requirements: requirementView(requirements),
      demo: Boolean(config.demo),
    }),
  );
  route(
    {
      method: 'POST',
      path: '/api/connect/precheck',
      summary: 'Company-level checks before the customer has credentials',
      auth: 'connect',
      tag: 'connect',
      body: S.precheckBody,
      responses: { 200: { description: 'Checks and findings', schema: S.answers.precheck } },
    },
    async (request) => {
      const input = body(S.precheckBody, request);
      takeCredentialSlot(request, input.companyId, precheckLimiter);
      const report = await service.diagnose({ companyId: input.companyId }, {}, 'company');
      return { checks: report.checks, findings: report.findings };
    },
  );
  route(
    {
      method: 'POST',
      path: '/api/connect/connections',
      summary: 'Connect (or reconnect) with live progress as Server-Sent Events',
      auth: 'connect',
      tag: 'connect',
      body: S.connectConnectionBody,
      responses: {
        200: {
          description: 'event: progress per step, then event: result',
          schema: S.answers.sse,
          contentType: 'text/event-stream',
        },
      },
    },
    async (request, reply) => {
      const input = body(S.connectConnectionBody, request);
      deps.secrets.addTransient(input.userPassword);
      const auth = request.auth!;
      if (input.connectionId) {
        const row = await service.getRow(input.connectionId);
        if (!row || row.connect_session_id !== auth.sessionId) {
          throw new HttpError(
            404,
            `no connection ${input.connectionId} for this connect token`,
            'connectionId',
          );
        }
        if (row.company_id.toLowerCase() !== input.companyId.toLowerCase()) {
          throw new HttpError(400, 'companyId differs from the connection being updated', 'companyId');
        }
      }
      takeCredentialSlot(request, input.companyId);
      const session = await db
        .selectFrom('connect_sessions')
        .select('customer_ref')
        .where('id', '=', auth.sessionId)
        .executeTakeFirst();
      reply.hijack();
      const raw = reply.raw;
      const headers: Record<string, string> = {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      };
      securityHeaders((k, v) => {
        headers[k] ??= v;
      }, true);
      raw.writeHead(200, headers);
      // The browser may go away mid-diagnosis; the connection is still stored, the stream just ends.
      raw.on('error', () => undefined);
      const send = (event: string, data: unknown) => {
        if (!raw.writableEnded && !raw.destroyed)
          raw.write(`event: ${event}\ndata: ${deps.secrets.scrub(JSON.stringify(data))}\n\n`);
      };
      const onProgress = (event: ProgressEvent) => send('progress', event);
      try {
        const outcome = input.connectionId
          ? await service.updateCredentials(
              input.connectionId,
              { userId: input.userId, userPassword: input.userPassword, entityId: input.entityId ?? '' },
              auth.actor,
              { onProgress },
            )
          : await service.create(input, auth.actor, {
              onProgress,
              connectSessionId: auth.sessionId,
              customerRef: session?.customer_ref ?? null,
            });
        if (!outcome) send('error', errorBody('the connection was deleted meanwhile', 'connectionId'));
        else send('result', { id: outcome.id, status: outcome.status, report: outcome.report });
      } catch (error) {
        request.log.error({ err: error }, 'connect failed');
        send('error', errorBody('internal error'));
      } finally {
        if (!raw.destroyed) raw.end();
      }
    },
  );
  route(
    {
      method: 'GET',
      path: '/api/connect/connections/:id',
      summary: 'A connection created with this connect token',
      auth: 'connect',
      tag: 'connect',
      params: S.idParams,
      responses: {
        200: { description: 'The connection', schema: S.answers.connection },
        404: { description: 'Not found for this token' },
      },
    },
    async (request) => {
      const { id } = params(request);
      const row = await service.getRow(id);
      if (!row || row.connect_session_id !== request.auth!.sessionId)
        throw new HttpError(404, `no connection ${id} for this connect token`, 'id');
      return service.get(id);
    },
  );
  route(
    {
      method: 'GET',
      path: '/api/connect/oauth/start',
      summary: 'Start the OAuth authorization-code flow (PKCE); state and verifier stay on the server',
      auth: 'connect',
      tag: 'connect',
      responses: {
        200: { description: 'Where to send the browser', schema: S.answers.authorizeUrl },
        404: { description: 'No OAuth client configured' },
      },
    },
    async (request) => {
      if (!deps.oauth)
        throw new HttpError(404, 'OAuth is not configured (INTACCT_CLIENT_ID / INTACCT_CLIENT_SECRET)');
      const redirectUri = `${baseUrl(request)}/oauth/callback`;
      const req = await deps.oauth.authorizationRequest(redirectUri);
      const sealed = keyring.seal(req.codeVerifier);
      await db
        .insertInto('oauth_states')
        .values({
          state_hash: sha256Hex(req.state),
          session_id: request.auth!.sessionId,
          verifier: sealed.blob,
          key_id: sealed.keyId,
          created_at: nowIso(),
          expires_at: nowIso(Date.now() + 15 * 60_000),
        })
        .execute();
      return { authorizeUrl: req.url };
    },
  );
  route(
    {
      method: 'GET',
      path: '/oauth/callback',
      summary: 'OAuth redirect target: exchanges the code, diagnoses, stores, then redirects to the UI',
      auth: 'none',
      tag: 'connect',
      query: S.oauthCallbackQuery,
      responses: { 302: { description: 'To /#/oauth-result/<id> or /#/oauth-error/<reason>' } },
    },
    async (request, reply) => {
      const q = parseInput(S.oauthCallbackQuery, request.query, 'query');
      if (!deps.oauth) throw new HttpError(404, 'OAuth is not configured');
      if (!q.state) throw new HttpError(400, 'state is required', 'state');
      const stateHash = sha256Hex(q.state);
      const row = await db
        .selectFrom('oauth_states')
        .selectAll()
        .where('state_hash', '=', stateHash)
        .executeTakeFirst();
      await db.deleteFrom('oauth_states').where('state_hash', '=', stateHash).execute();
      if (!row || row.expires_at <= nowIso()) return reply.redirect('/#/oauth-error/state_mismatch');
      if (q.error) return reply.redirect(`/#/oauth-error/${encodeURIComponent(q.error)}`);
      if (!q.code) return reply.redirect('/#/oauth-error/missing_code');
      try {
        const id = await deps.oauth.complete({
          code: q.code,
          codeVerifier: keyring.open(row.verifier),
          redirectUri: `${baseUrl(request)}/oauth/callback`,
          connectSessionId: row.session_id,
          customerRef: row.session_id
            ? ((
                await db
                  .selectFrom('connect_sessions')
                  .select('customer_ref')
                  .where('id', '=', row.session_id)
                  .executeTakeFirst()
              )?.customer_ref ?? null)
            : null,
        });
        return reply.redirect(`/#/oauth-result/${id}`);
      } catch (error) {
        const reason = (error as { reason?: string }).reason ?? 'exchange_failed';
        request.log.warn({ reason }, 'OAuth callback failed');
        return reply.redirect(`/#/oauth-error/${encodeURIComponent(reason)}`);
      }
    },
  );

  // ---- help and explain (public) ----
  route(
    {
      method: 'GET',
      path: '/api/help/articles',
      summary: 'Help articles (causes and setup guides); ?q= searches',
      auth: 'none',
      tag: 'help',
      query: S.articlesQuery,
      responses: { 200: { description: 'Articles', schema: S.answers.articles } },
    },
    async (request) => {
      const q = parseInput(S.articlesQuery, request.query, 'query');
      if (!deps.help) return { articles: [] };
      const list = q.q ? deps.help.searchArticles(q.q) : deps.help.listArticles();
      return { articles: list.map(({ id, kind, title, summary }) => ({ id, kind, title, summary })) };
    },
  );
  route(
    {
      method: 'GET',
      path: '/api/help/articles/:id',
      summary: 'One help article',
      auth: 'none',
      tag: 'help',
      params: S.idParams,
      responses: {
        200: { description: 'The article', schema: S.answers.article },
        404: { description: 'No such article' },
      },
    },
    async (request) => {
      const { id } = params(request);
      const article = deps.help?.getArticle(id);
      if (!article) throw new HttpError(404, `no article ${id}`, 'id');
      return article;
    },
  );
  route(
    {
      method: 'POST',
      path: '/api/explain',
      summary: 'Explain a pasted error, as `intacct-connect explain --json`',
      auth: 'none',
      tag: 'help',
      body: S.explainBody,
      responses: { 200: { description: 'Matches, best first', schema: S.answers.explain } },
    },
    async (request) => {
      const input = body(S.explainBody, request);
      if (!deps.explain) return { matches: [] };
      return await deps.explain(input.text);
    },
  );

  app.addHook('onClose', async () => {
    await dispatcher.stop();
  });

  return { app, service, dispatcher, routes };
}
