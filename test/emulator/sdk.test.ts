import { createRequire } from 'node:module';
import * as IA from '@intacct/intacct-sdk';
import { describe, expect, it } from 'vitest';
import { DEMO, setupEmulator } from '../helpers/emulator.js';

// The official SDK only talks to *.intacct.com; the preload resolves those names to 127.0.0.1.
createRequire(import.meta.url)('../preload/intacct-dns.cjs');

const em = setupEmulator();

function config(over: Partial<IA.ClientConfig> = {}): IA.ClientConfig {
  const c = new IA.ClientConfig();
  c.endpointUrl = `http://api.intacct.com:${em.port}/ia/xml/xmlgw.phtml`;
  c.senderId = DEMO.senderId;
  c.senderPassword = DEMO.senderPassword;
  c.companyId = 'acme-healthy';
  c.userId = DEMO.userId;
  c.userPassword = DEMO.userPassword;
  Object.assign(c, over);
  return c;
}

function readByQuery(object: string, pageSize = 100, query = ''): IA.Functions.Common.ReadByQuery {
  const f = new IA.Functions.Common.ReadByQuery();
  f.objectName = object;
  f.pageSize = pageSize;
  if (query) f.query = { toString: () => query } as unknown as IA.Functions.Common.ReadByQuery['query'];
  return f;
}

async function expectRejects(p: Promise<unknown>, type: new (...args: never[]) => Error, text: RegExp) {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toMatch(text);
  return error as Error;
}

describe('official @intacct/intacct-sdk against the emulator', () => {
  it('opens a session from login and uses it with the returned endpoint', async () => {
    const session = await IA.SessionProvider.factory(config());
    expect(session.sessionId).toMatch(/\.\.$/);
    expect(session.endpointUrl).toBe(`http://api.intacct.com:${em.port}/ia/xml/xmlgw.phtml`);
    const client = new IA.OnlineClient(session);
    const response = await client.execute(readByQuery('GLACCOUNT', 10));
    const result = response.getResult();
    expect(result.status).toBe('success');
    expect(result.count).toBe(10);
    expect(result.totalCount).toBe(80);
    expect(response.authentication.companyId).toBe('acme-healthy');
  });

  it('pages hundreds of records with readByQuery then readMore until numremaining is 0', async () => {
    const client = new IA.OnlineClient(config());
    const first = (await client.execute(readByQuery('APBILL', 100))).getResult();
    expect(first.totalCount).toBe(300);
    expect(first.numRemaining).toBe(200);
    const seen = new Set<string>(first.data.map((r: Record<string, string>) => r.RECORDNO!));
    let resultId = first.resultId;
    let remaining = first.numRemaining;
    let pages = 1;
    while (remaining > 0) {
      const more = new IA.Functions.Common.ReadMore();
      more.resultId = resultId;
      const page = (await client.execute(more)).getResult();
      for (const r of page.data as Record<string, string>[]) seen.add(r.RECORDNO!);
      remaining = page.numRemaining;
      resultId = page.resultId;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.size).toBe(300);
  });

  it('filters with a query string', async () => {
    const client = new IA.OnlineClient(config());
    const result = (
      await client.execute(
        readByQuery('VENDOR', 100, "VENDORID IN ('V-00001','V-00002') OR NAME LIKE 'zzz%'"),
      )
    ).getResult();
    expect(result.count).toBe(2);
    expect(result.data.map((r: Record<string, string>) => r.VENDORID).sort()).toEqual(['V-00001', 'V-00002']);
  });

  it('reads by keys and inspects an object', async () => {
    const client = new IA.OnlineClient(config());
    const read = new IA.Functions.Common.Read();
    read.objectName = 'CUSTOMER';
    read.keys = [3, 5];
    const result = (await client.execute(read)).getResult();
    expect(result.data.map((r: Record<string, string>) => r.RECORDNO)).toEqual(['3', '5']);
    const inspect = new IA.Functions.Common.Inspect();
    inspect.objectName = 'VENDOR';
    const fields = (await client.execute(inspect)).getResult();
    expect(fields.status).toBe('success');
    const star = new IA.Functions.Common.Inspect();
    const all = (await client.execute(star)).getResult();
    expect(all.status).toBe('success');
  });

  it('surfaces a wrong sender password as a control-layer ResponseException', async () => {
    const client = new IA.OnlineClient(config({ senderPassword: 'wrong' }));
    const e = await expectRejects(
      client.execute(readByQuery('VENDOR')),
      IA.Exceptions.ResponseException,
      /Response control status failure/,
    );
    expect(e.message).toContain('Incorrect Intacct XML Partner ID or password.');
  });

  it('surfaces an unauthorized sender and a wrong user password as authentication-layer ResponseExceptions', async () => {
    const a = new IA.OnlineClient(config({ companyId: 'sender-not-authorized' }));
    const e1 = await expectRejects(
      a.execute(readByQuery('VENDOR')),
      IA.Exceptions.ResponseException,
      /Response authentication status failure/,
    );
    expect(e1.message).toContain(
      "The sender ID 'IntacctConnect' is not authorized to make Web Services requests to company ID 'sender-not-authorized'.",
    );
    const b = new IA.OnlineClient(config({ userPassword: 'nope' }));
    const e2 = await expectRejects(
      b.execute(readByQuery('VENDOR')),
      IA.Exceptions.ResponseException,
      /authentication status failure/,
    );
    expect(e2.message).toContain('Sign-in information is incorrect');
  });

  it('surfaces a missing permission as a ResultException naming the operation and object', async () => {
    const client = new IA.OnlineClient(config({ companyId: 'missing-perms-role' }));
    const e = await expectRejects(
      client.execute(readByQuery('VENDOR')),
      IA.Exceptions.ResultException,
      /Result status: failure/,
    );
    expect(e.message).toMatch(
      /PL04000005 You do not have permission for API operation READ_BY_QUERY on objects of type VENDOR \[Support ID: \S+\]/,
    );
  });

  it('surfaces an unknown company as the SDK sees HTTP 400 GW-0011', async () => {
    const client = new IA.OnlineClient(config({ companyId: 'no-such-company' }));
    const e = await expectRejects(
      client.execute(readByQuery('VENDOR')),
      IA.Exceptions.ResponseException,
      /Response control status failure/,
    );
    expect(e.message).toMatch(/GW-0011 Invalid Request \[Request ID: [^\]]+\]/);
  });

  it('rolls back a transaction: the failing create fails, the rest is aborted, nothing is kept', async () => {
    const client = new IA.OnlineClient(config());
    const make = (id: string) => {
      const v = new IA.Functions.AccountsPayable.VendorCreate();
      v.vendorId = id;
      v.vendorName = `Rollback ${id}`;
      return v;
    };
    const rc = new IA.RequestConfig();
    rc.transaction = true;
    const e = await expectRejects(
      client.executeBatch([make('TX-1'), make('V-00001'), make('TX-3')], rc),
      IA.Exceptions.ResultException,
      /XL03000009/,
    );
    expect(e.message).toMatch(/already exists/);
    const check = (await client.execute(readByQuery('VENDOR', 100, "VENDORID LIKE 'TX-%'"))).getResult();
    expect(check.count).toBe(0);
  });

  it('rejects a bogus session ID in the authentication layer', async () => {
    const client = new IA.OnlineClient(config({ sessionId: 'not-a-real-session..' }));
    const e = await expectRejects(
      client.execute(readByQuery('VENDOR')),
      IA.Exceptions.ResponseException,
      /authentication status failure/,
    );
    expect(e.message).toContain('Invalid session');
  });
});
