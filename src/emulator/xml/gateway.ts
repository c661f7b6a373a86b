import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext, SignInStep } from '../context.js';
import { cloudflareHtml, gatewayErrorXml, RATE_LIMIT_TEXT, sleep, XML_CONTENT_TYPE } from '../faults.js';
import { DEMO_EXPIRED_TEXT, SENDER_NOT_AUTHORIZED, SUBSCRIPTION_OFF_TEXT } from '../signin.js';
import type { Company, User } from '../world/schema.js';
import {
  authFailureXml,
  authSuccessXml,
  type ControlEcho,
  controlXml,
  el,
  errorMessageXml,
  responseXml,
  type XmlError,
} from './build.js';
import { type FunctionEnv, functionObject, ResultStore, runFunction } from './functions.js';
import {
  type ControlInput,
  controlEcho,
  type OperationInput,
  type RequestInput,
  validateRequest,
} from './request.js';
import { parseXml } from './tree.js';

export const GATEWAY_PATH = '/ia/xml/xmlgw.phtml';

const ROLLBACK: XmlError = {
  errorno: 'XL03000009',
  description: '',
  description2: 'The entire transaction in this operation has been rolled back due to an error.',
};
const OFFLINE: XmlError = {
  errorno: '',
  description: 'The Service is Temporarily Off-line',
  description2: 'The Service is Temporarily Off-line',
  correction: 'Please Try Again Later.',
};

/** An answer the handler sends; `status` 200 unless a gateway-tier failure. */
interface Answer {
  status: number;
  body: string;
  type?: string;
  drop?: boolean;
  headers?: Record<string, string>;
}

const echoOf = (c: ControlInput): ControlEcho => ({
  senderid: c.senderid,
  controlid: c.controlid,
  uniqueid: c.uniqueid,
  dtdversion: c.dtdversion,
});

const EMPTY_ECHO: ControlEcho = { senderid: '', controlid: '', uniqueid: 'false', dtdversion: '3.0' };

function controlFailure(echo: ControlEcho, errors: XmlError[]): Answer {
  return { status: 200, body: responseXml(`${controlXml('failure', echo)}${errorMessageXml(errors)}`) };
}

function gatewayFailure(status: number, errorno: string, description: string): Answer {
  return { status, body: gatewayErrorXml(errorno, description) };
}

/** Per-company concurrency (reference U11): a few requests run, the next wait, then GW-0010. */
class CompanyGate {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();
  constructor(private readonly ctx: EmulatorContext) {}

  async acquire(company: string): Promise<boolean> {
    const limit = this.ctx.behaviours.concurrencyLimit;
    const n = this.active.get(company) ?? 0;
    if (n < limit) {
      this.active.set(company, n + 1);
      return true;
    }
    const queueMs = this.ctx.behaviours.concurrencyQueueMs;
    if (queueMs <= 0) return false;
    return new Promise<boolean>((resolve) => {
      const list = this.waiting.get(company) ?? [];
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const i = list.indexOf(wake);
        if (i >= 0) list.splice(i, 1);
        resolve(false);
      }, queueMs);
      list.push(wake);
      this.waiting.set(company, list);
    });
  }

  release(company: string): void {
    const next = this.waiting.get(company)?.shift();
    // The slot passes straight to the next waiter, so the active count stays as it is.
    if (next) next();
    else {
      const n = (this.active.get(company) ?? 1) - 1;
      if (n <= 0) this.active.delete(company);
      else this.active.set(company, n);
    }
  }
}

interface OperationOutcome {
  xml: string;
  company?: string;
  user?: string;
  /** A gateway-tier answer replaces the whole response. */
  gateway?: Answer;
}

export async function xmlGatewayRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const results = new ResultStore();
  const seenControlIds = new Set<string>();
  const gate = new CompanyGate(ctx);
  ctx.onReset(() => {
    results.clear();
    seenControlIds.clear();
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const send = (reply: FastifyReply, a: Answer) => {
    if (a.drop) {
      reply.hijack();
      reply.raw.socket?.destroy();
      return;
    }
    if (a.headers) reply.headers(a.headers);
    reply
      .code(a.status)
      .type(a.type ?? XML_CONTENT_TYPE)
      .send(a.body);
  };

  app.post(GATEWAY_PATH, async (req, reply) => {
    const started = performance.now();
    ctx.count('xml');
    const body = typeof req.body === 'string' ? req.body : '';
    const contentType = String(req.headers['content-type'] ?? '');
    const log = (
      status: number,
      extra: { company?: string; user?: string; functions?: string[]; note?: string },
    ) =>
      ctx.log({
        at: new Date(ctx.now()).toISOString(),
        api: 'xml',
        method: 'POST',
        path: GATEWAY_PATH,
        status,
        ms: Math.round(performance.now() - started),
        ...extra,
      });

    if (/json/i.test(contentType)) {
      const a = controlFailure(EMPTY_ECHO, [
        {
          errorno: 'XL03000003',
          description2:
            "XML Parse schema error: Fatal Error 4: Start tag expected, '<' not found (JSON is not accepted; send application/xml).",
        },
      ]);
      await maybeFault(req, reply, undefined);
      if (reply.sent) return reply;
      log(a.status, { note: 'json body' });
      send(reply, a);
      return reply;
    }

    const parsed = parseXml(body);
    const valid = parsed.ok ? validateRequest(parsed.root) : undefined;
    const request = valid?.ok ? valid.request : undefined;

    // A request holds one of its company's slots for as long as it is being answered, latency included.
    const companyKey = request ? companyKeyOf(request) : undefined;
    if (companyKey !== undefined && !(await gate.acquire(companyKey))) {
      const a = gatewayFailure(429, 'GW-0010', `${RATE_LIMIT_TEXT} [Request ID: ${ctx.requestId()}]`);
      if (ctx.behaviours.retryAfterOnXml429) a.headers = { 'retry-after': '1' };
      log(a.status, { company: companyKey, note: 'concurrency limit' });
      send(reply, a);
      return reply;
    }
    try {
      if (ctx.world.latencyMs > 0) await sleep(ctx.world.latencyMs);
      if (await maybeFault(req, reply, request)) {
        log(reply.statusCode, { note: 'fault' });
        return reply;
      }
      return await answerRequest(req, reply, parsed, valid, request, log);
    } finally {
      if (companyKey !== undefined) gate.release(companyKey);
    }
  });

  function companyKeyOf(request: RequestInput): string | undefined {
    const op = request.operations[0];
    if (!op) return undefined;
    if (op.auth.kind === 'login') return (op.auth.companyid.split('|')[0] ?? '').toLowerCase();
    return ctx.sessions.peek(op.auth.sessionid)?.companyId.toLowerCase();
  }

  async function answerRequest(
    req: FastifyRequest,
    reply: FastifyReply,
    parsed: ReturnType<typeof parseXml>,
    valid: ReturnType<typeof validateRequest> | undefined,
    request: RequestInput | undefined,
    log: (
      status: number,
      extra: { company?: string; user?: string; functions?: string[]; note?: string },
    ) => void,
  ) {
    let answer: Answer;
    let meta: { company?: string; user?: string; functions?: string[] } = {};
    if (!parsed.ok) {
      answer = controlFailure(
        EMPTY_ECHO,
        parsed.errors.map((d) => ({ errorno: 'XL03000003', description2: d })),
      );
    } else if (!valid?.ok) {
      const echo = echoOf(controlEcho(parsed.root));
      answer = controlFailure(
        echo,
        (valid?.ok === false ? valid.errors : []).map((d) => ({
          errorno: 'XL03000003',
          description2: `${d} [Support ID: ${ctx.supportId()}]`,
        })),
      );
    } else {
      const r = await handle(req, request!);
      answer = r.answer;
      meta = r.meta;
    }
    log(answer.status, meta);
    send(reply, answer);
    return reply;
  }

  /** Fault rules match on the first function, its object and the company the request names. */
  async function maybeFault(req: FastifyRequest, reply: FastifyReply, request: RequestInput | undefined) {
    const op = request?.operations[0];
    const fn = op?.functions[0];
    let company: string | undefined;
    if (op?.auth.kind === 'login') company = op.auth.companyid.split('|')[0];
    else if (op?.auth.kind === 'session') company = ctx.sessions.peek(op.auth.sessionid)?.companyId;
    const object = fn ? functionObject(fn) : undefined;
    return ctx.applyFault(
      req,
      reply,
      {
        api: 'xml',
        path: GATEWAY_PATH,
        ...(fn ? { function: fn.name } : {}),
        ...(object ? { object } : {}),
        ...(company !== undefined ? { company } : {}),
      },
      { offlineXml: () => offlineXml(request) },
    );
  }

  function offlineXml(request: RequestInput | undefined): string {
    if (!request) return responseXml(`${controlXml('failure', EMPTY_ECHO)}${errorMessageXml([OFFLINE])}`);
    let out = controlXml('success', echoOf(request.control));
    for (const op of request.operations) {
      const userid = op.auth.kind === 'login' ? op.auth.userid : '';
      const companyid = op.auth.kind === 'login' ? op.auth.companyid : '';
      out += `<operation><authentication><status>success</status>${el('userid', userid)}${el('companyid', companyid)}</authentication>`;
      for (const fn of op.functions) {
        out += `<result><status>failure</status>${el('function', fn.name)}${el('controlid', fn.controlid)}${errorMessageXml([OFFLINE])}</result>`;
      }
      out += '</operation>';
    }
    return responseXml(out);
  }

  async function handle(
    req: FastifyRequest,
    request: RequestInput,
  ): Promise<{ answer: Answer; meta: { company?: string; user?: string; functions?: string[] } }> {
    const control = request.control;
    const echo = echoOf(control);
    const functions = request.operations.flatMap((o) => o.functions.map((f) => f.name));

    // Control layer: sender credentials, transport policy, then the company's own state.
    const sender = ctx.world.senders.find((s) => s.id === control.senderid);
    if (!sender || sender.password !== control.password || sender.status !== 'active') {
      return {
        answer: controlFailure(echo, [
          { errorno: 'XL03000006', description2: 'Incorrect Intacct XML Partner ID or password.' },
        ]),
        meta: { functions },
      };
    }
    if (control.policyid !== undefined) {
      return {
        answer: controlFailure(echo, [
          { errorno: 'XL03000006', description2: `${control.policyid} is not a valid transport policy.` },
        ]),
        meta: { functions },
      };
    }
    for (const op of request.operations) {
      const company = companyOf(op);
      if (!company) continue;
      if (company.kind === 'trial_expired') {
        return {
          answer: controlFailure(EMPTY_ECHO, [{ errorno: 'PL04000055', description2: DEMO_EXPIRED_TEXT }]),
          meta: { company: company.id, functions },
        };
      }
      if (!company.webServices && ctx.behaviours.subscriptionOffLayer === 'control') {
        return {
          answer: controlFailure(echo, [
            { errorno: ctx.behaviours.subscriptionOffErrorno, description2: SUBSCRIPTION_OFF_TEXT },
          ]),
          meta: { company: company.id, functions },
        };
      }
    }

    let out = controlXml('success', echo);
    let meta: { company?: string; user?: string; functions?: string[] } = { functions };
    for (const op of request.operations) {
      const r = await runOperation(req, control, op);
      if (r.gateway) return { answer: r.gateway, meta: { ...meta, ...pick(r) } };
      out += r.xml;
      meta = { ...meta, ...pick(r) };
    }
    return { answer: { status: 200, body: responseXml(out) }, meta };
  }

  function pick(r: OperationOutcome) {
    return { ...(r.company ? { company: r.company } : {}), ...(r.user ? { user: r.user } : {}) };
  }

  function companyOf(op: OperationInput): Company | undefined {
    if (op.auth.kind === 'login') return ctx.findCompany(op.auth.companyid.split('|')[0] ?? '');
    const s = ctx.sessions.peek(op.auth.sessionid);
    return s ? ctx.findCompany(s.companyId) : undefined;
  }

  async function runOperation(
    req: FastifyRequest,
    control: ControlInput,
    op: OperationInput,
  ): Promise<OperationOutcome> {
    const authFail = (userid: string, companyid: string, errors: XmlError[]): OperationOutcome => ({
      xml: `<operation>${authFailureXml(userid, companyid)}${errorMessageXml(errors)}</operation>`,
      ...(companyid ? { company: companyid } : {}),
      ...(userid ? { user: userid } : {}),
    });

    let company: Company;
    let user: User;
    let entityId: string | undefined;
    let sessionId: string | undefined;
    let expiresAt: number;

    if (op.auth.kind === 'session') {
      const session = op.auth.sessionid ? ctx.sessions.get(op.auth.sessionid) : undefined;
      const c = session ? ctx.findCompany(session.companyId) : undefined;
      const u = c && session ? ctx.findUser(c, session.userId) : undefined;
      if (!session || !c || !u || u.status !== 'active') {
        return authFail('', '', [
          {
            errorno: 'XL03000006',
            description2: 'Invalid session',
            correction: 'Sign in again with getAPISession and login credentials.',
          },
        ]);
      }
      const senderAuth = c.senderAuthorizations.find((a) => a.sender === control.senderid);
      if (senderAuth?.status !== 'active') {
        return authFail(u.id, c.id, [senderError(control.senderid, c.id)]);
      }
      company = c;
      user = u;
      entityId = session.entityId;
      sessionId = session.sessionId;
      expiresAt = session.expiresAt;
    } else {
      const login = op.auth;
      const [companyPart, entityPart] = login.companyid.split('|');
      const skip: SignInStep[] = ctx.behaviours.subscriptionOffLayer === 'control' ? ['subscription'] : [];
      const result = ctx.checkSignIn({
        company: companyPart ?? '',
        userId: login.userid,
        password: login.password,
        entityId: login.locationid ?? entityPart,
        address: ctx.clientAddress(req),
        via: 'xml',
        senderId: control.senderid,
        skip,
      });
      if (!result.ok) {
        const b = ctx.behaviours;
        switch (result.reason) {
          case 'company_not_found':
            if (b.unknownCompany === 'gw0011_400') {
              return {
                xml: '',
                gateway: gatewayFailure(400, 'GW-0011', `Invalid Request [Request ID: ${ctx.requestId()}]`),
              };
            }
            break;
          case 'sender_not_authorized':
            return authFail(login.userid, login.companyid, [
              senderError(control.senderid, result.company?.id ?? login.companyid),
            ]);
          case 'web_services_disabled':
          case 'trial_expired':
            return authFail(login.userid, login.companyid, [
              {
                errorno: result.reason === 'trial_expired' ? 'PL04000055' : b.subscriptionOffErrorno,
                description2: result.message,
              },
            ]);
          case 'ip_not_allowed':
            if (b.ipFilterEffect === 'drop_connection')
              return { xml: '', gateway: { status: 0, body: '', drop: true } };
            if (b.ipFilterEffect === 'gateway_403') {
              return {
                xml: '',
                gateway: {
                  status: 403,
                  type: 'text/html; charset=UTF-8',
                  body: cloudflareHtml(
                    403,
                    'Access denied',
                    ctx.requestId().replace(/\W/g, '').toLowerCase(),
                  ),
                },
              };
            }
            break;
          default:
            break;
        }
        if (b.signInFailureAs === 'gateway_401') {
          return {
            xml: '',
            gateway: gatewayFailure(
              401,
              'XMLGW_JPP0002',
              'Sign-in information is incorrect. Please check your request.',
            ),
          };
        }
        return authFail(login.userid, login.companyid, [
          { errorno: 'XL03000006', description2: result.message },
        ]);
      }
      company = result.company;
      user = result.user;
      entityId = result.entityId;
      sessionId = undefined;
      expiresAt = ctx.now() + company.sessionHours * 3_600_000;
    }

    const env: FunctionEnv = {
      ctx,
      company,
      user,
      entityId,
      senderId: control.senderid,
      baseUrl: ctx.baseUrl(req),
      sessionId,
      rights: ctx.effectiveRights(company, user),
      journal: [],
      results,
    };
    const auth = authSuccessXml({
      userid: user.id,
      companyid: company.id,
      locationid: entityId ?? '',
      timestamp: ctx.now(),
      timeout: expiresAt,
    });
    const body = runFunctions(env, control, op);
    return { xml: `<operation>${auth}${body}</operation>`, company: company.id, user: user.id };
  }

  function senderError(senderId: string, companyId: string): XmlError {
    return {
      errorno: 'XL03000006',
      description: SENDER_NOT_AUTHORIZED.description,
      description2: SENDER_NOT_AUTHORIZED.description2(senderId, companyId),
      correction: SENDER_NOT_AUTHORIZED.correction,
    };
  }

  function runFunctions(env: FunctionEnv, control: ControlInput, op: OperationInput): string {
    const parts: string[] = [];
    const unique = control.uniqueid === 'true' && ctx.behaviours.duplicateControlId === 'fail';
    let failedAt = -1;
    for (let i = 0; i < op.functions.length; i++) {
      const fn = op.functions[i]!;
      const head = `${el('function', fn.name)}${el('controlid', fn.controlid)}`;
      if (failedAt >= 0) {
        parts.push(`<result><status>aborted</status>${head}${errorMessageXml([ROLLBACK])}</result>`);
        continue;
      }
      const key = `${control.senderid}\u0000${env.company.id}\u0000${fn.controlid}`;
      const outcome =
        unique && seenControlIds.has(key)
          ? {
              status: 'failure' as const,
              errors: [
                {
                  errorno: 'Duplicate controlid',
                  description2: `A function with control ID '${fn.controlid}' was already processed; uniqueid=true refuses repeated control IDs.`,
                  correction: 'Use a new control ID for each function, or send uniqueid false.',
                },
              ],
            }
          : runFunction(env, fn);
      if (outcome.status === 'success') {
        if (unique) {
          seenControlIds.add(key);
          if (seenControlIds.size > 100_000) seenControlIds.clear();
        }
        parts.push(`<result><status>success</status>${head}${outcome.body}</result>`);
        continue;
      }
      if (op.transaction) {
        failedAt = i;
        for (const undo of env.journal.reverse()) undo();
        env.journal.length = 0;
        // Earlier successes are rolled back too, so they report aborted.
        for (let j = 0; j < parts.length; j++) {
          const prev = op.functions[j]!;
          parts[j] =
            `<result><status>aborted</status>${el('function', prev.name)}${el('controlid', prev.controlid)}${errorMessageXml([ROLLBACK])}</result>`;
        }
        const status = ctx.behaviours.rollbackFailingStatus;
        parts.push(
          `<result><status>${status}</status>${head}${errorMessageXml([...outcome.errors, ROLLBACK])}</result>`,
        );
        continue;
      }
      parts.push(
        `<result><status>failure</status>${head}${outcome.body ?? ''}${errorMessageXml(outcome.errors)}</result>`,
      );
    }
    return parts.join('');
  }
}
