import { element, escapeXml } from './escape.js';

/** One function of a request. `xml` is the function's own element (e.g. `<readByQuery>…</readByQuery>`). */
export interface IntacctFunction {
  controlId: string;
  function: string;
  object?: string;
  xml: string;
}

export interface LoginAuthentication {
  login: { userId: string; companyId: string; password: string; entityId?: string; clientId?: string };
}
export interface SessionAuthentication {
  sessionId: string;
}

export interface RequestSpec {
  control: {
    senderId: string;
    senderPassword: string;
    controlId?: string;
    uniqueId?: boolean;
    dtdVersion?: '3.0' | '2.1';
    includeWhitespace?: boolean;
    policyId?: string;
  };
  operation: {
    transaction?: boolean;
    authentication: LoginAuthentication | SessionAuthentication;
    functions: IntacctFunction[];
  };
}

export const XML_PROLOG = '<?xml version="1.0" encoding="utf-8" ?>';

function checkControlId(id: string, what: string): string {
  if (id.length < 1 || id.length > 256) {
    throw new RangeError(`${what} must be between 1 and 256 characters long`);
  }
  return id;
}

function authenticationXml(auth: LoginAuthentication | SessionAuthentication): string {
  if ('login' in auth && auth.login) {
    const l = auth.login;
    // Schema order: userid, companyid, password, clientid?, locationid?
    return (
      '<authentication><login>' +
      element('userid', l.userId) +
      element('companyid', l.companyId) +
      element('password', l.password) +
      (l.clientId ? element('clientid', l.clientId) : '') +
      (l.entityId ? element('locationid', l.entityId) : '') +
      '</login></authentication>'
    );
  }
  if ('sessionId' in auth && typeof auth.sessionId === 'string') {
    return `<authentication>${element('sessionid', auth.sessionId)}</authentication>`;
  }
  throw new TypeError('operation.authentication needs either login or sessionId');
}

/** Builds one compact request envelope, every value escaped, elements in schema order. */
export function buildRequest(req: RequestSpec): string {
  const c = req.control;
  const op = req.operation;
  if ('login' in op.authentication && 'sessionId' in op.authentication) {
    // Intacct silently prefers one; sending both hides which credential is really in use.
    throw new TypeError('operation.authentication must hold login or sessionId, not both');
  }
  if (op.functions.length === 0) throw new RangeError('operation.functions must hold at least one function');
  const controlId = checkControlId(c.controlId ?? String(Date.now()), 'control.controlId');
  let xml =
    XML_PROLOG +
    '<request><control>' +
    element('senderid', c.senderId) +
    element('password', c.senderPassword) +
    element('controlid', controlId) +
    element('uniqueid', c.uniqueId === true ? 'true' : 'false') +
    element('dtdversion', c.dtdVersion ?? '3.0') +
    (c.policyId ? element('policyid', c.policyId) : '') +
    element('includewhitespace', c.includeWhitespace === true ? 'true' : 'false') +
    '</control>' +
    `<operation transaction="${op.transaction === true ? 'true' : 'false'}">` +
    authenticationXml(op.authentication) +
    '<content>';
  for (const fn of op.functions) {
    checkControlId(fn.controlId, 'function controlId');
    xml += `<function controlid="${escapeXml(fn.controlId)}">${fn.xml}</function>`;
  }
  return `${xml}</content></operation></request>`;
}
