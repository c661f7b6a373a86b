import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { scanXml, type XmlElement } from '../../src/client/xml/index.js';

/** What the loopback gateway saw in one request. */
export interface SeenRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  root: XmlElement | null;
  /** `login` or `session`. */
  auth: 'login' | 'session' | 'none';
  sessionId: string;
  login: Record<string, string>;
  functions: Array<{ controlId: string; name: string; el: XmlElement }>;
  transaction: boolean;
}

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  gzip?: boolean;
  delayMs?: number;
  /** Close the socket without answering. */
  destroy?: boolean;
}

export type Handler = (req: SeenRequest, n: number) => Answer | Promise<Answer>;

const kid = (el: XmlElement | undefined, name: string) => el?.children?.find((c) => c.name === name);

function describe(path: string, headers: IncomingMessage['headers'], body: string): SeenRequest {
  let root: XmlElement | null = null;
  try {
    root = scanXml(body);
  } catch {
    root = null;
  }
  const op = kid(root ?? undefined, 'operation');
  const auth = kid(op, 'authentication');
  const loginEl = kid(auth, 'login');
  const sessionEl = kid(auth, 'sessionid');
  const login: Record<string, string> = {};
  for (const c of loginEl?.children ?? []) login[c.name] = c.text;
  const fns = (kid(op, 'content')?.children ?? []).map((f) => ({
    controlId: f.attrs?.controlid ?? '',
    name: f.children?.[0]?.name ?? '',
    el: f.children?.[0] as XmlElement,
  }));
  return {
    path,
    headers,
    body,
    root,
    auth: loginEl ? 'login' : sessionEl ? 'session' : 'none',
    sessionId: sessionEl?.text ?? '',
    login,
    functions: fns,
    transaction: op?.attrs?.transaction === 'true',
  };
}

export const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A full success envelope around result blocks. */
export function okEnvelope(results: string, sessionTimeout = '2099-01-01T06:00:00+00:00'): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><response><control><status>success</status><senderid>S</senderid>' +
    '<controlid>c</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control><operation>' +
    '<authentication><status>success</status><userid>u</userid><companyid>c</companyid><locationid></locationid>' +
    `<sessiontimestamp>2099-01-01T00:00:00+00:00</sessiontimestamp><sessiontimeout>${sessionTimeout}</sessiontimeout>` +
    `</authentication>${results}</operation></response>`
  );
}

export function okResult(fn: { controlId: string; name: string }, data = '', attrs = ''): string {
  return (
    `<result><status>success</status><function>${fn.name}</function><controlid>${xmlEscape(fn.controlId)}</controlid>` +
    `<data${attrs}>${data}</data></result>`
  );
}

export function failResult(
  fn: { controlId: string; name: string },
  errorno: string,
  d2: string,
  status = 'failure',
): string {
  return (
    `<result><status>${status}</status><function>${fn.name}</function><controlid>${xmlEscape(fn.controlId)}</controlid>` +
    `<errormessage><error><errorno>${errorno}</errorno><description></description><description2>${xmlEscape(d2)}</description2>` +
    '<correction></correction></error></errormessage></result>'
  );
}

export const invalidSessionBody =
  '<?xml version="1.0" encoding="UTF-8"?><response><control><status>success</status><senderid>S</senderid>' +
  '<controlid>c</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control><operation>' +
  '<authentication><status>failure</status><userid></userid><companyid></companyid></authentication>' +
  '<errormessage><error><errorno>XL03000006</errorno><description></description>' +
  '<description2>Invalid session ID. Please check your request.</description2><correction></correction></error>' +
  '</errormessage></operation></response>';

export class LoopbackGateway {
  readonly seen: SeenRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private server: Server | null = null;
  url = '';

  constructor(public handler: Handler) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${port}/ia/xml/xmlgw.phtml`;
    return this;
  }

  get origin(): string {
    return new URL(this.url).origin;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const seen = describe(req.url ?? '', req.headers, Buffer.concat(chunks).toString('utf8'));
      this.seen.push(seen);
      const answer = await this.handler(seen, this.seen.length);
      if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
      if (answer.destroy) {
        req.socket.destroy();
        return;
      }
      let payload: Buffer = Buffer.from(answer.body ?? '', 'utf8');
      const headers: Record<string, string> = {
        'content-type': 'text/xml; encoding="UTF-8"',
        ...answer.headers,
      };
      if (answer.gzip) {
        payload = gzipSync(payload);
        headers['content-encoding'] = 'gzip';
      }
      res.writeHead(answer.status ?? 200, headers);
      res.end(payload);
    } finally {
      this.inFlight--;
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
