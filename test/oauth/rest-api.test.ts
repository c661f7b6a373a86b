import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestClient } from '../../src/client/rest/client.js';
import { IntacctRestError } from '../../src/client/rest/errors.js';
import { IntacctOAuthClient } from '../../src/client/rest/oauth.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { emulator, PROD_CLIENT, PROD_SECRET, stats } from './helpers.js';

async function restFor(
  emu: RunningEmulator,
  companyId: string,
  userId = 'svc_sync',
  entityId?: string,
  keys = { id: PROD_CLIENT, secret: PROD_SECRET },
) {
  const oauth = new IntacctOAuthClient({
    clientId: keys.id,
    clientSecret: keys.secret,
    apiUrl: `${emu.url}/ia/api/v1`,
  });
  const tokens = await oauth.clientCredentials({ userId, companyId, entityId });
  return {
    tokens,
    rest: new RestClient({ apiUrl: `${emu.url}/ia/api/v1`, auth: tokens.accessToken, sleep: async () => {} }),
  };
}

const caught = async (p: Promise<unknown>) => {
  const e = await p.catch((err: unknown) => err);
  expect(e).toBeInstanceOf(IntacctRestError);
  return e as IntacctRestError;
};

describe('REST subset', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await emulator({}, (w) => {
      w.faults.unshift({
        match: { api: 'rest', company: 'acme-healthy', path: '/ia/api/v1/objects/company-config/department' },
        effect: 'rate_limited',
        count: 2,
        latencyMs: 0,
      });
    });
  });
  afterAll(async () => emu.close());

  it('pages a collection through ia::meta.next', async () => {
    const { rest } = await restFor(emu, 'acme-healthy');
    const first = await rest.listPage('accounts-payable/vendor');
    expect(first.meta).toMatchObject({ totalCount: 250, start: 1, pageSize: 100, next: 101, previous: null });
    const before = (await stats(emu)).rest;
    const all = [];
    for await (const ref of rest.list('accounts-payable/vendor')) all.push(ref);
    expect(all).toHaveLength(250);
    expect(new Set(all.map((r) => r.key)).size).toBe(250);
    expect((await stats(emu)).rest - before).toBe(3);
  });

  it('pages the query service and applies filters, fields and the expression', async () => {
    const { rest } = await restFor(emu, 'acme-healthy');
    const rows = [];
    for await (const row of rest.query({
      object: 'accounts-receivable/customer',
      fields: ['key', 'id', 'status'],
      size: 50,
    }))
      rows.push(row);
    expect(rows).toHaveLength(120);
    expect(Object.keys(rows[0]!)).toEqual(['key', 'id', 'status']);
    const some = await rest.queryPage({
      object: 'accounts-receivable/customer',
      fields: ['key', 'id'],
      filters: [{ $eq: { key: '3' } }, { $in: { key: ['5', '7'] } }],
      filterExpression: '1 or 2',
    });
    expect(some.result.map((r) => r.key).sort()).toEqual(['3', '5', '7']);
    const none = await rest.queryPage({
      object: 'accounts-receivable/customer',
      filters: [{ $eq: { key: '3' } }, { $ne: { key: '3' } }],
    });
    expect(none.result).toHaveLength(0);
  });

  it('keeps includePrivate inside filterParameters and caps size at 4000 (U26 clamp)', async () => {
    const { rest } = await restFor(emu, 'acme-healthy');
    const bad = await caught(
      rest.post('services/core/query', { object: 'accounts-payable/vendor', includePrivate: true }),
    );
    expect(bad.httpStatus).toBe(400);
    const ok = await rest.queryPage({
      object: 'accounts-payable/vendor',
      filterParameters: { includePrivate: true },
      size: 9000,
    });
    expect(ok.meta?.pageSize).toBe(4000);
  });

  it('reads one record and creates one', async () => {
    const { rest } = await restFor(emu, 'acme-healthy');
    const created = await rest.create('accounts-payable/vendor', { id: 'V-NEW-1', name: 'New vendor' });
    expect(created.href).toBe(`/objects/accounts-payable/vendor/${created.key}`);
    const read = await rest.getObject('accounts-payable/vendor', created.key);
    expect(read).toMatchObject({ id: 'V-NEW-1', name: 'New vendor' });
    const dup = await caught(rest.create('accounts-payable/vendor', { id: 'V-NEW-1' }));
    expect(dup.httpStatus).toBe(409);
    const user = await rest.getObject<{ id: string; webServices: { isRestricted: boolean } }>(
      'company-config/user',
      '1',
    );
    expect(user.id).toBe('svc_sync');
    expect(user.webServices.isRestricted).toBe(true);
  });

  it('answers 403 naming the object for each missing permission', async () => {
    const { rest } = await restFor(emu, 'missing-perms-role');
    for (const path of [
      'accounts-payable/vendor',
      'accounts-payable/bill',
      'general-ledger/journal-entry-line',
    ]) {
      const e = await caught(rest.listPage(path, { size: 1 }));
      expect(e.httpStatus).toBe(403);
      expect(e.code).toBe('permissionDenied');
      expect(e.kind).toBe('permission');
    }
    const e = await caught(rest.queryPage({ object: 'accounts-payable/vendor', size: 1 }));
    expect(e.message).toContain('objects of type VENDOR');
    await expect(rest.listPage('general-ledger/account', { size: 1 })).resolves.toBeTruthy();
  });

  it('reports an unsubscribed module apart from a missing permission', async () => {
    const { rest } = await restFor(emu, 'no-ap-module');
    const e = await caught(rest.listPage('accounts-payable/vendor', { size: 1 }));
    expect(e.httpStatus).toBe(400);
    expect(e.message).toMatch(/Accounts Payable application is not subscribed/);
  });

  it('honours X-IA-API-Param-Entity, ignores wrong header names and rejects unknown entities (U24 400)', async () => {
    const { rest, tokens } = await restFor(emu, 'acme-multi', 'svc_sync', 'US');
    expect(tokens.claims.entityId).toBe('US');
    expect(tokens.claims.entityKey).toBe('1');
    await expect(
      rest.listPage('accounts-payable/vendor', { size: 1 }, { entityId: 'US' }),
    ).resolves.toBeTruthy();
    const unknown = await caught(rest.listPage('accounts-payable/vendor', { size: 1 }, { entityId: 'FR' }));
    expect(unknown.httpStatus).toBe(400);
    expect(unknown.code).toBe('invalidRequest');
    const { rest: top } = await restFor(emu, 'acme-multi');
    const ignored = await top.listPage(
      'accounts-payable/vendor',
      { size: 1 },
      { headers: { 'sage-param-entity': 'FR' }, entityId: null },
    );
    expect(ignored.status).toBe(200);
  });

  it('an entity-restricted user cannot work at the top level but may list entities', async () => {
    const { rest } = await restFor(emu, 'entity-restricted');
    const e = await caught(rest.listPage('accounts-payable/vendor', { size: 1 }));
    expect(e.httpStatus).toBe(403);
    expect(e.message).toMatch(/top level/);
    const entities = await rest.listPage('company-config/entity');
    expect(entities.result.map((r) => r.id)).toEqual(['US', 'UK']);
    await expect(
      rest.listPage('accounts-payable/vendor', { size: 1 }, { entityId: 'US' }),
    ).resolves.toBeTruthy();
    const uk = await caught(rest.listPage('accounts-payable/vendor', { size: 1 }, { entityId: 'UK' }));
    expect(uk.httpStatus).toBe(403);
  });

  it('rejects calls without Bearer (GW-0034) and with a corrupted token (GW-0031), without refreshing', async () => {
    const { tokens } = await restFor(emu, 'acme-healthy');
    const noBearer = await fetch(`${emu.url}/ia/api/v1/objects/general-ledger/account`, {
      headers: { authorization: tokens.accessToken },
    });
    expect(noBearer.status).toBe(401);
    expect(await noBearer.text()).toContain('GW-0034');
    let refreshes = 0;
    const rest = new RestClient({
      apiUrl: `${emu.url}/ia/api/v1`,
      auth: {
        accessToken: async () => `${tokens.accessToken.slice(0, -4)}AAAA`,
        refresh: async () => {
          refreshes += 1;
        },
      },
    });
    const e = await caught(rest.listPage('general-ledger/account'));
    expect(e.code).toBe('GW-0031');
    expect(e.kind).toBe('token_invalid');
    expect(refreshes).toBe(0);
  });

  it('waits out 429s using Retry-After and the throttle headers', async () => {
    const waits: number[] = [];
    const { tokens } = await restFor(emu, 'acme-healthy');
    const rest = new RestClient({
      apiUrl: `${emu.url}/ia/api/v1`,
      auth: tokens.accessToken,
      sleep: async (ms) => void waits.push(ms),
    });
    const page = await rest.listPage('company-config/department');
    expect(page.status).toBe(200);
    expect(waits).toEqual([1000, 1000]);
  });

  it('bridges to the XML gateway: the session works with sessionid authentication', async () => {
    const { rest } = await restFor(emu, 'acme-healthy');
    const { sessionId, expiresIn } = await rest.sessionId();
    expect(expiresIn).toBe(21600);
    const xml = `<?xml version="1.0" encoding="UTF-8"?><request><control><senderid>IntacctConnect</senderid><password>sender-demo-secret</password><controlid>c1</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control><operation><authentication><sessionid>${sessionId}</sessionid></authentication><content><function controlid="f1"><readByQuery><object>GLACCOUNT</object><fields>*</fields><query></query><pagesize>1</pagesize></readByQuery></function></content></operation></request>`;
    const res = await fetch(`${emu.url}/ia/xml/xmlgw.phtml`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: xml,
    });
    const text = await res.text();
    expect(text).toContain('<status>success</status>');
    expect(text).toContain('<companyid>acme-healthy</companyid>');
  });

  it('U24 403 and ignore variants; U26 reject', async () => {
    const e403 = await emulator({
      unknownEntityHeader: '403',
      querySizeOver4000: 'reject',
      rest403Code: 'forbidden',
    });
    try {
      const { rest } = await restFor(e403, 'acme-multi');
      const e = await caught(rest.listPage('accounts-payable/vendor', { size: 1 }, { entityId: 'FR' }));
      expect(e.httpStatus).toBe(403);
      expect(e.code).toBe('forbidden');
      const big = await caught(rest.queryPage({ object: 'accounts-payable/vendor', size: 4001 }));
      expect(big.httpStatus).toBe(400);
    } finally {
      await e403.close();
    }
    const ignore = await emulator({ unknownEntityHeader: 'ignore' });
    try {
      const { rest } = await restFor(ignore, 'acme-multi');
      await expect(
        rest.listPage('accounts-payable/vendor', { size: 1 }, { entityId: 'FR' }),
      ).resolves.toBeTruthy();
    } finally {
      await ignore.close();
    }
  });
});
