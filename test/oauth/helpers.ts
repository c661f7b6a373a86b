import { IntacctOAuthClient } from '../../src/client/rest/oauth.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { loadDemoWorld } from '../../src/emulator/world/load.js';
import type { Behaviours, World } from '../../src/emulator/world/schema.js';

export const PROD_CLIENT = '4f1c2a9d8e7b6a5c4d3e.app.sage.com';
export const PROD_SECRET = 'client-demo-secret';
export const SANDBOX_CLIENT = '9a8b7c6d5e4f3a2b1c0d.app.sage.com';
export const SANDBOX_SECRET = 'sandbox-demo-secret';
export const REDIRECT = 'http://127.0.0.1:3000/oauth/callback';
/** A regular (interactive) user the test world adds, for the authorize page, which refuses Web Services users. */
export const JANE = { companyId: 'acme-healthy', userId: 'jane', password: 'Jane-Pass-1' };

/** The demo world plus a few OAuth-only companies, with behaviour overrides. */
export function testWorld(behaviours: Partial<Behaviours> = {}, edit?: (w: World) => void): World {
  const world = loadDemoWorld();
  const healthy = world.companies.find((c) => c.id === 'acme-healthy')!;
  const clone = (id: string, change: (c: typeof healthy) => void) => {
    const c = structuredClone(healthy);
    c.id = id;
    change(c);
    world.companies.push(c);
    return c;
  };
  // A regular (interactive) admin user for the authorization-code flow; Web Services users cannot use the page.
  healthy.users.push({
    ...structuredClone(healthy.users[0]!),
    id: 'jane',
    password: 'Jane-Pass-1',
    webServicesOnly: false,
  });
  healthy.users.push({
    ...structuredClone(healthy.users[0]!),
    id: 'bob',
    password: 'Bob-Pass-1',
    webServicesOnly: false,
    admin: 'off',
  });
  clone('aca-inactive', (c) => {
    c.authorizedClients = [{ client: PROD_CLIENT, user: 'svc_sync', status: 'inactive' }];
  });
  clone('aca-no-user', (c) => {
    c.authorizedClients = [{ client: PROD_CLIENT, status: 'active' }];
  });
  clone('sender-off', (c) => {
    c.senderAuthorizations = [];
  });
  clone('consent-needed', (c) => {
    c.senderAuthorizations = [];
    c.users.push({
      ...structuredClone(c.users[0]!),
      id: 'jane',
      password: 'Jane-Pass-1',
      webServicesOnly: false,
    });
    c.users.push({
      ...structuredClone(c.users[0]!),
      id: 'bob',
      password: 'Bob-Pass-1',
      webServicesOnly: false,
      admin: 'off',
    });
  });
  const multi = world.companies.find((c) => c.id === 'acme-multi')!;
  multi.users.push({
    ...structuredClone(multi.users[0]!),
    id: 'svc_us',
    entities: ['US'],
    topLevelAccess: false,
  });
  multi.authorizedClients.push({ client: SANDBOX_CLIENT, user: 'svc_us', status: 'active' });
  Object.assign(world.behaviours, behaviours);
  edit?.(world);
  return world;
}

export async function emulator(
  behaviours: Partial<Behaviours> = {},
  edit?: (w: World) => void,
): Promise<RunningEmulator> {
  return startEmulator({ world: testWorld(behaviours, edit), port: 0 });
}

export async function stats(
  emu: RunningEmulator,
): Promise<{ xml: number; oauth: number; rest: number; total: number }> {
  const res = await fetch(`${emu.url}/_emulator/stats`);
  return ((await res.json()) as { requests: { xml: number; oauth: number; rest: number; total: number } })
    .requests;
}

export function form(params: Record<string, string>): URLSearchParams {
  return new URLSearchParams(params);
}

export async function postToken(
  emu: RunningEmulator,
  body: string | URLSearchParams,
  init: { contentType?: string; headers?: Record<string, string>; path?: string } = {},
): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const res = await fetch(`${emu.url}${init.path ?? '/ia/api/v1/oauth2/token'}`, {
    method: 'POST',
    headers: {
      'content-type': init.contentType ?? 'application/x-www-form-urlencoded',
      ...init.headers,
    },
    body: typeof body === 'string' ? body : body.toString(),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { status: res.status, json, text };
}

export function ccForm(username: string, overrides: Record<string, string> = {}): URLSearchParams {
  return form({
    grant_type: 'client_credentials',
    client_id: PROD_CLIENT,
    client_secret: PROD_SECRET,
    username,
    ...overrides,
  });
}

export interface BrowserOutcome {
  /** Where the authorize page sent the browser, if it redirected. */
  location?: string;
  /** The last page shown, if it did not redirect. */
  status: number;
  html: string;
}

const hidden = (html: string, name: string) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1];

/** Plays the person in the browser: loads the authorize page, signs in, then accepts or declines. */
export async function browse(
  authorizeUrl: string,
  person: { companyId: string; userId: string; password: string; decision?: 'accept' | 'decline' },
): Promise<BrowserOutcome> {
  const first = await fetch(authorizeUrl, { redirect: 'manual' });
  if (first.status === 302) return { location: first.headers.get('location')!, status: 302, html: '' };
  const html = await first.text();
  const request = hidden(html, 'request');
  const action = html.match(/<form method="post" action="([^"]+)"/)?.[1];
  if (first.status !== 200 || !request || !action) return { status: first.status, html };
  const target = new URL(action.replace(/&amp;/g, '&'), authorizeUrl).toString();
  const signIn = await fetch(target, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      request,
      step: 'signin',
      company_id: person.companyId,
      user_id: person.userId,
      password: person.password,
    }),
  });
  const consentHtml = await signIn.text();
  if (!consentHtml.includes('name="decision"')) return { status: signIn.status, html: consentHtml };
  const consent = await fetch(target, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request, step: 'consent', decision: person.decision ?? 'accept' }),
  });
  const location = consent.headers.get('location');
  if (location) return { location, status: consent.status, html: '' };
  return { status: consent.status, html: await consent.text() };
}

/** The production demo client, pointed at an emulator, redirecting to REDIRECT. */
export function prodClient(emu: { url: string }): IntacctOAuthClient {
  return new IntacctOAuthClient({
    clientId: PROD_CLIENT,
    clientSecret: PROD_SECRET,
    apiUrl: `${emu.url}/ia/api/v1`,
    redirectUri: REDIRECT,
  });
}
