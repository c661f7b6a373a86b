import { afterAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { loadDemoWorld } from '../../src/emulator/index.js';
import { postXml, setupEmulator, startTestEmulator, xmlRequest } from '../helpers/emulator.js';
import { dataRecords, readResponse } from './xml-helpers.js';

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const rbq = (object: string, query = '', pagesize = 100, fields = '*') =>
  `<readByQuery><object>${object}</object><query>${xmlText(query)}</query><fields>${fields}</fields><pagesize>${pagesize}</pagesize><returnFormat>xml</returnFormat></readByQuery>`;

describe('result layer and functions (demo world)', () => {
  const em = setupEmulator();
  const call = async (functions: string[], over: Partial<Parameters<typeof xmlRequest>[0]> = {}) =>
    readResponse((await postXml(em.url, xmlRequest({ functions, ...over }))).body);

  it('pages readByQuery and readMore with count, totalcount, numremaining and resultId', async () => {
    const first = (await call([rbq('VENDOR', '', 100)])).result;
    expect(first.status).toBe('success');
    const attrs = first.data as Record<string, string>;
    expect(attrs['@listtype']).toBe('vendor');
    expect(attrs['@count']).toBe('100');
    expect(attrs['@totalcount']).toBe('250');
    expect(attrs['@numremaining']).toBe('150');
    expect(attrs['@resultId']).toMatch(/\S+/);
    const ids = new Set(dataRecords(first.data).map((r) => r.RECORDNO));
    let resultId = attrs['@resultId']!;
    let remaining = 150;
    while (remaining > 0) {
      const page = (await call([`<readMore><resultId>${resultId}</resultId></readMore>`])).result;
      const a = page.data as Record<string, string>;
      remaining = Number(a['@numremaining']);
      for (const r of dataRecords(page.data)) ids.add(r.RECORDNO);
      if (remaining > 0) expect(a['@resultId']).toBe(resultId);
      else expect(a['@resultId']).toBe('');
      resultId = a['@resultId']!;
    }
    expect(ids.size).toBe(250);
    // The exhausted result set is gone.
    const after = (await call([`<readMore><resultId>${attrs['@resultId']}</resultId></readMore>`])).result;
    expect(after.status).toBe('failure');
    expect(after.errors[0]!.errorno).toBe('DL02000001');
  });

  it('continues the latest readByQuery with readMore by object', async () => {
    const first = (await call([rbq('GLENTRY', '', 300)])).result;
    expect(first.data).toMatchObject({ '@numremaining': '100' });
    const more = (await call(['<readMore><object>GLENTRY</object></readMore>'])).result;
    expect(more.data).toMatchObject({ '@count': '100', '@numremaining': '0' });
    expect(dataRecords(more.data)[0]!.RECORDNO).toBe('301');
  });

  it('answers an empty result with count 0 and an empty resultId', async () => {
    const r = (await call([rbq('VENDOR', "VENDORID = 'nope'")])).result;
    expect(r.data).toMatchObject({
      '@count': '0',
      '@totalcount': '0',
      '@numremaining': '0',
      '@resultId': '',
    });
  });

  it('evaluates query strings: =, <>, like, in, AND/OR, IS NULL, escapes', async () => {
    const count = async (q: string) =>
      Number(((await call([rbq('VENDOR', q, 1000)])).result.data as Record<string, string>)['@totalcount']);
    const all = await count('');
    const active = await count("STATUS = 'active'");
    const inactive = await count("STATUS <> 'active'");
    expect(active + inactive).toBe(all);
    expect(active).toBeGreaterThan(inactive);
    expect(await count("VENDORID IN ('V-00001', 'V-00002', 'V-99999')")).toBe(2);
    expect(await count("VENDORID NOT IN ('V-00001')")).toBe(all - 1);
    expect(await count("VENDORID LIKE 'V-0000%'")).toBe(9);
    expect(await count("VENDORID = 'V-00001' OR VENDORID = 'V-00002' AND STATUS = 'nothing'")).toBe(1);
    expect(await count("(VENDORID = 'V-00001' OR VENDORID = 'V-00002') AND RECORDNO > 1")).toBe(1);
    expect(await count('TERMNAME IS NULL')).toBe(0);
    expect(await count('TERMNAME IS NOT NULL')).toBe(all);
    expect(await count("NAME = 'O\\'Brien'")).toBe(0);
    expect(await count('RECORDNO >= 200')).toBe(51);
    const bad = (await call([rbq('VENDOR', "VENDORID = 'unterminated")])).result;
    expect(bad.status).toBe('failure');
    expect(bad.errors[0]).toMatchObject({
      errorno: 'DL02000001',
      description2: expect.stringMatching(
        /^There was an error processing the request\. \[Support ID: \S+%7E\S+\]$/,
      ),
    });
    const unknownField = (await call([rbq('VENDOR', "NOSUCHFIELD = 'x'")])).result;
    expect(unknownField.errors[0]!.errorno).toBe('DL02000001');
  });

  it('selects fields and refuses unknown ones', async () => {
    const r = (await call([rbq('VENDOR', '', 3, 'RECORDNO,NAME')])).result;
    expect(Object.keys(dataRecords(r.data)[0]!)).toEqual(['RECORDNO', 'NAME']);
    const bad = (await call([rbq('VENDOR', '', 3, 'RECORDNO,BOGUS')])).result;
    expect(bad.errors[0]!.description2).toBe('Invalid fields list BOGUS');
  });

  it('clamps pagesize above 1000 (U9 default)', async () => {
    const r = (await call([rbq('GLENTRY', '', 5000)])).result;
    expect(r.data).toMatchObject({ '@count': '400' });
  });

  it('runs query with offset paging and no resultId', async () => {
    const q = (offset: number) =>
      `<query><object>CUSTOMER</object><select><field>RECORDNO</field><field>CUSTOMERID</field></select><filter><like><field>CUSTOMERID</field><value>C-%</value></like></filter><orderby><order><field>RECORDNO</field><descending/></order></orderby><pagesize>50</pagesize><offset>${offset}</offset></query>`;
    const first = (await call([q(0)])).result;
    expect(first.data).toMatchObject({
      '@count': '50',
      '@totalcount': '120',
      '@numremaining': '70',
      '@offset': '0',
    });
    expect((first.data as Record<string, string>)['@resultId']).toBeUndefined();
    expect(dataRecords(first.data)[0]).toEqual({ RECORDNO: '120', CUSTOMERID: 'C-00120' });
    const last = (await call([q(100)])).result;
    expect(last.data).toMatchObject({ '@count': '20', '@numremaining': '0', '@offset': '100' });
  });

  it('reads by keys and by name', async () => {
    const r = (
      await call([
        '<read><object>VENDOR</object><keys>2,4,999</keys><fields>*</fields><returnFormat>xml</returnFormat></read>',
      ])
    ).result;
    expect(dataRecords(r.data).map((x) => x.RECORDNO)).toEqual(['2', '4']);
    const n = (
      await call([
        '<readByName><object>VENDOR</object><keys>V-00007</keys><fields>RECORDNO,VENDORID</fields></readByName>',
      ])
    ).result;
    expect(dataRecords(n.data)).toEqual([{ RECORDNO: '7', VENDORID: 'V-00007' }]);
  });

  it('generates the same records in every emulator instance', async () => {
    const other = await startTestEmulator();
    try {
      const a = (await call([rbq('APBILL', '', 5)])).result;
      const b = readResponse(
        (await postXml(other.url, xmlRequest({ functions: [rbq('APBILL', '', 5)] }))).body,
      ).result;
      expect(dataRecords(b.data)).toEqual(dataRecords(a.data));
      expect(dataRecords(a.data)[0]).toMatchObject({
        RECORDNO: '1',
        RECORDID: 'BILL-000001',
        STATE: expect.any(String),
      });
    } finally {
      await other.close();
    }
  });

  it('fails with PL04000005 naming the operation and object, plus a Support ID', async () => {
    const x = await call(
      [
        rbq('VENDOR'),
        '<read><object>APBILL</object><keys>1</keys><fields>*</fields></read>',
        '<create><VENDOR><VENDORID>N1</VENDORID><NAME>n</NAME></VENDOR></create>',
        rbq('GLACCOUNT', '', 1),
      ],
      { companyId: 'missing-perms-role' },
    );
    const [a, b, c, d] = x.operations[0]!.results;
    expect(a!.errors[0]!.errorno).toBe('PL04000005');
    expect(a!.errors[0]!.description2).toMatch(
      /^You do not have permission for API operation READ_BY_QUERY on objects of type VENDOR \[Support ID: [A-Za-z0-9]+%7E[\w-]+\]$/,
    );
    expect(b!.errors[0]!.description2).toMatch(/API operation READ on objects of type APBILL/);
    expect(c!.errors[0]!.description2).toMatch(/API operation CREATE on objects of type VENDOR/);
    // A failing function does not stop its siblings.
    expect(d!.status).toBe('success');
  });

  it('uses the user-based company’s own permissions, and a user without a role has none', async () => {
    const u = await call([rbq('ARINVOICE', '', 1), rbq('VENDOR', '', 1)], {
      companyId: 'missing-perms-user',
    });
    expect(u.operations[0]!.results.map((r) => r.status)).toEqual(['failure', 'success']);
    expect(u.operations[0]!.results[0]!.errors[0]!.description2).toMatch(
      /READ_BY_QUERY on objects of type ARINVOICE/,
    );
    const n = await call([rbq('GLACCOUNT', '', 1)], { companyId: 'no-role' });
    expect(n.result.errors[0]!.errorno).toBe('PL04000005');
  });

  it('answers unknown objects and unsubscribed modules with Query Failed / Object definition not found', async () => {
    const x = await call([rbq('BADOBJECT')]);
    expect(x.result.errors[0]).toEqual({
      errorno: 'Query Failed',
      description: '',
      description2: 'Object definition BADOBJECT not found',
      correction: '',
    });
    const y = await call([rbq('VENDOR')], { companyId: 'no-ap-module' });
    expect(y.result.errors[0]!.description2).toBe('Object definition VENDOR not found');
  });

  it('inspect * lists only the objects of subscribed modules', async () => {
    const types = async (companyId: string) => {
      const r = (await call(['<inspect><object>*</object></inspect>'], { companyId })).result;
      const list = (r.data as { type: Array<{ '@typename': string }> }).type;
      return list.map((t) => t['@typename']);
    };
    const healthy = await types('acme-healthy');
    const noAp = await types('no-ap-module');
    expect(healthy).toEqual(expect.arrayContaining(['VENDOR', 'APBILL', 'GLACCOUNT', 'USERINFO']));
    expect(noAp).not.toContain('VENDOR');
    expect(noAp).not.toContain('APBILL');
    expect(noAp).toContain('CUSTOMER');
  });

  it('inspect with detail and lookup describe fields', async () => {
    const i = (await call(['<inspect detail="1"><object>VENDOR</object></inspect>'])).result;
    expect(JSON.stringify(i.data)).toContain('"isRequired":"true"');
    const l = (await call(['<lookup><object>GLACCOUNT</object></lookup>'])).result;
    expect(JSON.stringify(l.data)).toContain('ACCOUNTTYPE');
  });

  it('getUserPermissions lists applications, permissions and pipe-delimited rights', async () => {
    const r = (
      await call(['<getUserPermissions><userId>svc_sync</userId></getUserPermissions>'], {
        companyId: 'missing-perms-role',
      })
    ).result;
    const apps = (
      r.data as {
        permissions: { appSubscription: Array<{ applicationName: string; policies: { policy: unknown } }> };
      }
    ).permissions.appSubscription;
    const names = apps.map((a) => a.applicationName);
    expect(names).toEqual(expect.arrayContaining(['General Ledger', 'Accounts Receivable', 'Company']));
    expect(names).not.toContain('Accounts Payable');
    const gl = apps.find((a) => a.applicationName === 'General Ledger')!;
    expect(gl.policies.policy).toEqual({ policyName: 'Accounts', rights: 'List|View' });
    const unknown = (await call(['<getUserPermissions><userId>ghost</userId></getUserPermissions>'])).result;
    expect(unknown.status).toBe('failure');
  });

  it('getDimensions lists the standard dimensions of subscribed modules', async () => {
    const r = (await call(['<getDimensions/>'], { companyId: 'no-ap-module' })).result;
    const dims = (r.data as { dimensions: { dimension: Array<{ objectName: string; enabledInGL: string }> } })
      .dimensions.dimension;
    expect(dims.map((d) => d.objectName)).toContain('DEPARTMENT');
    expect(dims.map((d) => d.objectName)).not.toContain('VENDOR');
    expect(dims.every((d) => d.enabledInGL === 'true')).toBe(true);
  });

  it('reads USERINFO, USERROLES, ROLES, LOCATIONENTITY, LOCATION and DEPARTMENT from the world', async () => {
    const x = await call(
      [
        rbq('USERINFO'),
        rbq('ROLES'),
        rbq('USERROLES'),
        rbq('LOCATIONENTITY'),
        rbq('LOCATION'),
        rbq('DEPARTMENT'),
      ],
      { companyId: 'acme-multi' },
    );
    const [users, roles, userRoles, entities, locations, departments] = x.operations[0]!.results.map((r) =>
      dataRecords(r.data),
    );
    expect(users![0]).toMatchObject({
      LOGINID: 'svc_sync',
      USERTYPE: 'business user',
      ADMIN: 'Full',
      STATUS: 'active',
      LOGINDISABLED: 'true',
    });
    expect(roles!.map((r) => r.NAME)).toEqual(['Integration']);
    // The demo role grants no rights on USERROLES.
    expect(userRoles).toEqual([]);
    expect(x.operations[0]!.results[2]!.errors[0]!.description2).toMatch(
      /READ_BY_QUERY on objects of type USERROLES/,
    );
    expect(entities!.map((e) => e.LOCATIONID)).toEqual(['US', 'UK']);
    expect(locations!.filter((l) => l.LOCATIONTYPE === 'E').map((l) => l.LOCATIONID)).toEqual(['US', 'UK']);
    expect(departments).toEqual([]);
    const h = await call([rbq('DEPARTMENT')]);
    expect(dataRecords(h.result.data)).toHaveLength(12);
  });

  it('creates, updates and deletes with validation', async () => {
    const created = (
      await call(['<create><CUSTOMER><CUSTOMERID>NEW-1</CUSTOMERID><NAME>New One</NAME></CUSTOMER></create>'])
    ).result;
    expect(created.status).toBe('success');
    const key = dataRecords(created.data)[0]!.RECORDNO;
    expect(dataRecords(created.data)[0]).toEqual({ RECORDNO: '121', CUSTOMERID: 'NEW-1' });
    const dup = (
      await call(['<create><CUSTOMER><CUSTOMERID>NEW-1</CUSTOMERID><NAME>Again</NAME></CUSTOMER></create>'])
    ).result;
    expect(dup.errors.map((e) => e.errorno)).toEqual(['BL34000061', 'BL01001973']);
    expect(dup.errors[0]!.description2).toBe('Another Customer with the given value(s) NEW-1 already exists');
    const missing = (await call(['<create><CUSTOMER><CUSTOMERID>NEW-2</CUSTOMERID></CUSTOMER></create>']))
      .result;
    expect(missing.errors[0]!.description2).toMatch(/Required field Customer name \(NAME\) is missing/);
    const badEnum = (
      await call([`<update><CUSTOMER><RECORDNO>${key}</RECORDNO><STATUS>maybe</STATUS></CUSTOMER></update>`])
    ).result;
    expect(badEnum.status).toBe('failure');
    const upd = (
      await call([`<update><CUSTOMER><RECORDNO>${key}</RECORDNO><NAME>Renamed</NAME></CUSTOMER></update>`])
    ).result;
    expect(upd.status).toBe('success');
    const read = (
      await call([`<read><object>CUSTOMER</object><keys>${key}</keys><fields>NAME</fields></read>`])
    ).result;
    expect(dataRecords(read.data)).toEqual([{ NAME: 'Renamed' }]);
    // The demo role has no Delete right on customers.
    const del = (await call([`<delete><object>CUSTOMER</object><keys>${key}</keys></delete>`])).result;
    expect(del.errors[0]!.description2).toMatch(/API operation DELETE on objects of type CUSTOMER/);
    const ro = (await call(['<create><USERINFO><LOGINID>x</LOGINID></USERINFO></create>'])).result;
    expect(ro.errors[0]!.description2).toBe(
      "API operation 'CREATE' cannot be performed on objects of type USERINFO",
    );
  });

  it('rolls back a transaction: earlier results aborted, failing one failure + XL03000009, later ones not run', async () => {
    const x = await call(
      [
        '<create><VENDOR><VENDORID>RB-1</VENDORID><NAME>a</NAME></VENDOR></create>',
        '<create><VENDOR><VENDORID>V-00001</VENDORID><NAME>dup</NAME></VENDOR></create>',
        '<create><VENDOR><VENDORID>RB-3</VENDORID><NAME>c</NAME></VENDOR></create>',
      ],
      { transaction: true },
    );
    const [a, b, c] = x.operations[0]!.results;
    expect([a!.status, b!.status, c!.status]).toEqual(['aborted', 'failure', 'aborted']);
    expect(a!.errors.map((e) => e.errorno)).toEqual(['XL03000009']);
    expect(b!.errors.map((e) => e.errorno)).toEqual(['BL34000061', 'BL01001973', 'XL03000009']);
    expect(c!.errors[0]!.description2).toBe(
      'The entire transaction in this operation has been rolled back due to an error.',
    );
    const check = (await call([rbq('VENDOR', "VENDORID LIKE 'RB-%'")])).result;
    expect(check.data).toMatchObject({ '@count': '0' });
  });

  it('refuses a repeated function controlid when uniqueid is true (U6), allows it when false', async () => {
    const fn = ['<getDimensions/>'];
    expect((await call(fn, { uniqueId: true, controlId: 'u1' })).result.status).toBe('success');
    const dup = (await call(fn, { uniqueId: true, controlId: 'u2' })).result;
    expect(dup.status).toBe('failure');
    expect(dup.errors[0]!.description2).toMatch(/control ID 'f-1' was already processed/);
    expect((await call(fn, { uniqueId: false })).result.status).toBe('success');
  });
});

describe('writes and role reads with full rights (inline world)', () => {
  let em: RunningEmulator | undefined;
  afterAll(async () => {
    await em?.close();
  });
  it('deletes, and reads USERROLES for every role assignment', async () => {
    em = await startTestEmulator({
      senders: [{ id: 'S', password: 'p' }],
      companies: [
        {
          id: 'w',
          senderAuthorizations: [{ sender: 'S' }],
          roles: [
            {
              name: 'All',
              permissions: { CUSTOMER: ['list', 'view', 'add', 'edit', 'delete'], USERROLES: ['list'] },
            },
            { name: 'Other', permissions: {} },
          ],
          users: [
            { id: 'u', password: 'pw', roles: ['All', 'Other'] },
            { id: 'v', password: 'pw', roles: ['Other'] },
          ],
          records: { CUSTOMER: 3 },
        },
      ],
    });
    const call = async (functions: string[]) =>
      readResponse(
        (
          await postXml(
            em!.url,
            xmlRequest({
              senderId: 'S',
              senderPassword: 'p',
              companyId: 'w',
              userId: 'u',
              userPassword: 'pw',
              functions,
            }),
          )
        ).body,
      );
    const del = (await call(['<delete><object>CUSTOMER</object><keys>2</keys></delete>'])).result;
    expect(del.status).toBe('success');
    const again = (await call(['<delete><object>CUSTOMER</object><keys>2</keys></delete>'])).result;
    expect(again.status).toBe('failure');
    const left = (await call([rbq('CUSTOMER')])).result;
    expect(dataRecords(left.data).map((r) => r.RECORDNO)).toEqual(['1', '3']);
    const roles = dataRecords((await call([rbq('USERROLES')])).result.data);
    expect(roles.map((r) => `${r.USERID}:${r.ROLENAME}`)).toEqual(['u:All', 'u:Other', 'v:Other']);
  });
});

describe('result-layer behaviour switches', () => {
  const base = loadDemoWorld();
  let em: RunningEmulator | undefined;
  afterAll(async () => {
    await em?.close();
  });
  const start = async (behaviours: Record<string, unknown>) => {
    await em?.close();
    em = await startTestEmulator({ senders: base.senders, companies: base.companies, behaviours });
    return em;
  };
  const call = async (functions: string[], over: Partial<Parameters<typeof xmlRequest>[0]> = {}) =>
    readResponse((await postXml(em!.url, xmlRequest({ functions, ...over }))).body);

  it('unsubscribedModule module_not_subscribed names the module', async () => {
    await start({ unsubscribedModule: 'module_not_subscribed' });
    const x = await call([rbq('APBILL')], { companyId: 'no-ap-module' });
    expect(x.result.errors[0]!.description2).toBe('Accounts Payable module is not subscribed.');
    const y = await call([rbq('BADOBJECT')], { companyId: 'no-ap-module' });
    expect(y.result.errors[0]!.description2).toBe('Object definition BADOBJECT not found');
  });

  it('U8 aborted: the failing function reports aborted', async () => {
    await start({ rollbackFailingStatus: 'aborted' });
    const x = await call(['<create><VENDOR><VENDORID>V-00001</VENDORID><NAME>dup</NAME></VENDOR></create>'], {
      transaction: true,
    });
    expect(x.result.status).toBe('aborted');
  });

  it('U9 reject and accept_2000', async () => {
    await start({ readByQueryPageSizeOver1000: 'reject' });
    expect((await call([rbq('GLENTRY', '', 1500)])).result.status).toBe('failure');
    await start({ readByQueryPageSizeOver1000: 'accept_2000' });
    const r = await call([rbq('GLENTRY', '', 1500)]);
    expect(r.result.data).toMatchObject({ '@count': '400' });
  });

  it('U6 ignore: repeated control IDs are accepted', async () => {
    await start({ duplicateControlId: 'ignore' });
    expect((await call(['<getDimensions/>'], { uniqueId: true })).result.status).toBe('success');
    expect((await call(['<getDimensions/>'], { uniqueId: true })).result.status).toBe('success');
  });
});
