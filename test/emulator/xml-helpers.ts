import { XMLParser } from 'fast-xml-parser';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => ['result', 'error', 'operation'].includes(name),
});

export interface XError {
  errorno: string;
  description: string;
  description2: string;
  correction: string;
}

type Obj = Record<string, unknown>;

// Intacct escapes apostrophes as &#039;, which the parser leaves alone.
const decode = (s: string) => s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)));
const text = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'object' ? '' : decode(String(v));

function errors(node: unknown): XError[] {
  const list = ((node as Obj | undefined)?.error ?? []) as Obj[];
  return list.map((e) => ({
    errorno: text(e.errorno),
    description: text(e.description),
    description2: text(e.description2),
    correction: text(e.correction),
  }));
}

/** A gateway response, read the way a careful client reads it (layer by layer). */
export function readResponse(xml: string) {
  const doc = parser.parse(xml) as Obj;
  const response = doc.response as Obj | undefined;
  if (!response) throw new Error(`no <response> in ${xml.slice(0, 200)}`);
  const control = response.control as Obj;
  const operations = ((response.operation ?? []) as Obj[]).map((op) => {
    const auth = op.authentication as Obj;
    return {
      authentication: {
        status: text(auth?.status),
        userid: text(auth?.userid),
        companyid: text(auth?.companyid),
        locationid: text(auth?.locationid),
        sessiontimeout: text(auth?.sessiontimeout),
        hasUserid: auth !== undefined && 'userid' in auth,
      },
      errors: errors(op.errormessage),
      results: ((op.result ?? []) as Obj[]).map((r) => ({
        status: text(r.status),
        function: text(r.function),
        controlid: text(r.controlid),
        data: r.data as Obj | undefined,
        errors: errors(r.errormessage),
      })),
    };
  });
  return {
    control: {
      status: text(control?.status),
      senderid: text(control?.senderid),
      controlid: text(control?.controlid),
      keys: control ? Object.keys(control) : [],
    },
    errors: errors(response.errormessage),
    operations,
    /** The first result, for single-function requests. */
    get result() {
      const r = operations[0]?.results[0];
      if (!r) throw new Error(`no result in ${xml.slice(0, 400)}`);
      return r;
    },
  };
}

/** Records of a `<data>` element, whatever the wrapper element is called. */
export function dataRecords(data: Obj | undefined): Record<string, string>[] {
  if (!data) return [];
  const out: Record<string, string>[] = [];
  for (const [k, v] of Object.entries(data)) {
    if (k.startsWith('@')) continue;
    for (const item of Array.isArray(v) ? v : [v]) out.push(item as Record<string, string>);
  }
  return out;
}
