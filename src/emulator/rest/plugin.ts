import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MODULES, OBJECTS, type ObjectInfo, OPERATION_ERROR_NAMES } from '../../shared/objects.js';
import type { EmulatorContext } from '../context.js';
import { type EnvelopeShape, type ErrorSpec, gw, sendError } from '../oauth/envelopes.js';
import { oauthState } from '../oauth/state.js';
import { type BearerCheck, checkBearer } from '../oauth/tokens.js';
import { objectDef } from '../records.js';
import { checkEntityAccess } from '../signin.js';
import type { Company, Right } from '../world/schema.js';
import { applyFilters, applyOrder, type Filter, pickFields, QueryError, type Row } from './query.js';

const BASE = '/ia/api/v1';
const LIST_PAGE_MAX = 100;
const QUERY_SIZE_MAX = 4000;
const SESSION_EXPIRES_IN = 21_600;

/** A REST object path resolved to the API object whose rights govern it. */
interface RestObject {
  path: string;
  /** The API object (rights, module). */
  object: string;
  info: ObjectInfo | undefined;
  moduleId: string;
  source: 'records' | 'users' | 'role-permission-assignment' | 'permission';
}

export function resolveRestObject(path: string): RestObject | undefined {
  const [module, name, ...rest] = path.split('/');
  if (!module || !name || rest.length) return undefined;
  if (module === 'company-config' && (name === 'role-permission-assignment' || name === 'permission')) {
    return { path, object: 'ROLES', info: OBJECTS.ROLES, moduleId: 'company', source: name };
  }
  for (const info of Object.values(OBJECTS)) {
    if (info.restObject === name && MODULES[info.module].restModule === module) {
      return {
        path,
        object: info.object,
        info,
        moduleId: info.module,
        source: info.object === 'USERINFO' ? 'users' : 'records',
      };
    }
  }
  return undefined;
}

type Authorized = Extract<BearerCheck, { ok: true }> & { entity: string | undefined };

class RestFailure {
  constructor(
    readonly status: number,
    readonly shape: EnvelopeShape,
    readonly spec: ErrorSpec,
  ) {}
}

const lowerKeys = (rec: Record<string, string>): Row =>
  Object.fromEntries(Object.entries(rec).map(([k, v]) => [k.toLowerCase(), v]));

function rowsOf(ctx: EmulatorContext, company: Company, obj: RestObject): Row[] {
  const href = (key: string) => `/objects/${obj.path}/${key}`;
  switch (obj.source) {
    case 'users':
      return company.users.map((u, i) => ({
        key: String(i + 1),
        id: u.id,
        href: href(String(i + 1)),
        userName: u.name ?? u.id,
        userType: u.type,
        adminPrivileges: u.admin,
        status: u.status === 'locked_out' ? 'lockedOut' : u.status,
        webServices: { isEnabled: true, isRestricted: u.webServicesOnly },
        entityAccess: {
          allowUnrestrictedAccess: u.entities === 'all',
          allowTopLevelAccess: u.topLevelAccess,
        },
        entities: u.entities === 'all' ? [] : u.entities.map((id) => ({ id })),
        roles: u.roles.map((id) => ({ id })),
        email: u.email ?? '',
      }));
    case 'role-permission-assignment': {
      const rows: Row[] = [];
      for (const role of company.roles) {
        for (const [object, rights] of Object.entries(role.permissions)) {
          const info = OBJECTS[object];
          const key = String(rows.length + 1);
          rows.push({
            key,
            id: `${role.name}:${object}`,
            href: href(key),
            role: { id: role.name },
            permission: {
              id: info?.permission ?? object,
              module: info ? MODULES[info.module].name : '',
              object,
            },
            accessRights: rights,
          });
        }
      }
      return rows;
    }
    case 'permission':
      return Object.values(OBJECTS).map((info, i) => ({
        key: String(i + 1),
        id: `${MODULES[info.module].restModule}/${info.permission}`,
        href: href(String(i + 1)),
        module: MODULES[info.module].name,
        name: info.permission,
        object: info.object,
      }));
    case 'records': {
      const nameField = objectDef(obj.object).nameField;
      return ctx.records(company, obj.object).map((rec) => ({
        key: rec.RECORDNO ?? '',
        id: rec[nameField] ?? rec.RECORDNO ?? '',
        href: href(rec.RECORDNO ?? ''),
        ...lowerKeys(rec),
      }));
    }
  }
}

const okMeta = { totalCount: 1, totalSuccess: 1, totalError: 0 };

/** The REST API subset under /ia/api/v1/objects and /ia/api/v1/services. */
export async function restRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const state = await oauthState(ctx);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const started = new WeakMap<FastifyRequest, { at: number; company?: string; user?: string }>();

  app.addHook('onRequest', async (req) => {
    started.set(req, { at: Date.now() });
    ctx.count('rest');
  });
  app.addHook('onResponse', async (req, reply) => {
    const s = started.get(req);
    ctx.log({
      at: new Date().toISOString(),
      api: 'rest',
      method: req.method,
      path: req.url.split('?')[0]!,
      status: reply.statusCode,
      ms: Date.now() - (s?.at ?? Date.now()),
      ...(s?.company ? { company: s.company } : {}),
      ...(s?.user ? { user: s.user } : {}),
    });
  });

  const tokenFailure = (check: Exclude<BearerCheck, { ok: true }>): RestFailure => {
    const b = ctx.behaviours;
    switch (check.problem) {
      case 'no_bearer':
        return new RestFailure(401, 'D', gw('0034'));
      case 'malformed':
        return new RestFailure(401, 'D', gw('0031'));
      case 'expired':
        return b.expiredToken === 'documented'
          ? new RestFailure(401, 'D', gw('0040'))
          : new RestFailure(400, 'B', {
              code: 'invalidRequest',
              errorId: 'REST-1206',
              message: 'The token is not valid',
            });
      default:
        return new RestFailure(401, b.invalidTokenShape, {
          code: 'tokenInvalid',
          errorId: 'REST-2102',
          message: 'Token is not valid',
          messageId: 'IA.TOKEN_IS_INVALID',
        });
    }
  };

  /** Token, then faults, then the entity the call runs in (header over the token's default). */
  async function authorize(
    req: FastifyRequest,
    reply: FastifyReply,
    object?: string,
  ): Promise<Authorized | undefined> {
    const check = await checkBearer(ctx, state, req.headers.authorization);
    if (!check.ok) throw tokenFailure(check);
    const s = started.get(req);
    if (s) Object.assign(s, { company: check.company.id, user: check.user.id });
    const path = req.url.split('?')[0]!;
    if (
      await ctx.applyFault(req, reply, {
        api: 'rest',
        company: check.company.id,
        path,
        ...(object ? { object } : {}),
      })
    ) {
      return undefined;
    }
    const header = req.headers['x-ia-api-param-entity'];
    let entity = check.entityId;
    if (typeof header === 'string' && header !== '') {
      const known = check.company.entities.some((e) => e.id === header);
      if (!known) {
        const mode = ctx.behaviours.unknownEntityHeader;
        if (mode === '400') {
          throw new RestFailure(400, 'A', {
            code: 'invalidRequest',
            message: `Entity '${header}' is not valid`,
          });
        }
        if (mode === '403') {
          throw new RestFailure(403, 'A', {
            code: ctx.behaviours.rest403Code,
            message: `Entity '${header}' is not valid`,
          });
        }
      } else {
        entity = header;
      }
    }
    return { ...check, entity };
  }

  function checkEntity(auth: Authorized, allowTopLevelRead: boolean): void {
    const result = checkEntityAccess(auth.company, auth.user, auth.entity);
    if (result.ok) return;
    if (result.reason === 'top_level_denied') {
      if (allowTopLevelRead) return;
      throw new RestFailure(403, 'A', {
        code: ctx.behaviours.rest403Code,
        message: `User ${auth.user.id} is restricted to entities and cannot work at the top level. Select an entity.`,
      });
    }
    throw new RestFailure(403, 'A', {
      code: ctx.behaviours.rest403Code,
      message: `User ${auth.user.id} does not have access to entity '${auth.entity ?? ''}'`,
    });
  }

  function checkObjectAccess(auth: Authorized, obj: RestObject, right: Right, operation: string): void {
    if (!auth.company.modules.includes(obj.moduleId)) {
      const name = MODULES[obj.moduleId as keyof typeof MODULES]?.name ?? obj.moduleId;
      throw new RestFailure(400, 'A', {
        code: 'invalidRequest',
        message: `The ${name} application is not subscribed, so ${obj.path} is not available`,
        details: [{ code: 'moduleNotSubscribed', message: `${name} is not subscribed` }],
      });
    }
    const rights = ctx.effectiveRights(auth.company, auth.user).get(obj.object);
    if (!rights?.has(right)) {
      const opName = OPERATION_ERROR_NAMES[operation] ?? operation.toUpperCase();
      const message = `You do not have permission for API operation ${opName} on objects of type ${obj.object}`;
      throw new RestFailure(403, 'A', {
        code: ctx.behaviours.rest403Code,
        message,
        details: [{ code: ctx.behaviours.rest403Code, message: `${obj.path}: ${right} permission required` }],
      });
    }
  }

  const handle =
    (fn: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        return await fn(req, reply);
      } catch (error) {
        if (error instanceof RestFailure) return sendError(reply, ctx, error.status, error.shape, error.spec);
        if (error instanceof QueryError) {
          return sendError(reply, ctx, 400, 'A', { code: 'invalidRequest', message: error.message });
        }
        throw error;
      }
    };

  const jsonBody = (req: FastifyRequest): Record<string, unknown> => {
    const type = String(req.headers['content-type'] ?? '');
    if (/xml/i.test(type)) throw new RestFailure(415, 'D', gw('0014'));
    const text = typeof req.body === 'string' ? req.body : '';
    try {
      const parsed: unknown = text ? JSON.parse(text) : {};
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // reported below
    }
    throw new RestFailure(400, 'A', {
      code: 'invalidRequest',
      message: 'The request body is not a JSON object',
    });
  };

  const paramsOf = (req: FastifyRequest) => new URLSearchParams(req.url.split('?')[1] ?? '');

  app.route({
    method: ['GET', 'POST', 'PATCH', 'DELETE'],
    url: `${BASE}/objects/*`,
    handler: handle(async (req, reply) => {
      const rest = (req.params as { '*': string })['*'].replace(/\/+$/, '');
      const parts = rest.split('/');
      const key = parts.length === 3 ? decodeURIComponent(parts[2]!) : undefined;
      const obj = resolveRestObject(parts.slice(0, 2).join('/'));
      if (!obj || parts.length > 3) {
        throw new RestFailure(404, 'A', {
          code: 'invalidRequest',
          message: `Malformed URL: /objects/${rest}`,
        });
      }
      const auth = await authorize(req, reply, obj.object);
      if (!auth) return reply;
      checkEntity(auth, obj.object === 'LOCATIONENTITY' && !key && req.method === 'GET');
      if (req.method === 'GET' && !key) {
        checkObjectAccess(auth, obj, 'list', 'readByQuery');
        const q = paramsOf(req);
        const start = Math.max(1, Number(q.get('start') ?? 1) || 1);
        const size = Math.min(
          LIST_PAGE_MAX,
          Math.max(1, Number(q.get('size') ?? LIST_PAGE_MAX) || LIST_PAGE_MAX),
        );
        const rows = rowsOf(ctx, auth.company, obj);
        const page = rows
          .slice(start - 1, start - 1 + size)
          .map((r) => ({ key: r.key, id: r.id, href: r.href }));
        return reply.send({ 'ia::result': page, 'ia::meta': pageMeta(rows.length, start, size) });
      }
      if (req.method === 'GET' && key) {
        checkObjectAccess(auth, obj, 'view', 'read');
        const row = rowsOf(ctx, auth.company, obj).find((r) => r.key === key);
        if (!row) {
          throw new RestFailure(404, 'A', {
            code: 'invalidKey',
            message: `No ${obj.path} record with key ${key}`,
          });
        }
        return reply.send({ 'ia::result': row, 'ia::meta': okMeta });
      }
      if (req.method === 'POST' && !key) {
        checkObjectAccess(auth, obj, 'add', 'create');
        const body = jsonBody(req);
        if (obj.source !== 'records') {
          throw new RestFailure(405, 'A', {
            code: 'invalidRequest',
            message: `Create is not supported on ${obj.path} here`,
          });
        }
        const def = objectDef(obj.object);
        const id = typeof body.id === 'string' ? body.id : undefined;
        if (!id) {
          throw new RestFailure(422, 'A', {
            code: 'operationFailed',
            message: `Could not create ${obj.path} record`,
            details: [{ code: 'BL01001973', message: 'Required field id is missing' }],
          });
        }
        const records = ctx.records(auth.company, obj.object);
        if (records.some((r) => r[def.nameField] === id)) {
          throw new RestFailure(409, 'A', {
            code: 'operationFailed',
            message: `Another ${obj.path} with id ${id} already exists`,
            details: [{ code: 'BL34000061', message: 'Use a unique value instead.' }],
          });
        }
        const recordNo = String(records.reduce((m, r) => Math.max(m, Number(r.RECORDNO) || 0), 0) + 1);
        const rec: Record<string, string> = { RECORDNO: recordNo, [def.nameField]: id };
        for (const [k, v] of Object.entries(body)) {
          if (
            k !== 'id' &&
            k !== 'key' &&
            (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
          ) {
            rec[k.toUpperCase()] = String(v);
          }
        }
        records.push(rec);
        return reply.code(201).send({
          'ia::result': { key: recordNo, id, href: `/objects/${obj.path}/${recordNo}` },
          'ia::meta': okMeta,
        });
      }
      throw new RestFailure(405, 'A', {
        code: 'invalidRequest',
        message: `${req.method} is not supported on ${obj.path} here`,
      });
    }),
  });

  app.post(
    `${BASE}/services/core/query`,
    handle(async (req, reply) => {
      const auth = await authorize(req, reply);
      if (!auth) return reply;
      const body = jsonBody(req);
      for (const misplaced of ['includePrivate', 'caseSensitiveComparison']) {
        if (misplaced in body) {
          throw new RestFailure(400, 'A', {
            code: 'invalidRequest',
            message: `${misplaced} is not a query property; put it inside filterParameters`,
          });
        }
      }
      const obj = typeof body.object === 'string' ? resolveRestObject(body.object) : undefined;
      if (!obj) {
        throw new RestFailure(400, 'A', {
          code: 'invalidRequest',
          message: `Unknown object ${String(body.object ?? '')}`,
        });
      }
      checkEntity(auth, obj.object === 'LOCATIONENTITY');
      checkObjectAccess(auth, obj, 'list', 'query');
      let size = body.size === undefined ? 100 : Number(body.size);
      if (!Number.isInteger(size) || size < 1) {
        throw new RestFailure(400, 'A', {
          code: 'invalidRequest',
          message: 'size must be a positive integer',
        });
      }
      if (size > QUERY_SIZE_MAX) {
        if (ctx.behaviours.querySizeOver4000 === 'reject') {
          throw new RestFailure(400, 'A', {
            code: 'invalidRequest',
            message: `size must not exceed ${QUERY_SIZE_MAX}`,
          });
        }
        size = QUERY_SIZE_MAX;
      }
      const start = body.start === undefined ? 1 : Math.max(1, Number(body.start) || 1);
      const params = (body.filterParameters ?? {}) as { caseSensitiveComparison?: boolean };
      const filtered = applyOrder(
        applyFilters(
          rowsOf(ctx, auth.company, obj),
          body.filters as Filter[] | undefined,
          typeof body.filterExpression === 'string' ? body.filterExpression : undefined,
          params.caseSensitiveComparison === true,
        ),
        body.orderBy as Array<Record<string, string>> | undefined,
      );
      const fields = Array.isArray(body.fields) ? body.fields.map(String) : ['key', 'id', 'href'];
      const page = filtered.slice(start - 1, start - 1 + size).map((r) => pickFields(r, fields));
      return reply.send({ 'ia::result': page, 'ia::meta': pageMeta(filtered.length, start, size) });
    }),
  );

  app.get(
    `${BASE}/services/core/session/id`,
    handle(async (req, reply) => {
      const auth = await authorize(req, reply);
      if (!auth) return reply;
      const senderId = ctx.world.clients.find((c) => c.id === auth.grant.clientId)?.sender;
      const session = ctx.sessions.create({
        companyId: auth.company.id,
        userId: auth.user.id,
        ...(auth.entity ? { entityId: auth.entity } : {}),
        ...(senderId ? { senderId } : {}),
      });
      return reply.send({
        'ia::result': { sessionId: session.sessionId, expiresIn: SESSION_EXPIRES_IN },
        'ia::meta': okMeta,
      });
    }),
  );

  app.route({
    method: ['GET', 'POST'],
    url: `${BASE}/services/*`,
    handler: handle(async (req) => {
      throw new RestFailure(404, 'A', {
        code: 'invalidRequest',
        message: `Malformed URL: ${req.url.split('?')[0]}`,
      });
    }),
  });

  app.route({
    method: ['GET', 'POST', 'PATCH', 'DELETE'],
    url: '/ia/api/:version/*',
    handler: handle(async (req) => {
      const { version } = req.params as { version: string };
      if (version !== 'v1') {
        throw new RestFailure(400, 'A', { code: 'invalidRequest', message: 'Version is not supported.' });
      }
      throw new RestFailure(404, 'A', {
        code: 'invalidRequest',
        message: `Malformed URL: ${req.url.split('?')[0]}`,
      });
    }),
  });
}

function pageMeta(total: number, start: number, size: number) {
  const nextStart = start + size;
  return {
    totalCount: total,
    start,
    pageSize: size,
    next: nextStart <= total ? nextStart : null,
    previous: start > 1 ? Math.max(1, start - size) : null,
  };
}
