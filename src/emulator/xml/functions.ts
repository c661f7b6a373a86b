import {
  MODULES,
  type ModuleId,
  OBJECTS,
  OPERATION_ERROR_NAMES,
  OPERATION_RIGHTS,
  RIGHT_LABELS,
} from '../../shared/objects.js';
import type { EmulatorContext } from '../context.js';
import { newResultId } from '../ids.js';
import { type FieldDef, objectDef } from '../records.js';
import { checkEntityAccess } from '../signin.js';
import type { Company, Right, User } from '../world/schema.js';
import { el, esc, recordsXml, type XmlError } from './build.js';
import { evaluate, type Predicate, parseQuery, predicateFields, QueryError } from './query.js';
import type { FunctionInput } from './request.js';
import { child, childText, type XNode } from './tree.js';

/** Everything a function needs about the signed-in caller. */
export interface FunctionEnv {
  ctx: EmulatorContext;
  company: Company;
  user: User;
  entityId: string | undefined;
  senderId: string;
  /** Scheme + Host of this request, for getAPISession's endpoint. */
  baseUrl: string;
  /** The session the operation authenticated with, if any. */
  sessionId: string | undefined;
  rights: Map<string, Set<Right>>;
  /** Undo steps of this operation's writes, for transaction rollback. */
  journal: Array<() => void>;
  results: ResultStore;
}

export type FunctionOutcome =
  | { status: 'success'; body: string }
  | { status: 'failure'; errors: XmlError[]; body?: string };

interface OpenResult {
  companyId: string;
  userId: string;
  object: string;
  wrapper: string;
  rows: Record<string, string>[];
  fields: string[] | undefined;
  offset: number;
  pageSize: number;
  expiresAt: number;
}

/** Open readByQuery result sets for readMore, bounded so memory stays flat under load. */
export class ResultStore {
  private readonly open = new Map<string, OpenResult>();
  constructor(private readonly limit = 2000) {}
  /** The newest result set per company, user and object, for `readMore` by `<object>`. */
  private readonly latest = new Map<string, string>();
  add(r: OpenResult): string {
    const id = newResultId();
    this.open.set(id, r);
    this.latest.set(`${r.companyId}\u0000${r.userId}\u0000${r.object}`, id);
    if (this.open.size > this.limit) {
      const oldest = this.open.keys().next().value;
      if (oldest !== undefined) this.open.delete(oldest);
    }
    return id;
  }
  get(id: string, now: number): OpenResult | undefined {
    const r = this.open.get(id);
    if (r && r.expiresAt <= now) {
      this.open.delete(id);
      return undefined;
    }
    return r;
  }
  latestFor(companyId: string, userId: string, object: string): string | undefined {
    return this.latest.get(`${companyId}\u0000${userId}\u0000${object}`);
  }
  delete(id: string): void {
    this.open.delete(id);
  }
  clear(): void {
    this.open.clear();
    this.latest.clear();
  }
  get size(): number {
    return this.open.size;
  }
}

const fail = (errors: XmlError[]): FunctionOutcome => ({ status: 'failure', errors });
const ok = (body: string): FunctionOutcome => ({ status: 'success', body });

/** Objects that mirror the world and cannot be written through the API here. */
const READ_ONLY_OBJECTS = new Set(['USERINFO', 'ROLES', 'USERROLES', 'LOCATIONENTITY', 'USERRIGHTS']);

function isSubscribed(company: Company, module: string): boolean {
  return module === 'company' || company.modules.includes(module);
}

/** Whether the company has the object at all (known object in a subscribed module, or named in its records). */
function objectState(company: Company, object: string): 'ok' | 'unknown' | { unsubscribed: ModuleId } {
  const upper = object.toUpperCase();
  const info = OBJECTS[upper];
  if (info) return isSubscribed(company, info.module) ? 'ok' : { unsubscribed: info.module };
  if (Object.keys(company.records).some((k) => k.toUpperCase() === upper)) return 'ok';
  return 'unknown';
}

export function objectMissingError(env: FunctionEnv, object: string): XmlError[] | undefined {
  const state = objectState(env.company, object);
  if (state === 'ok') return undefined;
  if (state !== 'unknown' && env.ctx.behaviours.unsubscribedModule === 'module_not_subscribed') {
    return [
      {
        errorno: 'Query Failed',
        description2: `${MODULES[state.unsubscribed].name} module is not subscribed.`,
        correction: 'Subscribe to the application at Company > Admin > Subscriptions.',
      },
    ];
  }
  return [{ errorno: 'Query Failed', description2: `Object definition ${object} not found` }];
}

export function permissionError(env: FunctionEnv, operation: string, object: string): XmlError[] | undefined {
  const need = OPERATION_RIGHTS[operation] ?? [];
  const have = env.rights.get(object.toUpperCase());
  if (need.every((r) => have?.has(r))) return undefined;
  return [
    {
      errorno: 'PL04000005',
      description2: `You do not have permission for API operation ${OPERATION_ERROR_NAMES[operation] ?? operation.toUpperCase()} on objects of type ${object} [Support ID: ${env.ctx.supportId()}]`,
    },
  ];
}

/** Object existence, then rights: the checks every object function makes first. */
function guard(env: FunctionEnv, operation: string, object: string): XmlError[] | undefined {
  return objectMissingError(env, object) ?? permissionError(env, operation, object);
}

function processingError(env: FunctionEnv, detail: string): XmlError[] {
  return [
    {
      errorno: 'DL02000001',
      description: '',
      description2: `There was an error processing the request. [Support ID: ${env.ctx.supportId()}]`,
      correction: detail,
    },
  ];
}

/** Resolves `fields` (`*` or a comma list) against the object's records; undefined = all fields. */
function selectFields(
  text: string | undefined,
  known: Set<string>,
): { ok: true; fields: string[] | undefined } | { ok: false; errors: XmlError[] } {
  const raw = (text ?? '*').trim();
  if (raw === '' || raw === '*') return { ok: true, fields: undefined };
  const fields = raw
    .split(',')
    .map((f) => f.trim().toUpperCase())
    .filter(Boolean);
  const bad = fields.filter((f) => !known.has(f));
  if (bad.length) {
    return {
      ok: false,
      errors: [{ errorno: 'DL02000001', description2: `Invalid fields list ${bad.join(',')}` }],
    };
  }
  return { ok: true, fields };
}

function knownFields(env: FunctionEnv, object: string): Set<string> {
  const set = new Set(objectDef(object).fields.map((f) => f.name));
  const first = env.ctx.records(env.company, object)[0];
  if (first) for (const k of Object.keys(first)) set.add(k);
  return set;
}

function pageAttrs(count: number, total: number, remaining: number): string {
  return `count="${count}" totalcount="${total}" numremaining="${remaining}"`;
}

function readByQuery(env: FunctionEnv, node: XNode): FunctionOutcome {
  const requested = childText(node, 'object') ?? '';
  const object = requested.toUpperCase();
  const denied = guard(env, 'readByQuery', requested);
  if (denied) return fail(denied);
  const known = knownFields(env, object);
  const sel = selectFields(childText(node, 'fields'), known);
  if (!sel.ok) return fail(sel.errors);
  let predicate: Predicate;
  try {
    predicate = parseQuery(childText(node, 'query') ?? '');
  } catch (error) {
    return fail(processingError(env, `Query syntax error: ${(error as Error).message}`));
  }
  const unknown = [...predicateFields(predicate)].filter((f) => !known.has(f));
  if (unknown.length) return fail(processingError(env, `Unknown field(s) in query: ${unknown.join(', ')}`));

  let pageSize = Number(childText(node, 'pagesize') ?? '100');
  if (!Number.isInteger(pageSize) || pageSize < 1) pageSize = 100;
  if (pageSize > 1000) {
    const mode = env.ctx.behaviours.readByQueryPageSizeOver1000;
    if (mode === 'reject') return fail(processingError(env, 'pagesize must be between 1 and 1000.'));
    pageSize = mode === 'accept_2000' ? Math.min(pageSize, 2000) : 1000;
  }
  const all = env.ctx.records(env.company, object);
  const rows = predicate.kind === 'true' ? all : all.filter((r) => evaluate(predicate, r));
  return firstPage(env, object, requested.toLowerCase(), rows, sel.fields, pageSize);
}

function firstPage(
  env: FunctionEnv,
  object: string,
  wrapper: string,
  rows: Record<string, string>[],
  fields: string[] | undefined,
  pageSize: number,
): FunctionOutcome {
  const page = rows.slice(0, pageSize);
  const remaining = rows.length - page.length;
  let resultId = '';
  if (remaining > 0) {
    resultId = env.results.add({
      companyId: env.company.id,
      userId: env.user.id,
      object,
      wrapper,
      rows,
      fields,
      offset: page.length,
      pageSize,
      expiresAt: env.ctx.now() + env.ctx.behaviours.resultIdTtlMinutes * 60_000,
    });
  }
  return ok(
    `<data listtype="${esc(wrapper)}" ${pageAttrs(page.length, rows.length, remaining)} resultId="${resultId}">${recordsXml(wrapper, page, fields)}</data>`,
  );
}

function readMore(env: FunctionEnv, node: XNode): FunctionOutcome {
  // The older form names the object and continues the caller's latest readByQuery on it.
  const byObject = childText(node, 'object')?.toUpperCase();
  const id =
    childText(node, 'resultId') ??
    (byObject ? (env.results.latestFor(env.company.id, env.user.id, byObject) ?? '') : '');
  const open = id ? env.results.get(id, env.ctx.now()) : undefined;
  if (!open || open.companyId !== env.company.id || open.userId !== env.user.id) {
    return fail([
      {
        errorno: 'DL02000001',
        description2: `There was an error processing the request. The resultId ${id || '(empty)'} is not valid or has expired.`,
        correction: 'Run readByQuery again.',
      },
    ]);
  }
  const denied = permissionError(env, 'readMore', open.object);
  if (denied) return fail(denied);
  const page = open.rows.slice(open.offset, open.offset + open.pageSize);
  open.offset += page.length;
  const remaining = Math.max(0, open.rows.length - open.offset);
  if (remaining === 0) env.results.delete(id);
  return ok(
    `<data listtype="${esc(open.wrapper)}" ${pageAttrs(page.length, open.rows.length, remaining)} resultId="${remaining ? id : ''}">${recordsXml(open.wrapper, page, open.fields)}</data>`,
  );
}

const FILTER_OPS: Record<string, '=' | '<>' | '<' | '>' | '<=' | '>='> = {
  equalto: '=',
  notequalto: '<>',
  lessthan: '<',
  greaterthan: '>',
  lessthanorequalto: '<=',
  greaterthanorequalto: '>=',
};

/** Compiles `query`'s `<filter>` element to the shared predicate model. */
export function compileFilter(node: XNode): Predicate {
  const field = () => (childText(node, 'field') ?? '').toUpperCase();
  const values = () => node.children.filter((c) => c.name === 'value').map((c) => c.text);
  const op = FILTER_OPS[node.name];
  if (op) return { kind: 'cmp', field: field(), op, value: values()[0] ?? '' };
  switch (node.name) {
    case 'filter':
      if (node.children.length !== 1) throw new QueryError('filter takes exactly one condition');
      return compileFilter(node.children[0]!);
    case 'and':
    case 'or':
      if (node.children.length < 2) throw new QueryError(`${node.name} needs two or more conditions`);
      return { kind: node.name, items: node.children.map(compileFilter) };
    case 'like':
    case 'notlike':
      return { kind: 'like', field: field(), pattern: values()[0] ?? '', negate: node.name === 'notlike' };
    case 'in':
    case 'notin':
      return { kind: 'in', field: field(), values: values(), negate: node.name === 'notin' };
    case 'isnull':
    case 'isnotnull':
      return { kind: 'null', field: field(), negate: node.name === 'isnotnull' };
    case 'between': {
      const [lo, hi] = values();
      return {
        kind: 'and',
        items: [
          { kind: 'cmp', field: field(), op: '>=', value: lo ?? '' },
          { kind: 'cmp', field: field(), op: '<=', value: hi ?? '' },
        ],
      };
    }
    default:
      throw new QueryError(`unknown filter element ${node.name}`);
  }
}

function query(env: FunctionEnv, node: XNode): FunctionOutcome {
  const requested = childText(node, 'object') ?? '';
  const object = requested.toUpperCase();
  const denied = guard(env, 'query', requested);
  if (denied) return fail(denied);
  const known = knownFields(env, object);
  const select = child(node, 'select')!;
  const fields = select.children.filter((c) => c.name === 'field').map((c) => c.text.trim().toUpperCase());
  if (fields.length === 0 || fields.length !== select.children.length) {
    return fail(
      processingError(env, 'select takes one or more field elements (aggregates are not supported here).'),
    );
  }
  const bad = fields.filter((f) => !known.has(f));
  if (bad.length)
    return fail([{ errorno: 'DL02000001', description2: `Invalid fields list ${bad.join(',')}` }]);
  const options = child(node, 'options');
  const caseInsensitive = options ? childText(options, 'caseinsensitive') === 'true' : false;
  let predicate: Predicate = { kind: 'true' };
  const filter = child(node, 'filter');
  try {
    if (filter) predicate = compileFilter(filter);
  } catch (error) {
    return fail(processingError(env, `Invalid filter: ${(error as Error).message}`));
  }
  const unknown = [...predicateFields(predicate)].filter((f) => !known.has(f));
  if (unknown.length) return fail(processingError(env, `Unknown field(s) in filter: ${unknown.join(', ')}`));
  let rows = env.ctx.records(env.company, object).filter((r) => evaluate(predicate, r, caseInsensitive));
  const orderby = child(node, 'orderby');
  if (orderby) {
    const orders = orderby.children.map((o) => ({
      field: (childText(o, 'field') ?? '').toUpperCase(),
      desc: !!child(o, 'descending'),
    }));
    rows = [...rows].sort((a, b) => {
      for (const o of orders) {
        const x = a[o.field] ?? '';
        const y = b[o.field] ?? '';
        const c =
          /^-?\d+(\.\d+)?$/.test(x) && /^-?\d+(\.\d+)?$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y);
        if (c) return o.desc ? -c : c;
      }
      return 0;
    });
  }
  let pageSize = Number(childText(node, 'pagesize') ?? '100');
  if (!Number.isInteger(pageSize) || pageSize < 1) pageSize = 100;
  pageSize = Math.min(pageSize, 2000);
  let offset = Number(childText(node, 'offset') ?? '0');
  if (!Number.isInteger(offset) || offset < 0) offset = 0;
  const page = rows.slice(offset, offset + pageSize);
  const remaining = Math.max(0, rows.length - offset - page.length);
  return ok(
    `<data listtype="${esc(object)}" ${pageAttrs(page.length, rows.length, remaining)} offset="${offset}">${recordsXml(object, page, fields)}</data>`,
  );
}

function readKeys(env: FunctionEnv, node: XNode, operation: 'read' | 'readByName'): FunctionOutcome {
  const requested = childText(node, 'object') ?? '';
  const object = requested.toUpperCase();
  const denied = guard(env, operation, requested);
  if (denied) return fail(denied);
  const sel = selectFields(childText(node, 'fields'), knownFields(env, object));
  if (!sel.ok) return fail(sel.errors);
  const keys = (childText(node, 'keys') ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const all = env.ctx.records(env.company, object);
  const keyField = operation === 'read' ? 'RECORDNO' : objectDef(object).nameField;
  let rows: Record<string, string>[];
  if (keys.length === 0 || (keys.length === 1 && keys[0] === '*'))
    rows = operation === 'read' ? all.slice(0, 100) : [];
  else {
    const byKey = new Map(all.map((r) => [r[keyField] ?? '', r]));
    rows = keys.map((k) => byKey.get(k)).filter((r): r is Record<string, string> => !!r);
  }
  const wrapper = requested.toLowerCase();
  return ok(
    `<data listtype="${esc(wrapper)}" count="${rows.length}">${recordsXml(wrapper, rows, sel.fields)}</data>`,
  );
}

const TYPE_NAMES: Record<FieldDef['type'], string> = {
  integer: 'INTEGER',
  text: 'TEXT',
  decimal: 'DECIMAL',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  enum: 'ENUM',
  boolean: 'BOOLEAN',
};

/** Objects the company has: known objects of subscribed modules plus the ones its records name. */
export function companyObjects(company: Company): string[] {
  const out = new Set<string>();
  for (const info of Object.values(OBJECTS)) if (isSubscribed(company, info.module)) out.add(info.object);
  for (const k of Object.keys(company.records)) out.add(k.toUpperCase());
  return [...out].sort();
}

function inspect(env: FunctionEnv, node: XNode): FunctionOutcome {
  const requested = childText(node, 'object') ?? '*';
  const detail = node.attrs.detail === '1' || node.attrs.detail === 'true';
  if (requested === '*') {
    const objects = companyObjects(env.company);
    let body = `<data listtype="All" count="${objects.length}">`;
    for (const o of objects)
      body += `<type typename="${esc(o)}">${esc(OBJECTS[o]?.label ?? objectDef(o).label)}</type>`;
    return ok(`${body}</data>`);
  }
  const missing = objectMissingError(env, requested);
  if (missing) return fail(missing);
  const d = objectDef(requested.toUpperCase());
  let body = `<data listtype="${esc(requested.toUpperCase())}" count="1"><Type Name="${esc(requested.toUpperCase())}" DocumentType="">`;
  if (!detail) {
    body += '<Fields>';
    for (const f of d.fields) body += el('Field', f.name);
    return ok(`${body}</Fields></Type></data>`);
  }
  body += `<Attributes><SingularName>${esc(d.label)}</SingularName></Attributes><Fields>`;
  d.fields.forEach((f, i) => {
    body += `<Field>${el('Name', f.name)}<GroupName></GroupName>${el('dataName', f.name)}${el('externalDataName', f.name)}${el('isRequired', String(!!f.required))}${el('isReadOnly', String(!!f.readOnly))}<maxLength></maxLength>${el('DisplayLabel', f.label)}${el('Description', f.label)}${el('id', String(i + 1))}<relationship></relationship>${el('ordinal', String(i + 1))}<isCustom>false</isCustom>${el('dataType', TYPE_NAMES[f.type])}</Field>`;
  });
  return ok(`${body}</Fields></Type></data>`);
}

function lookup(env: FunctionEnv, node: XNode): FunctionOutcome {
  const requested = childText(node, 'object') ?? '';
  const missing = objectMissingError(env, requested);
  if (missing) return fail(missing);
  const d = objectDef(requested.toUpperCase());
  let body = `<data listtype="${esc(requested.toUpperCase())}" count="1"><Type Name="${esc(requested.toUpperCase())}" DocumentType=""><Fields>`;
  for (const f of d.fields) {
    body += `<Field>${el('ID', f.name)}${el('LABEL', f.label)}${el('DESCRIPTION', f.label)}${el('REQUIRED', String(!!f.required))}${el('READONLY', String(!!f.readOnly))}${el('DATATYPE', TYPE_NAMES[f.type])}<ISCUSTOM>false</ISCUSTOM>`;
    if (f.values) body += `<VALIDVALUES>${f.values.map((v) => el('VALIDVALUE', v)).join('')}</VALIDVALUES>`;
    body += '</Field>';
  }
  return ok(`${body}</Fields></Type></data>`);
}

function getUserPermissions(env: FunctionEnv, node: XNode): FunctionOutcome {
  const userId = childText(node, 'userId') ?? '';
  const target = env.ctx.findUser(env.company, userId);
  const self = userId === env.user.id;
  if (!self && env.user.admin === 'off' && !env.rights.get('USERINFO')?.has('view')) {
    return fail([
      {
        errorno: 'PL04000005',
        description2: `You do not have permission for API operation READ on objects of type USERINFO [Support ID: ${env.ctx.supportId()}]`,
      },
    ]);
  }
  if (!target) {
    return fail([
      {
        errorno: 'BL01001973',
        description2: `User ${userId} does not exist.`,
        correction: 'Check the user ID (case-sensitive).',
      },
    ]);
  }
  const rights = env.ctx.effectiveRights(env.company, target);
  // Group by application, then by permission; several objects can share one permission.
  const apps = new Map<string, Map<string, Set<Right>>>();
  for (const [object, set] of rights) {
    const info = OBJECTS[object];
    if (!info || !isSubscribed(env.company, info.module) || set.size === 0) continue;
    const app = MODULES[info.module].name;
    const policies = apps.get(app) ?? new Map<string, Set<Right>>();
    const merged = policies.get(info.permission) ?? new Set<Right>();
    for (const r of set) merged.add(r);
    policies.set(info.permission, merged);
    apps.set(app, policies);
  }
  const order: Right[] = ['list', 'view', 'add', 'edit', 'delete'];
  let body = '<data><permissions>';
  for (const [app, policies] of apps) {
    body += `<appSubscription>${el('applicationName', app)}<policies>`;
    for (const [policy, set] of policies) {
      const labels = order.filter((r) => set.has(r)).map((r) => RIGHT_LABELS[r]);
      body += `<policy>${el('policyName', policy)}${el('rights', labels.join('|'))}</policy>`;
    }
    body += '</policies></appSubscription>';
  }
  return ok(`${body}</permissions></data>`);
}

function getDimensions(env: FunctionEnv): FunctionOutcome {
  const dims: Array<[string, string, string]> = [
    ['DEPARTMENT', 'Department', 'company'],
    ['LOCATION', 'Location', 'company'],
    ['CLASS', 'Class', 'company'],
    ['EMPLOYEE', 'Employee', 'company'],
    ['CUSTOMER', 'Customer', 'accounts-receivable'],
    ['VENDOR', 'Vendor', 'accounts-payable'],
    ['PROJECT', 'Project', 'projects'],
    ['ITEM', 'Item', 'inventory'],
  ];
  let body = '<data><dimensions>';
  for (const [object, label, module] of dims) {
    if (!isSubscribed(env.company, module)) continue;
    body += `<dimension>${el('objectName', object)}${el('objectLabel', label)}${el('termLabel', label)}<userDefinedDimension>false</userDefinedDimension><enabledInGL>true</enabledInGL></dimension>`;
  }
  return ok(`${body}</dimensions></data>`);
}

function getAPISession(env: FunctionEnv, node: XNode): FunctionOutcome {
  const locationNode = child(node, 'locationid');
  let entityId = env.entityId;
  if (locationNode) {
    entityId = locationNode.text.trim() || undefined;
    const access = checkEntityAccess(env.company, env.user, entityId);
    if (!access.ok) {
      return fail([
        {
          errorno: 'XL03000006',
          description2: env.ctx.behaviours.signInTexts.badLocation,
          correction: entityId
            ? `Check that entity ${entityId} exists and that the user may access it.`
            : 'The user is restricted to entities; give the user top-level access or name an entity.',
        },
      ]);
    }
  }
  let sessionId = env.sessionId;
  if (!sessionId || locationNode) {
    sessionId = env.ctx.sessions.create({
      companyId: env.company.id,
      userId: env.user.id,
      ...(entityId ? { entityId } : {}),
      senderId: env.senderId,
    }).sessionId;
  }
  return ok(
    `<data><api>${el('sessionid', sessionId)}${el('endpoint', `${env.baseUrl}/ia/xml/xmlgw.phtml`)}${el('locationid', entityId ?? '')}</api></data>`,
  );
}

function labelOf(object: string): string {
  return objectDef(object).label;
}

function writeGuard(
  env: FunctionEnv,
  operation: 'create' | 'update' | 'delete',
  requested: string,
): XmlError[] | undefined {
  const missing = objectMissingError(env, requested);
  if (missing) return missing;
  if (READ_ONLY_OBJECTS.has(requested.toUpperCase())) {
    return [
      {
        errorno: 'BL01001973',
        description2: `API operation '${OPERATION_ERROR_NAMES[operation]}' cannot be performed on objects of type ${requested}`,
      },
    ];
  }
  return permissionError(env, operation, requested);
}

/** Flattens nested elements (e.g. DISPLAYCONTACT/PRINTAS) to dotted names (DISPLAYCONTACT.PRINTAS). */
function recordFromNode(node: XNode, prefix = '', rec: Record<string, string> = {}): Record<string, string> {
  for (const c of node.children) {
    const name = `${prefix}${c.name.toUpperCase()}`;
    if (c.children.length) recordFromNode(c, `${name}.`, rec);
    else rec[name] = c.text.trim();
  }
  return rec;
}

function validateFields(object: string, rec: Record<string, string>, isCreate: boolean): XmlError[] {
  const d = objectDef(object);
  const known = new Map(d.fields.map((f) => [f.name, f]));
  const errors: XmlError[] = [];
  for (const [name, value] of Object.entries(rec)) {
    const f = known.get(name);
    // Compound fields (contacts, addresses) are kept as given; only flat fields are checked.
    if (!f && name.includes('.')) continue;
    if (!f) {
      errors.push({ errorno: 'BL01001973', description2: `${name} is not a valid field of ${object}.` });
      continue;
    }
    if (f.values && value !== '' && !f.values.includes(value)) {
      errors.push({
        errorno: 'BL01001973',
        description2: `Invalid ${f.label} '${value}' specified.`,
        correction: `Use one of: ${f.values.join(', ')}.`,
      });
    }
    if (f.type === 'decimal' && value !== '' && !/^-?\d+(\.\d+)?$/.test(value)) {
      errors.push({ errorno: 'BL01001973', description2: `${f.label} must be a number, got '${value}'.` });
    }
    if (f.type === 'date' && value !== '' && !/^\d{2}\/\d{2}\/\d{4}$/.test(value)) {
      errors.push({
        errorno: 'BL01001973',
        description2: `${f.label} must be a date in MM/DD/YYYY format, got '${value}'.`,
      });
    }
  }
  if (isCreate) {
    for (const f of d.fields) {
      if (f.required && !f.readOnly && !rec[f.name]) {
        errors.push({
          errorno: 'BL01001973',
          description2: `Required field ${f.label} (${f.name}) is missing.`,
        });
      }
    }
  }
  return errors;
}

function duplicateError(
  object: string,
  rec: Record<string, string>,
  all: Record<string, string>[],
  self?: Record<string, string>,
): XmlError[] {
  for (const f of objectDef(object).fields) {
    if (!f.unique) continue;
    const v = rec[f.name];
    if (v && all.some((r) => r !== self && r[f.name] === v)) {
      return [
        {
          errorno: 'BL34000061',
          description2: `Another ${labelOf(object)} with the given value(s) ${v} already exists`,
          correction: 'Use a unique value instead.',
        },
      ];
    }
  }
  return [];
}

function create(env: FunctionEnv, node: XNode): FunctionOutcome {
  if (node.children.length === 0)
    return fail(processingError(env, 'create needs one or more object elements.'));
  const requested = node.children[0]!.name;
  const object = requested.toUpperCase();
  if (node.children.some((c) => c.name.toUpperCase() !== object)) {
    return fail(processingError(env, 'All records of one create must be of the same object.'));
  }
  const denied = writeGuard(env, 'create', requested);
  if (denied) return fail(denied);
  const all = env.ctx.records(env.company, object);
  const created: Record<string, string>[] = [];
  for (const recNode of node.children) {
    const rec = recordFromNode(recNode);
    delete rec.RECORDNO;
    const errors = [...validateFields(object, rec, true), ...duplicateError(object, rec, all)];
    if (errors.length) {
      errors.push({ errorno: 'BL01001973', description2: `Could not create ${labelOf(object)} record!` });
      return { status: 'failure', errors };
    }
    const max = all.reduce((m, r) => Math.max(m, Number(r.RECORDNO) || 0), 0);
    const stamp = new Date(env.ctx.now());
    const when = `${String(stamp.getUTCMonth() + 1).padStart(2, '0')}/${String(stamp.getUTCDate()).padStart(2, '0')}/${stamp.getUTCFullYear()} ${stamp.toISOString().slice(11, 19)}`;
    const full: Record<string, string> = {
      RECORDNO: String(max + 1),
      ...rec,
      WHENCREATED: when,
      WHENMODIFIED: when,
    };
    all.push(full);
    env.journal.push(() => {
      const i = all.indexOf(full);
      if (i >= 0) all.splice(i, 1);
    });
    created.push(full);
  }
  const nameField = objectDef(object).nameField;
  const wrapper = requested.toLowerCase();
  const fields = nameField === 'RECORDNO' ? ['RECORDNO'] : ['RECORDNO', nameField];
  return ok(
    `<data listtype="objects" count="${created.length}">${recordsXml(wrapper, created, fields)}</data>`,
  );
}

function update(env: FunctionEnv, node: XNode): FunctionOutcome {
  if (node.children.length === 0)
    return fail(processingError(env, 'update needs one or more object elements.'));
  const requested = node.children[0]!.name;
  const object = requested.toUpperCase();
  const denied = writeGuard(env, 'update', requested);
  if (denied) return fail(denied);
  const all = env.ctx.records(env.company, object);
  const nameField = objectDef(object).nameField;
  const updated: Record<string, string>[] = [];
  for (const recNode of node.children) {
    const rec = recordFromNode(recNode);
    const target = rec.RECORDNO
      ? all.find((r) => r.RECORDNO === rec.RECORDNO)
      : rec[nameField]
        ? all.find((r) => r[nameField] === rec[nameField])
        : undefined;
    if (!target) {
      return fail([
        {
          errorno: 'BL01001973',
          description2:
            rec.RECORDNO || rec[nameField]
              ? `No ${labelOf(object)} record with key ${rec.RECORDNO ?? rec[nameField]} exists.`
              : `Specify RECORDNO or ${nameField} to update a ${labelOf(object)}.`,
        },
        { errorno: 'BL01001973', description2: `Could not update ${labelOf(object)} record!` },
      ]);
    }
    const { RECORDNO: _key, ...changes } = rec;
    const errors = [
      ...validateFields(object, changes, false),
      ...duplicateError(object, changes, all, target),
    ];
    if (errors.length) {
      errors.push({ errorno: 'BL01001973', description2: `Could not update ${labelOf(object)} record!` });
      return { status: 'failure', errors };
    }
    const before = { ...target };
    Object.assign(target, changes);
    env.journal.push(() => {
      for (const k of Object.keys(target)) delete target[k];
      Object.assign(target, before);
    });
    updated.push(target);
  }
  const wrapper = requested.toLowerCase();
  return ok(
    `<data listtype="objects" count="${updated.length}">${recordsXml(wrapper, updated, ['RECORDNO'])}</data>`,
  );
}

function remove(env: FunctionEnv, node: XNode): FunctionOutcome {
  const requested = childText(node, 'object') ?? '';
  const object = requested.toUpperCase();
  const denied = writeGuard(env, 'delete', requested);
  if (denied) return fail(denied);
  const all = env.ctx.records(env.company, object);
  const keys = (childText(node, 'keys') ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const missing = keys.filter((k) => !all.some((r) => r.RECORDNO === k));
  if (keys.length === 0 || missing.length) {
    return fail([
      {
        errorno: 'BL01001973',
        description2: `No ${labelOf(object)} record with key ${missing.join(',') || '(none)'} exists.`,
      },
      { errorno: 'BL01001973', description2: `Could not delete ${labelOf(object)} record!` },
    ]);
  }
  const wrapper = requested.toLowerCase();
  const deleted: Record<string, string>[] = [];
  for (const k of keys) {
    const i = all.findIndex((r) => r.RECORDNO === k);
    if (i < 0) continue;
    const [rec] = all.splice(i, 1);
    deleted.push({ RECORDNO: k });
    env.journal.push(() => all.splice(Math.min(i, all.length), 0, rec!));
  }
  return ok(
    `<data listtype="objects" count="${deleted.length}">${recordsXml(wrapper, deleted, ['RECORDNO'])}</data>`,
  );
}

export function runFunction(env: FunctionEnv, fn: FunctionInput): FunctionOutcome {
  switch (fn.name) {
    case 'getAPISession':
      return getAPISession(env, fn.node);
    case 'readByQuery':
      return readByQuery(env, fn.node);
    case 'readMore':
      return readMore(env, fn.node);
    case 'query':
      return query(env, fn.node);
    case 'read':
      return readKeys(env, fn.node, 'read');
    case 'readByName':
      return readKeys(env, fn.node, 'readByName');
    case 'inspect':
      return inspect(env, fn.node);
    case 'lookup':
      return lookup(env, fn.node);
    case 'getUserPermissions':
      return getUserPermissions(env, fn.node);
    case 'getDimensions':
      return getDimensions(env);
    case 'create':
      return create(env, fn.node);
    case 'update':
      return update(env, fn.node);
    case 'delete':
      return remove(env, fn.node);
    default:
      return fail([
        { errorno: 'XL03000003', description2: `Function ${fn.name} is not supported by the emulator.` },
      ]);
  }
}

/** The object a function works on, for fault matching and logs. */
export function functionObject(fn: FunctionInput): string | undefined {
  if (fn.name === 'create' || fn.name === 'update') return fn.node.children[0]?.name.toUpperCase();
  return childText(fn.node, 'object')?.toUpperCase();
}
