import { child, childText, type XNode } from './tree.js';

/**
 * Checks a parsed request against the gateway's grammar (reference §2.2: ordered sequences, required
 * elements and attributes) and turns it into plain data. Every violation is collected, as Intacct
 * reports several schema errors at once under XL03000003.
 */

export interface ControlInput {
  senderid: string;
  password: string;
  controlid: string;
  uniqueid: string;
  dtdversion: string;
  policyid?: string;
}

export type AuthInput =
  | {
      kind: 'login';
      userid: string;
      companyid: string;
      password: string;
      locationid?: string;
      clientid?: string;
    }
  | { kind: 'session'; sessionid: string };

export interface FunctionInput {
  controlid: string;
  name: string;
  node: XNode;
}

export interface OperationInput {
  transaction: boolean;
  auth: AuthInput;
  functions: FunctionInput[];
}

export interface RequestInput {
  control: ControlInput;
  operations: OperationInput[];
}

/** Echo values for the control block, taken leniently so even a failed validation can echo them. */
export function controlEcho(root: XNode): ControlInput {
  const control = root.name === 'request' ? child(root, 'control') : undefined;
  return {
    senderid: control ? (childText(control, 'senderid') ?? '') : '',
    password: control ? (childText(control, 'password') ?? '') : '',
    controlid: control ? (childText(control, 'controlid') ?? '') : '',
    uniqueid: control ? (childText(control, 'uniqueid') ?? 'false') : 'false',
    dtdversion: control ? (childText(control, 'dtdversion') ?? '3.0') : '3.0',
  };
}

interface Slot {
  name: string;
  min: number;
  max: number;
}

const one = (name: string): Slot => ({ name, min: 1, max: 1 });
const opt = (name: string): Slot => ({ name, min: 0, max: 1 });

function checkSequence(node: XNode, slots: Slot[], errors: string[]): void {
  let i = 0;
  for (const slot of slots) {
    let n = 0;
    while (i < node.children.length && node.children[i]!.name === slot.name && n < slot.max) {
      i++;
      n++;
    }
    if (n < slot.min) {
      const found = node.children[i];
      if (found) {
        errors.push(
          `XML Parse schema error: Error 1871: Element '${found.name}': This element is not expected. Expected is ( ${slot.name} ).`,
        );
      } else {
        errors.push(
          `XML Parse schema error: Error 1871: Element '${node.name}': Missing child element(s). Expected is ( ${slot.name} ).`,
        );
      }
      return;
    }
  }
  const extra = node.children[i];
  if (extra) {
    errors.push(`XML Parse schema error: Error 1871: Element '${extra.name}': This element is not expected.`);
  }
}

const CONTROL: Slot[] = [
  one('senderid'),
  one('password'),
  one('controlid'),
  opt('uniqueid'),
  opt('dtdversion'),
  opt('policyid'),
  opt('includewhitespace'),
  opt('debug'),
];
const LOGIN: Slot[] = [one('userid'), one('companyid'), one('password'), opt('clientid'), opt('locationid')];

/** Functions this emulator implements, and the child elements each requires. */
export const FUNCTION_REQUIRES: Record<string, readonly string[]> = {
  getAPISession: [],
  readByQuery: ['object'],
  readMore: [],
  query: ['object', 'select'],
  read: ['object'],
  readByName: ['object'],
  inspect: ['object'],
  lookup: ['object'],
  getUserPermissions: ['userId'],
  getDimensions: [],
  create: [],
  update: [],
  delete: ['object', 'keys'],
};

/** The generic functions that need dtdversion 3.0. */
const V3_ONLY = new Set([
  'readByQuery',
  'readMore',
  'query',
  'read',
  'readByName',
  'inspect',
  'lookup',
  'create',
  'update',
  'delete',
  'getDimensions',
  'getUserPermissions',
]);

function checkBoolean(node: XNode | undefined, errors: string[]): void {
  if (node && !['true', 'false'].includes(node.text.trim())) {
    errors.push(
      `XML Parse schema error: Error 1824: Element '${node.name}': '${node.text.trim()}' is not a valid value of the atomic type 'xs:boolean'.`,
    );
  }
}

export function validateRequest(
  root: XNode,
): { ok: true; request: RequestInput } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  if (root.name !== 'request') {
    return {
      ok: false,
      errors: [
        `XML Parse schema error: Error 1845: Element '${root.name}': No matching global declaration available for the validation root.`,
      ],
    };
  }
  checkSequence(root, [one('control'), { name: 'operation', min: 1, max: Number.POSITIVE_INFINITY }], errors);
  const controlNode = child(root, 'control');
  if (controlNode) {
    checkSequence(controlNode, CONTROL, errors);
    checkBoolean(child(controlNode, 'uniqueid'), errors);
    checkBoolean(child(controlNode, 'includewhitespace'), errors);
    const cid = childText(controlNode, 'controlid') ?? '';
    if (child(controlNode, 'controlid') && (cid.length < 1 || cid.length > 256)) {
      errors.push(
        `XML Parse schema error: Error 1831: Element 'controlid': [facet 'minLength'] The value has a length of '${cid.length}'; this must be between 1 and 256.`,
      );
    }
    const dtd = childText(controlNode, 'dtdversion');
    if (dtd !== undefined && dtd !== '3.0' && dtd !== '2.1') {
      errors.push(
        `XML Parse schema error: Error 1840: Element 'dtdversion': [facet 'enumeration'] The value '${dtd}' is not an element of the set {'2.1', '3.0'}.`,
      );
    }
  }
  const control = controlEcho(root);
  const policy = controlNode ? childText(controlNode, 'policyid') : undefined;
  if (policy !== undefined) control.policyid = policy;

  const operations: OperationInput[] = [];
  for (const op of root.children.filter((c) => c.name === 'operation')) {
    checkSequence(op, [one('authentication'), one('content')], errors);
    const transaction = (op.attrs.transaction ?? 'false').trim();
    if (!['true', 'false'].includes(transaction)) {
      errors.push(
        `XML Parse schema error: Error 1824: Element 'operation', attribute 'transaction': '${transaction}' is not a valid value of the atomic type 'xs:boolean'.`,
      );
    }
    const authNode = child(op, 'authentication');
    let auth: AuthInput = { kind: 'session', sessionid: '' };
    if (authNode) {
      const first = authNode.children[0];
      if (authNode.children.length !== 1 || (first?.name !== 'login' && first?.name !== 'sessionid')) {
        errors.push(
          first && first.name !== 'login' && first.name !== 'sessionid'
            ? `XML Parse schema error: Error 1871: Element '${first.name}': This element is not expected. Expected is one of ( login, sessionid ).`
            : `XML Parse schema error: Error 1871: Element 'authentication': Missing child element(s). Expected is one of ( login, sessionid ).`,
        );
      } else if (first.name === 'login') {
        checkSequence(first, LOGIN, errors);
        const locationid = childText(first, 'locationid');
        const clientid = childText(first, 'clientid');
        auth = {
          kind: 'login',
          // Not trimmed: a trailing space in the company ID is a real, diagnosable mistake.
          userid: child(first, 'userid')?.text ?? '',
          companyid: child(first, 'companyid')?.text ?? '',
          password: child(first, 'password')?.text ?? '',
          ...(locationid !== undefined ? { locationid } : {}),
          ...(clientid !== undefined ? { clientid } : {}),
        };
      } else {
        auth = { kind: 'session', sessionid: first.text.trim() };
      }
    }
    const functions: FunctionInput[] = [];
    const content = child(op, 'content');
    if (content) {
      if (content.children.length === 0) {
        errors.push(
          `XML Parse schema error: Error 1871: Element 'content': Missing child element(s). Expected is ( function ).`,
        );
      }
      for (const fn of content.children) {
        if (fn.name !== 'function') {
          errors.push(
            `XML Parse schema error: Error 1871: Element '${fn.name}': This element is not expected. Expected is ( function ).`,
          );
          continue;
        }
        if (fn.attrs.controlid === undefined) {
          errors.push(
            `XML Parse schema error: Error 1868: Element 'function': The attribute 'controlid' is required but missing.`,
          );
        }
        const body = fn.children[0];
        if (fn.children.length !== 1 || !body) {
          errors.push(
            `XML Parse schema error: Error 1871: Element 'function': Missing child element(s). Expected is one of ( getAPISession, readByQuery, read, ... ).`,
          );
          continue;
        }
        const requires = FUNCTION_REQUIRES[body.name];
        if (!requires || (control.dtdversion === '2.1' && V3_ONLY.has(body.name))) {
          errors.push(
            `XML Parse schema error: Error 1871: Element '${body.name}': This element is not expected.`,
          );
          continue;
        }
        for (const name of requires) {
          if (!child(body, name)) {
            errors.push(
              `XML Parse schema error: Error 1871: Element '${body.name}': Missing child element(s). Expected is ( ${name} ).`,
            );
          }
        }
        functions.push({ controlid: fn.attrs.controlid ?? '', name: body.name, node: body });
      }
    }
    operations.push({ transaction: transaction === 'true', auth, functions });
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, request: { control, operations } };
}
