import { randomBytes } from 'node:crypto';
import { functions, type ParsedResponse, type ResultBlock } from '../client/xml/index.js';
import type { CauseId } from '../shared/causes.js';
import { type ConnectionCredentials, DEFAULT_ENDPOINT_URL } from '../shared/credentials.js';
import { objectInfo } from '../shared/objects.js';
import {
  DEFAULT_REQUIREMENTS,
  type DoctorOptions,
  type DoctorReport,
  type Finding,
  type MissingPermission,
  type Requirement,
} from '../shared/report.js';
import { CheckTracker, XML_CHECKS } from './checks.js';
import { type Blocking, type BlockingCheck, classifyBlocking, type WireError } from './classify.js';
import { buildFinding, type FindingInput, loadCauseLookup, type PermissionModel } from './findings.js';
import { stripIds } from './ids.js';
import { checkInput } from './input.js';
import {
  describeMissing,
  grantLines,
  grants,
  hasModule,
  isObjectMissing,
  isPermissionDenied,
  isTemporarilyOffline,
  parseUserPermissions,
  type RightsMap,
} from './permissions.js';
import { buildProbePlan, CONTROL, entityNarrowingFunctions, loginRequest, type Probe } from './plan.js';
import { redactDeep } from './redact.js';
import { assembleReport } from './report.js';
import { DiagnosisSession, type Outcome, secretValues } from './session.js';

const CHAIN: readonly BlockingCheck[] = [
  'endpoint.reachable',
  'gateway.available',
  'sender.credentials',
  'company.exists',
  'company.subscription',
  'sender.authorization',
  'user.signin',
  'entity.access',
];

const ORDER_CAVEAT =
  'Intacct does not document the order of its sign-in checks (reference U1), so this is as far as can be told from where the request stopped.';

const SIGN_IN_CANDIDATES: CauseId[] = [
  'user.invalid_credentials',
  'user.locked_out',
  'user.inactive',
  'user.sso_or_mfa',
  'user.ip_not_allowed',
];

const CANDIDATE_WORDS: Partial<Record<CauseId, string>> = {
  'user.invalid_credentials': 'a wrong user ID or password (for example after an admin reset the password)',
  'user.locked_out': 'a locked-out user',
  'user.inactive': 'an inactive user',
  'user.sso_or_mfa': 'a regular user bound to SSO or two-step verification',
  'user.ip_not_allowed': "the company's IP address filter",
  'entity.access_denied': 'an entity the user may not access',
  'entity.not_found': 'a wrong entity ID',
  'entity.top_level_denied': 'a user restricted to entities signing in at the top level',
  'company.not_found': 'an unknown company ID (some gateways answer it this way)',
};

function firstError(result: ResultBlock): WireError | undefined {
  return result.errors[0];
}

function resultText(result: ResultBlock): string {
  return result.errors
    .map((e) => `${e.errorno} ${e.description} ${e.description2} ${e.correction}`)
    .join(' ');
}

function recordField(record: unknown, name: string): string {
  if (!record || typeof record !== 'object') return '';
  const direct = (record as Record<string, unknown>)[name];
  if (typeof direct === 'string') return direct;
  // Records come wrapped in an element named after the object (<USERINFO>…</USERINFO>) or bare.
  for (const v of Object.values(record as Record<string, unknown>)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const inner = (v as Record<string, unknown>)[name];
      if (typeof inner === 'string') return inner;
    }
  }
  return '';
}

const truthy = (v: string) => /^(true|t|1|yes|y)$/i.test(v.trim());

/** Runs an XML-mode diagnosis (CONTRACT §2). */
export async function diagnoseXml(options: DoctorOptions): Promise<DoctorReport> {
  const started = performance.now();
  // The catalog loads while the requests are in flight; findings are worded from it at the end.
  const lookupPromise = loadCauseLookup();
  const tracker = new CheckTracker(XML_CHECKS, options.onProgress);
  const findings: FindingInput[] = [];
  const creds = options.credentials;
  const endpointUrl = creds.endpointUrl || DEFAULT_ENDPOINT_URL;
  const session = new DiagnosisSession(options, endpointUrl);
  const scope = options.scope ?? 'full';
  const requirements = options.require?.length ? options.require : DEFAULT_REQUIREMENTS;

  const finish = async (values: ConnectionCredentials): Promise<DoctorReport> => {
    const lookup = await lookupPromise;
    return assembleReport({
      mode: 'xml',
      roundTrips: session.roundTrips,
      // A last pass by value: a gateway may echo a typed value back inside an error text.
      checks: redactDeep(tracker.list(), secretValues(creds)),
      findings: redactDeep(
        findings.map((f) => buildFinding(lookup, f)),
        secretValues(creds),
      ),
      ms: performance.now() - started,
      supportIds: session.supportIds,
      requestIds: session.requestIds,
      subject: {
        senderId: values.senderId,
        companyId: values.companyId,
        userId: scope === 'company' ? undefined : values.userId,
        entityId: values.entityId,
        endpointUrl,
      },
    });
  };

  // 1. Input sanity: no round trip.
  tracker.start('input.sanity');
  const input = checkInput(creds, { scope });
  for (const issue of input.issues) {
    findings.push({
      cause: issue.cause,
      severity: issue.severity,
      detail: issue.detail,
      evidence: { field: issue.field },
      ...(issue.correction ? { extraFix: [issue.correction] } : {}),
    });
  }
  const inputError = input.issues.find((i) => i.severity === 'error');
  const inputWarn = input.issues.find((i) => i.severity === 'warning');
  tracker.finish('input.sanity', {
    status: inputError ? 'fail' : inputWarn ? 'warn' : 'pass',
    cause: inputError?.cause ?? null,
    detail: input.issues.length
      ? input.issues.map((i) => i.detail).join(' ')
      : 'Sender, company, user and entity IDs are well-formed.',
  });
  const values = input.values;
  if (input.stop) {
    tracker.finishRemaining('Not checked: the credentials are incomplete or ambiguous, so nothing was sent.');
    return finish(values);
  }

  const ctx: RunContext = { tracker, findings, session, values, requirements, scope };
  if (scope === 'company') {
    await companyScope(ctx);
    return finish(values);
  }

  // 2. One batched request: login plus every probe.
  const plan = buildProbePlan(values, requirements);
  tracker.start(...XML_CHECKS.map((c) => c.id).filter((id) => id !== 'input.sanity'));
  const first = await session.send(loginRequest(values, plan.functions));
  if (first.outcome.layer === 'ok') {
    const auth = first.outcome.parsed.authentication;
    if (!values.userId && auth?.userId) values.userId = auth.userId;
    if (!values.companyId && auth?.companyId) values.companyId = auth.companyId;
    const offline = first.outcome.parsed.results.filter(
      (r) => r.status !== 'success' && isTemporarilyOffline(resultText(r)),
    );
    if (offline.length) {
      tracker.finish('gateway.available', {
        status: 'fail',
        cause: 'gateway.unavailable',
        ms: first.ms,
        detail: `Signed in, but Intacct answered ${offline.length} of ${first.outcome.parsed.results.length} functions with "The Service is Temporarily Off-line".`,
      });
    }
    passChain(ctx, first.ms, 'entity.access');
    interpretProbes(ctx, first.outcome.parsed, plan.probes, first.ms);
    return finish(values);
  }

  let blocking = classifyBlocking(first.outcome);
  let ms = first.ms;
  if (blocking.check === 'entity.access' && !values.entityId) {
    // Refused over the entity while signing in at the top level: the user may not work there.
    blocking = {
      ...blocking,
      cause: 'entity.top_level_denied',
      detail: `${blocking.detail} No entity ID was given, so the sign-in was at the top level, which this user may not use: it is restricted to certain entities (or the company allows the top level only to some users). Give the user top-level access, or connect with one of its entity IDs.`,
      candidates: ['entity.top_level_denied', 'entity.access_denied'],
    };
  }

  // 3. Narrowing: a sign-in failure with an entity ID is retried once without it. If that signs in, the
  //    entity is the problem, and the same request tells which entity problem it is.
  const entityRelated =
    blocking.check === 'entity.access' || (blocking.ambiguousSignIn === true && !!values.entityId);
  const sessionMode = !!values.sessionId && !values.userPassword;
  if (entityRelated && values.entityId && !sessionMode) {
    const retry = await session.send(
      loginRequest(values, entityNarrowingFunctions(values.userId ?? ''), { withEntity: false }),
    );
    ms += retry.ms;
    if (retry.outcome.layer === 'ok') {
      entityVerdict(ctx, retry.outcome.parsed, blocking, ms);
      return finish(values);
    }
    const second = classifyBlocking(retry.outcome);
    if (second.check === 'entity.access' && blocking.check === 'entity.access') {
      // Both sign-ins were refused over the entity: the user may not work at the top level, so it is
      // restricted to some entities, and this one is not among them (or does not exist).
      blocking = {
        ...blocking,
        cause: 'entity.access_denied',
        detail: `Signing in with entity ID ${values.entityId} was refused ("${stripIds(blocking.description2 ?? '')}"), and so was signing in at the top level ("${stripIds(second.description2 ?? '')}"): the user is restricted to certain entities, and ${values.entityId} is not one of them, or no entity has that ID.`,
        candidates: ['entity.access_denied', 'entity.not_found', 'entity.top_level_denied'],
      };
    } else if (second.cause !== blocking.cause || !second.ambiguousSignIn) {
      // Without the entity the answer changed: the new answer is about the user, not the entity.
      blocking = second;
    }
  }

  applyBlocking(ctx, blocking, ms, first.outcome);
  return finish(values);
}

interface RunContext {
  tracker: CheckTracker;
  findings: FindingInput[];
  session: DiagnosisSession;
  values: ConnectionCredentials;
  requirements: readonly Requirement[];
  scope: 'full' | 'company';
}

function add(ctx: RunContext, finding: FindingInput): void {
  ctx.findings.push(finding);
}

/** Passes the chain checks from the start through `through` (inclusive). */
function passChain(ctx: RunContext, ms: number, through: BlockingCheck): void {
  const { tracker, values } = ctx;
  const details: Record<BlockingCheck, string> = {
    'endpoint.reachable': 'The gateway answered.',
    'gateway.available': 'The gateway processed the request.',
    'sender.credentials': `Sender ID ${values.senderId} and its password were accepted.`,
    'company.exists': `Company ${values.companyId} exists.`,
    'company.subscription': 'The company is subscribed to Web Services.',
    'sender.authorization': `Sender ID ${values.senderId} is authorized in the company.`,
    'user.signin':
      values.sessionId && !values.userPassword
        ? `The session is valid (user ${values.userId ?? '?'}).`
        : `User ${values.userId} signed in.`,
    'entity.access': values.entityId
      ? `Signed in to entity ${values.entityId}.`
      : 'Signed in at the top level (no entity ID given).',
  };
  for (const id of CHAIN) {
    tracker.finish(id, { status: 'pass', ms, detail: details[id] });
    if (id === through) return;
  }
}

function candidateDetail(candidates: CauseId[]): string {
  return candidates
    .map((c) => CANDIDATE_WORDS[c])
    .filter(Boolean)
    .join('; ');
}

/** Records the blocking failure: its check fails, what the request got past passes, the rest is unknown. */
function applyBlocking(ctx: RunContext, blocking: Blocking, ms: number, outcome: Outcome): void {
  const { tracker, values } = ctx;
  const layer = outcome.layer;
  const reachedHttp = layer !== 'transport';
  const processed =
    layer === 'control' ||
    layer === 'authentication' ||
    (layer === 'gateway' && blocking.check !== 'gateway.available');
  const controlPassed = layer === 'authentication';

  if (reachedHttp && blocking.check !== 'endpoint.reachable') {
    tracker.finish('endpoint.reachable', { status: 'pass', ms, detail: 'The gateway answered.' });
  }
  if (processed && blocking.check !== 'gateway.available') {
    tracker.finish('gateway.available', { status: 'pass', ms, detail: 'The gateway processed the request.' });
  }
  if (controlPassed && blocking.check !== 'sender.credentials') {
    tracker.finish('sender.credentials', {
      status: 'pass',
      ms,
      detail: `Sender ID ${values.senderId} and its password were accepted (the control layer succeeded).`,
    });
  }
  // The sender-authorization answer names the company, so the company was found.
  if (blocking.cause === 'sender.not_authorized') {
    tracker.finish('company.exists', {
      status: 'pass',
      ms,
      detail: `Company ${values.companyId} was found (its Web Services authorizations were consulted).`,
    });
  }

  let candidates = blocking.candidates;
  let detail = blocking.detail;
  if (blocking.ambiguousSignIn) {
    candidates = [...SIGN_IN_CANDIDATES];
    if (values.entityId) candidates.push('entity.access_denied', 'entity.top_level_denied');
    else candidates.push('entity.top_level_denied');
    candidates.push('company.not_found');
    detail += ` It is consistent with: ${candidateDetail(candidates)}. The doctor cannot tell these apart without the password being right, so the first is reported and the others are listed as candidates.`;
    if (values.entityId)
      detail += ` Signing in without the entity ID (${values.entityId}) failed as well, so the entity ID alone is not the cause.`;
  }

  const title = XML_CHECKS.find((c) => c.id === blocking.check)?.title ?? blocking.check;
  tracker.finish(blocking.check, { status: 'fail', cause: blocking.cause, ms, detail });

  const evidence: Finding['evidence'] = {};
  if (blocking.errorno) evidence.errorno = blocking.errorno;
  if (blocking.description) evidence.description = blocking.description;
  if (blocking.description2) evidence.description2 = blocking.description2;
  if (blocking.httpStatus !== undefined) evidence.httpStatus = blocking.httpStatus;
  if (candidates?.length) evidence.candidates = candidates;
  evidence.layer = layer;
  const ids = `${blocking.description ?? ''} ${blocking.description2 ?? ''}`;
  const support = /\[Support ID:\s*([^\]]+)\]/i.exec(ids)?.[1];
  if (support) evidence.supportId = safeDecode(support.trim());
  const request = /\[Request ID:\s*([^\]]+)\]/i.exec(ids)?.[1];
  if (request) evidence.requestId = request.trim();
  add(ctx, { cause: blocking.cause, detail, evidence });

  // Transient answers say nothing about the configuration; say so rather than leave it implied.
  const transient = [
    'network.unreachable',
    'network.timeout',
    'gateway.rate_limited',
    'gateway.unavailable',
  ].includes(blocking.cause);
  const hidden = transient
    ? `Not checked: the request did not get through (${title.toLowerCase()} failed); this says nothing about the configuration. Try again later.`
    : `Not decided: "${title}" failed first, and Intacct stops there. ${
        blocking.check === 'user.signin'
          ? `Checks before sign-in cannot be confirmed either: ${ORDER_CAVEAT}`
          : ''
      }`.trim();
  tracker.finishRemaining(hidden, ms);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** After signing in without the entity ID worked: which entity problem is it? */
function entityVerdict(ctx: RunContext, parsed: ParsedResponse, original: Blocking, ms: number): void {
  const { tracker, values } = ctx;
  passChain(ctx, ms, 'user.signin');
  const entities = parsed.results.find((r) => r.controlId === CONTROL.entities);
  const entityId = values.entityId ?? '';
  let cause: CauseId = original.check === 'entity.access' ? original.cause : 'entity.access_denied';
  let detail: string;
  if (entities && entities.status === 'success') {
    const ids = entities.data.map((rec) => recordField(rec, 'LOCATIONID')).filter(Boolean);
    if (ids.length === 0) {
      cause = 'entity.not_found';
      detail = `Signing in with entity ID ${entityId} failed, but without it the user signs in: this is a single-entity company (it has no entities), so leave the entity ID empty.`;
    } else if (!ids.includes(entityId)) {
      cause = 'entity.not_found';
      const close = ids.find((id) => id.toLowerCase() === entityId.toLowerCase());
      detail = `Signing in with entity ID ${entityId} failed, but without it the user signs in. The company has no entity with that ID${close ? ` (did you mean ${close}? entity IDs are case-sensitive)` : ''}; its entities are: ${ids.slice(0, 20).join(', ')}.`;
    } else {
      cause = 'entity.access_denied';
      detail = `Entity ${entityId} exists and the user signs in at the top level, but not in ${entityId}: the user's entity access (User entities tab) does not include it, or the company restricts access to the top level only.`;
    }
  } else {
    detail = `Signing in with entity ID ${entityId} failed, but without it the user signs in, so the entity ID is the problem. The list of entities could not be read to tell whether it exists${entities ? ` (${stripIds(firstError(entities)?.description2 ?? '')})` : ''}.`;
  }
  tracker.finish('entity.access', { status: 'fail', cause, ms, detail });
  const evidence: Finding['evidence'] = { entityId, layer: 'authentication' };
  if (original.description2) evidence.description2 = original.description2;
  if (original.errorno) evidence.errorno = original.errorno;
  add(ctx, { cause, detail, evidence });
  const userinfo = parsed.results.find((r) => r.controlId === CONTROL.userinfo);
  if (userinfo) userKind(ctx, userinfo, ms);
  tracker.finishRemaining(
    `Not decided: permissions and roles depend on the entity the session works in; fix the entity first.`,
    ms,
  );
}

function userKind(ctx: RunContext, result: ResultBlock, ms: number): UserFacts | undefined {
  const { tracker } = ctx;
  if (result.status !== 'success' || result.data.length === 0) {
    const why =
      result.status === 'success'
        ? 'the user record was not returned'
        : `the user may not read user records (${stripIds(firstError(result)?.description2 ?? 'no detail')})`;
    tracker.finish('user.kind', { status: 'unknown', ms, detail: `Could not tell: ${why}.` });
    tracker.finish('user.admin', { status: 'unknown', ms, detail: `Could not tell: ${why}.` });
    return undefined;
  }
  const rec = result.data[0];
  const facts: UserFacts = {
    wsOnly: recordField(rec, 'LOGINDISABLED'),
    admin: recordField(rec, 'ADMIN'),
    userType: recordField(rec, 'USERTYPE'),
    sso: recordField(rec, 'SSO_ENABLED'),
  };
  if (facts.wsOnly === '') {
    tracker.finish('user.kind', {
      status: 'unknown',
      ms,
      detail: 'The user record does not say whether it is a Web Services user.',
    });
  } else if (truthy(facts.wsOnly)) {
    tracker.finish('user.kind', {
      status: 'pass',
      ms,
      detail: `A Web Services user${facts.userType ? ` (${facts.userType})` : ''}.`,
    });
  } else {
    const detail = `User ${ctx.values.userId} is a regular (interactive) user${facts.userType ? ` (${facts.userType})` : ''}, not a Web Services user. It works now, but SSO or two-step verification can be switched on for a regular user at any time, and a regular user with two-step verification cannot sign in through the API; a Web Services user has both off, and its password stays valid until an admin resets it.`;
    tracker.finish('user.kind', { status: 'warn', cause: 'user.not_web_services_user', ms, detail });
    add(ctx, {
      cause: 'user.not_web_services_user',
      severity: 'warning',
      detail,
      evidence: { userType: facts.userType },
    });
  }
  return facts;
}

interface UserFacts {
  wsOnly: string;
  admin: string;
  userType: string;
  sso: string;
}

type Verdict = 'granted' | 'missing' | 'no_object' | 'unknown' | 'offline';

/** Reads every probe of a successful login and decides the remaining checks. */
function interpretProbes(ctx: RunContext, parsed: ParsedResponse, probes: Probe[], ms: number): void {
  const { tracker, values, requirements } = ctx;
  const byId = new Map(parsed.results.map((r) => [r.controlId, r]));
  const offline = parsed.results.filter((r) => r.status !== 'success' && isTemporarilyOffline(resultText(r)));

  const userinfo = byId.get(CONTROL.userinfo);
  const facts = userinfo ? userKind(ctx, userinfo, ms) : undefined;

  const permsResult = byId.get(CONTROL.permissions);
  const rights: RightsMap | undefined =
    permsResult && permsResult.status === 'success' ? parseUserPermissions(permsResult.data) : undefined;

  // Role-based or user-based: a user with role assignments is in a role-based company; a user-based
  // company has no roles at all. A user with no rights whatsoever is the signature of a missing role.
  const rolesResult = byId.get(CONTROL.userroles);
  const roleNames =
    rolesResult && rolesResult.status === 'success'
      ? rolesResult.data.map((r) => recordField(r, 'ROLENAME')).filter(Boolean)
      : undefined;
  const rolesList = byId.get(CONTROL.roles);
  const companyHasRoles =
    rolesList?.status === 'success' ? (rolesList.totalCount ?? rolesList.data.length) > 0 : undefined;
  const hasAnyRights = rights ? rights.size > 0 : undefined;
  const model: PermissionModel = roleNames?.length
    ? 'role'
    : companyHasRoles === true
      ? 'role'
      : companyHasRoles === false
        ? 'user'
        : 'unknown';

  // Per requirement.
  const probeByObject = new Map(probes.map((p) => [p.object, p]));
  const verdicts = requirements.map((req) => {
    const object = req.object.toUpperCase();
    const probe = probeByObject.get(object);
    const result = probe ? byId.get(probe.controlId) : undefined;
    return {
      req: { ...req, object },
      verdict: verdictFor(req.operation, probe, result, rights, object),
      result,
    };
  });

  const missingObjects = verdicts.filter((v) => v.verdict === 'no_object');
  const missing = verdicts.filter((v) => v.verdict === 'missing');
  const unknown = verdicts.filter((v) => v.verdict === 'unknown' || v.verdict === 'offline');

  // Modules.
  if (missingObjects.length) {
    const unknownObjects = missingObjects.filter((v) => !objectInfo(v.req.object));
    const known = missingObjects.filter((v) => objectInfo(v.req.object));
    const notSubscribed = known.filter((v) => !rights || hasModule(rights, v.req.object) !== true);
    if (notSubscribed.length) {
      const modules = [...new Set(notSubscribed.map((v) => describeMissing(v.req).module ?? ''))].filter(
        Boolean,
      );
      const objects = [...new Set(notSubscribed.map((v) => v.req.object))];
      const detail = `Intacct does not know the object${objects.length > 1 ? 's' : ''} ${objects.join(', ')} in this company ("Object definition … not found"), and the user has no subscription to ${modules.join(', ')}: the module${modules.length > 1 ? 's are' : ' is'} not subscribed.`;
      tracker.finish('module.subscription', { status: 'fail', cause: 'module.not_subscribed', ms, detail });
      add(ctx, {
        cause: 'module.not_subscribed',
        detail,
        evidence: { modules, objects, missing: notSubscribed.map((v) => describeMissing(v.req)) },
        extraFix: modules.map((m) => `Subscribe ${m} at Company › Admin › Subscriptions.`),
      });
    }
    const stillUnexplained = [...unknownObjects, ...known.filter((v) => !notSubscribed.includes(v))];
    if (stillUnexplained.length) {
      const objects = [...new Set(stillUnexplained.map((v) => v.req.object))];
      const detail = `Intacct does not know the object${objects.length > 1 ? 's' : ''} ${objects.join(', ')} in this company. Check the object name${objects.length > 1 ? 's' : ''} in the required operations.`;
      if (!tracker.isDecided('module.subscription')) {
        tracker.finish('module.subscription', { status: 'fail', cause: 'request.malformed', ms, detail });
      }
      add(ctx, { cause: 'request.malformed', detail, evidence: { objects } });
    }
  } else if (!tracker.isDecided('module.subscription')) {
    const decided = verdicts.some((v) => v.verdict === 'granted' || v.verdict === 'missing');
    tracker.finish('module.subscription', {
      status: decided ? 'pass' : 'unknown',
      ms,
      detail: decided
        ? 'Every required object exists in the company.'
        : 'Could not tell: no probe got an answer about the objects.',
    });
  }

  // Role assigned.
  const noRole =
    model !== 'user' && (roleNames?.length === 0 || (roleNames === undefined && hasAnyRights === false));
  if (model === 'user') {
    tracker.finish('role.assigned', {
      status: 'skip',
      ms,
      detail: 'The company uses user-based permissions: rights are granted per user, not through roles.',
    });
  } else if (noRole) {
    tracker.finish('role.assigned', {
      status: 'fail',
      cause: 'permission.no_role',
      ms,
      detail:
        roleNames?.length === 0
          ? `User ${values.userId} has no role assigned.`
          : `User ${values.userId} has no rights at all (Intacct lists no application for it): in a role-based company this means no role is assigned, or its roles grant nothing. (In a user-based company it would mean no permissions were granted.)`,
    });
  } else if (roleNames?.length) {
    tracker.finish('role.assigned', { status: 'pass', ms, detail: `Roles: ${roleNames.join(', ')}.` });
  } else if (model === 'role' && hasAnyRights) {
    tracker.finish('role.assigned', {
      status: 'pass',
      ms,
      detail:
        'The company uses roles and the user has rights, which in a role-based company come from its roles.',
    });
  } else {
    tracker.finish('role.assigned', {
      status: 'unknown',
      ms,
      detail: 'Could not read the user’s role assignments or the company’s roles.',
    });
  }

  // Admin privileges.
  const adminNeeded = requirements.some(
    (r) =>
      ['USERINFO', 'ROLES', 'USERROLES', 'USERRIGHTS'].includes(r.object.toUpperCase()) &&
      r.operation !== 'readByQuery' &&
      r.operation !== 'read',
  );
  if (facts && !tracker.isDecided('user.admin')) {
    const level = facts.admin || 'unknown';
    if (/^off$/i.test(level) && adminNeeded) {
      const detail = `User ${values.userId} has Admin privileges Off, but the application manages users or roles, which needs admin privileges.`;
      tracker.finish('user.admin', { status: 'fail', cause: 'permission.admin_required', ms, detail });
      add(ctx, { cause: 'permission.admin_required', detail, evidence: { admin: level } });
    } else {
      tracker.finish('user.admin', {
        status: 'pass',
        ms,
        detail: `Admin privileges: ${level}${/^off$/i.test(level) ? ' (not needed for the required operations)' : ''}.`,
      });
    }
  }

  // Permissions.
  const missingList: MissingPermission[] = missing.map((v) => describeMissing(v.req));
  const modelForFix: PermissionModel = model;
  if (noRole) {
    const detail = `User ${values.userId} has no role in this role-based company, so it has no rights at all${missingList.length ? `; ${missingList.length} required operation${missingList.length > 1 ? 's were' : ' was'} refused` : ''}. Assign a role granting: ${grantLines(missingList).join('; ') || 'the required rights'}.`;
    add(ctx, {
      cause: 'permission.no_role',
      detail,
      permissionModel: 'role',
      evidence: { missing: missingList },
    });
    tracker.finish('permissions.required', {
      status: missingList.length ? 'fail' : 'unknown',
      cause: missingList.length ? 'permission.no_role' : null,
      ms,
      detail: missingList.length
        ? `Refused: ${missingList.map((m) => `${m.object} ${m.operation}`).join(', ')}.`
        : 'Could not tell.',
    });
  } else if (missingList.length) {
    const lines = grantLines(missingList);
    const where =
      model === 'role'
        ? `the user's role${roleNames?.length ? ` (${roleNames.join(', ')})` : ''}`
        : model === 'user'
          ? `user ${values.userId} (user-based permissions)`
          : `the user's role, or the user itself in a user-based company`;
    const detail = `Missing rights for ${missingList.map((m) => `${m.object} ${m.operation}`).join(', ')}. Grant to ${where}: ${lines.join('; ')}.`;
    tracker.finish('permissions.required', { status: 'fail', cause: 'permission.missing', ms, detail });
    add(ctx, {
      cause: 'permission.missing',
      detail,
      permissionModel: modelForFix,
      evidence: { missing: missingList, permissionModel: model },
      extraFix: lines.map((l) => `Grant ${l}.`),
    });
  } else if (
    unknown.length === 0 &&
    missingObjects.length === 0 &&
    verdicts.some((v) => v.verdict === 'granted')
  ) {
    tracker.finish('permissions.required', {
      status: 'pass',
      ms,
      detail: `All ${requirements.length} required operation${requirements.length > 1 ? 's are' : ' is'} allowed.`,
    });
  }
  if (!tracker.isDecided('permissions.required')) {
    const list = [...unknown, ...missingObjects].map((v) => `${v.req.object} ${v.req.operation}`);
    tracker.finish('permissions.required', {
      status: 'unknown',
      ms,
      detail: list.length ? `Could not decide: ${list.join(', ')}.` : 'Could not decide.',
    });
  }

  if (offline.length) {
    const detail = `Intacct answered some probes with "The Service is Temporarily Off-line"; their checks could not be decided. Try again later.`;
    add(ctx, { cause: 'gateway.unavailable', detail });
  }
  tracker.finishRemaining('Could not decide from the answers received.', ms);
}

function verdictFor(
  operation: string,
  probe: Probe | undefined,
  result: ResultBlock | undefined,
  rights: RightsMap | undefined,
  object: string,
): Verdict {
  if (result && result.status !== 'success') {
    const text = resultText(result);
    if (isObjectMissing(text)) return 'no_object';
    if (isTemporarilyOffline(text)) return 'offline';
  }
  const probed = probe && result && probe.via === operation;
  if (probed) {
    if (result.status === 'success') return 'granted';
    const text = resultText(result);
    if (isPermissionDenied(text) || /PL04000005/.test(text)) return 'missing';
    return 'unknown';
  }
  if (!rights) return 'unknown';
  const g = grants(rights, object, operation);
  if (g === undefined) return 'unknown';
  return g ? 'granted' : 'missing';
}

/**
 * Company scope: only the sender and the company are known (the customer has not typed credentials yet).
 * A sign-in with a user that cannot exist shows how far the request gets; a sign-in failure means the
 * company, subscription and sender authorization passed as far as can be told.
 */
async function companyScope(ctx: RunContext): Promise<void> {
  const { tracker, session, values } = ctx;
  tracker.start(
    'endpoint.reachable',
    'gateway.available',
    'sender.credentials',
    'company.exists',
    'company.subscription',
    'sender.authorization',
  );
  const probeUser = `intacct-connect-probe-${randomBytes(4).toString('hex')}`;
  const probePassword = randomBytes(18).toString('base64url');
  session.addSecret(probePassword);
  const ex = await session.send(
    loginRequest(values, [functions.getAPISession({}, CONTROL.session)], {
      withEntity: false,
      userId: probeUser,
      password: probePassword,
    }),
  );
  const na = 'Not checked in company scope: it needs the user’s credentials.';
  if (ex.outcome.layer === 'ok') {
    // A user that cannot exist signed in: nothing about the company can be trusted to be checked.
    passChain(ctx, ex.ms, 'sender.authorization');
    tracker.finishRemaining(na, ex.ms, 'skip');
    return;
  }
  const blocking = classifyBlocking(ex.outcome);
  const signInStop = blocking.check === 'user.signin' || blocking.check === 'entity.access';
  if (signInStop) {
    const caveat = ` ${ORDER_CAVEAT}`;
    tracker.finish('endpoint.reachable', { status: 'pass', ms: ex.ms, detail: 'The gateway answered.' });
    tracker.finish('gateway.available', {
      status: 'pass',
      ms: ex.ms,
      detail: 'The gateway processed the request.',
    });
    tracker.finish('sender.credentials', {
      status: 'pass',
      ms: ex.ms,
      detail: `Sender ID ${values.senderId} and its password were accepted.`,
    });
    tracker.finish('company.exists', {
      status: 'pass',
      ms: ex.ms,
      detail: `The sign-in of a probe user reached the user check, so company ${values.companyId} was found.${caveat} Some gateways answer an unknown company ID with the same sign-in error, so this is confirmed only when a real user signs in.`,
    });
    tracker.finish('company.subscription', {
      status: 'pass',
      ms: ex.ms,
      detail: `The probe user's sign-in was not refused for the Web Services subscription.${caveat}`,
    });
    tracker.finish('sender.authorization', {
      status: 'pass',
      ms: ex.ms,
      detail: `The probe user's sign-in was not refused for sender ${values.senderId}.${caveat}`,
    });
    tracker.finishRemaining(na, ex.ms, 'skip');
    return;
  }
  applyBlocking(ctx, blocking, ex.ms, ex.outcome);
  // applyBlocking marked the user checks unknown, which is right: they were never asked.
}
