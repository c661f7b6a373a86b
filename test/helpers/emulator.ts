import { afterAll, beforeAll } from 'vitest';
import {
  defineWorld,
  type RunningEmulator,
  startEmulator,
  type World,
  type WorldInput,
} from '../../src/emulator/index.js';

/** The demo world's fixed credentials (worlds/demo.yaml, README). */
export const DEMO = {
  senderId: 'IntacctConnect',
  senderPassword: 'sender-demo-secret',
  userId: 'svc_sync',
  userPassword: 'Connect-Demo-1',
  clientId: '4f1c2a9d8e7b6a5c4d3e.app.sage.com',
  clientSecret: 'client-demo-secret',
} as const;

export type TestWorld = World | WorldInput | undefined;

/** Starts an emulator on 127.0.0.1, port 0: the demo world by default, or an inline world. Close it yourself. */
export async function startTestEmulator(world?: TestWorld): Promise<RunningEmulator> {
  // A parsed world is also valid input, so both kinds go through the same validation.
  const resolved = world === undefined ? undefined : defineWorld(world as WorldInput);
  return startEmulator({ ...(resolved ? { world: resolved } : {}), host: '127.0.0.1', port: 0 });
}

/**
 * Starts an emulator before the file's tests and closes it after them. Read `em.url`, `em.context`
 * inside tests (not at collection time).
 */
export function setupEmulator(world?: TestWorld): RunningEmulator {
  let running: RunningEmulator | undefined;
  beforeAll(async () => {
    running = await startTestEmulator(world);
  });
  afterAll(async () => {
    await running?.close();
  });
  const need = () => {
    if (!running) throw new Error('setupEmulator: read it inside a test, after beforeAll');
    return running;
  };
  return {
    get url() {
      return need().url;
    },
    get port() {
      return need().port;
    },
    get context() {
      return need().context;
    },
    get app() {
      return need().app;
    },
    close: () => need().close(),
  };
}

export interface XmlRequestOptions {
  senderId?: string;
  senderPassword?: string;
  controlId?: string;
  uniqueId?: boolean;
  transaction?: boolean;
  /** Login credentials; ignored when sessionId is given. */
  companyId?: string;
  userId?: string;
  userPassword?: string;
  entityId?: string;
  sessionId?: string;
  /** Function bodies, each wrapped in `<function controlid="f-N">`. */
  functions: string[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Builds a gateway request the way the official SDK does (compact, ordered). */
export function xmlRequest(o: XmlRequestOptions): string {
  const auth =
    o.sessionId !== undefined
      ? `<sessionid>${esc(o.sessionId)}</sessionid>`
      : `<login><userid>${esc(o.userId ?? DEMO.userId)}</userid><companyid>${esc(o.companyId ?? 'acme-healthy')}</companyid><password>${esc(o.userPassword ?? DEMO.userPassword)}</password>${o.entityId !== undefined ? `<locationid>${esc(o.entityId)}</locationid>` : ''}</login>`;
  const fns = o.functions.map((f, i) => `<function controlid="f-${i + 1}">${f}</function>`).join('');
  return `<?xml version="1.0" encoding="utf-8" ?><request><control><senderid>${esc(o.senderId ?? DEMO.senderId)}</senderid><password>${esc(o.senderPassword ?? DEMO.senderPassword)}</password><controlid>${esc(o.controlId ?? 'req-1')}</controlid><uniqueid>${o.uniqueId ? 'true' : 'false'}</uniqueid><dtdversion>3.0</dtdversion><includewhitespace>false</includewhitespace></control><operation transaction="${o.transaction ? 'true' : 'false'}"><authentication>${auth}</authentication><content>${fns}</content></operation></request>`;
}

/** POSTs a body to the emulator's XML gateway. */
export async function postXml(
  baseUrl: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; contentType: string; body: string }> {
  const res = await fetch(`${baseUrl}/ia/xml/xmlgw.phtml`, {
    method: 'POST',
    headers: { 'content-type': 'application/xml', ...headers },
    body,
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
}
