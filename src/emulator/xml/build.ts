/** Response XML built by string concatenation: the gateway's hot path. */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#039;',
};
const NEEDS_ESCAPE = /[&<>"']/;

export function esc(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(/[&<>"']/g, (c) => ESCAPES[c]!) : value;
}

export const el = (name: string, value: string) =>
  value === '' ? `<${name}></${name}>` : `<${name}>${esc(value)}</${name}>`;

export interface XmlError {
  errorno: string;
  description?: string;
  description2?: string;
  correction?: string;
}

export function errorXml(e: XmlError): string {
  return `<error>${el('errorno', e.errorno)}${el('description', e.description ?? '')}${el('description2', e.description2 ?? '')}${el('correction', e.correction ?? '')}</error>`;
}

export function errorMessageXml(errors: readonly XmlError[]): string {
  let out = '<errormessage>';
  for (const e of errors) out += errorXml(e);
  return `${out}</errormessage>`;
}

export interface ControlEcho {
  senderid: string;
  controlid: string;
  uniqueid: string;
  dtdversion: string;
}

export function controlXml(status: 'success' | 'failure', echo: ControlEcho): string {
  return `<control>${el('status', status)}${el('senderid', echo.senderid)}${el('controlid', echo.controlid)}${el('uniqueid', echo.uniqueid)}${el('dtdversion', echo.dtdversion)}</control>`;
}

export const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n';

export function responseXml(inner: string): string {
  return `${PROLOG}<response>${inner}</response>`;
}

/** Intacct's timestamps in authentication blocks: ISO 8601 with an explicit offset. */
export function isoOffset(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function authSuccessXml(a: {
  userid: string;
  companyid: string;
  locationid: string;
  timestamp: number;
  timeout: number;
}): string {
  return `<authentication><status>success</status>${el('userid', a.userid)}${el('companyid', a.companyid)}${el('locationid', a.locationid)}${el('sessiontimestamp', isoOffset(a.timestamp))}${el('sessiontimeout', isoOffset(a.timeout))}</authentication>`;
}

export function authFailureXml(userid: string, companyid: string): string {
  return `<authentication><status>failure</status>${el('userid', userid)}${el('companyid', companyid)}</authentication>`;
}

/** Renders records as `<data>` children; field names upper case, wrapped in the object's element. */
export function recordsXml(
  wrapper: string,
  records: readonly Record<string, string>[],
  fields?: readonly string[],
): string {
  let out = '';
  for (const r of records) {
    out += `<${wrapper}>`;
    if (fields) {
      for (const f of fields) out += el(f, r[f] ?? '');
    } else {
      for (const k in r) out += el(k, r[k]!);
    }
    out += `</${wrapper}>`;
  }
  return out;
}
