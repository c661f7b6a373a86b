import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator, WorldInput } from '../../src/emulator/index.js';
import { loadDemoWorld } from '../../src/emulator/index.js';
import { DEMO, postXml, setupEmulator, startTestEmulator, xmlRequest } from '../helpers/emulator.js';
import { readResponse } from './xml-helpers.js';

const SESSION = ['<getAPISession/>'];
const XML_TYPE = 'text/xml; encoding="UTF-8"';

describe('control layer', () => {
  const em = setupEmulator();

  it('refuses malformed XML with XL03000003 and an empty echo', async () => {
    const r = await postXml(em.url, '<request><control><senderid>x</control></request>');
    expect(r.status).toBe(200);
    expect(r.contentType).toBe(XML_TYPE);
    const x = readResponse(r.body);
    expect(x.control.status).toBe('failure');
    expect(x.control.senderid).toBe('');
    expect(x.errors[0]!.errorno).toBe('XL03000003');
    expect(x.errors[0]!.description2).toMatch(/^XML Parse schema error: Fatal Error/);
    expect(x.operations).toHaveLength(0);
  });

  it('refuses DOCTYPE declarations', async () => {
    const body = `<?xml version="1.0"?><!DOCTYPE request [<!ENTITY x "y">]>${xmlRequest({ functions: SESSION }).replace(/^<\?xml[^>]*\?>/, '')}`;
    const x = readResponse((await postXml(em.url, body)).body);
    expect(x.errors[0]!.errorno).toBe('XL03000003');
    expect(x.errors[0]!.description2).toContain('DOCTYPE');
  });

  it('reports every schema error, with the echo it could read', async () => {
    // companyid before userid (out of order) and a function without controlid.
    const body = xmlRequest({ functions: SESSION })
      .replace(
        /<userid>svc_sync<\/userid><companyid>acme-healthy<\/companyid>/,
        '<companyid>acme-healthy</companyid><userid>svc_sync</userid>',
      )
      .replace('<function controlid="f-1">', '<function>');
    const x = readResponse((await postXml(em.url, body)).body);
    expect(x.control.status).toBe('failure');
    expect(x.control.senderid).toBe(DEMO.senderId);
    expect(x.control.controlid).toBe('req-1');
    expect(x.errors.length).toBe(2);
    expect(x.errors.every((e) => e.errorno === 'XL03000003')).toBe(true);
    expect(x.errors[0]!.description2).toMatch(
      /Error 1871: Element 'companyid': This element is not expected\. Expected is \( userid \)/,
    );
    expect(x.errors[1]!.description2).toMatch(/attribute 'controlid' is required/);
    expect(x.errors[0]!.description2).toMatch(/\[Support ID: [^\]]+%7E[^\]]+\]$/);
  });

  it('refuses a JSON body', async () => {
    const r = await postXml(em.url, '{"hello":1}', { 'content-type': 'application/json' });
    const x = readResponse(r.body);
    expect(x.errors[0]!.errorno).toBe('XL03000003');
  });

  it('refuses wrong sender credentials, case-sensitively, and inactive senders', async () => {
    for (const over of [
      { senderPassword: 'wrong' },
      { senderId: 'intacctconnect' },
      { senderId: 'RetiredSender', senderPassword: 'retired-secret' },
    ]) {
      const x = readResponse((await postXml(em.url, xmlRequest({ ...over, functions: SESSION }))).body);
      expect(x.control.status).toBe('failure');
      expect(x.control.senderid).toBe(over.senderId ?? DEMO.senderId);
      expect(x.errors).toEqual([
        {
          errorno: 'XL03000006',
          description: '',
          description2: 'Incorrect Intacct XML Partner ID or password.',
          correction: '',
        },
      ]);
    }
  });

  it('refuses an unprovisioned transport policy', async () => {
    const body = xmlRequest({ functions: SESSION }).replace(
      '<includewhitespace>',
      '<policyid>batch1</policyid><includewhitespace>',
    );
    const x = readResponse((await postXml(em.url, body)).body);
    expect(x.errors[0]!.description2).toBe('batch1 is not a valid transport policy.');
  });

  it('answers an expired demo company with PL04000055 and empty senderid/controlid', async () => {
    const x = readResponse(
      (await postXml(em.url, xmlRequest({ companyId: 'trial-expired', functions: SESSION }))).body,
    );
    expect(x.control).toMatchObject({ status: 'failure', senderid: '', controlid: '' });
    expect(x.control.keys).toContain('senderid');
    expect(x.errors[0]).toMatchObject({
      errorno: 'PL04000055',
      description2: 'This company is a demo company and has expired.',
    });
  });

  it('answers a company without Web Services in the control layer by default (U3)', async () => {
    for (const companyId of ['no-subscription', 'trial']) {
      const x = readResponse((await postXml(em.url, xmlRequest({ companyId, functions: SESSION }))).body);
      expect(x.control.status).toBe('failure');
      expect(x.errors[0]).toMatchObject({
        errorno: 'XL03000006',
        description2:
          'This company is not authorized for XML transactions. Please subscribe to the XML Gateway.',
      });
    }
  });
});

describe('gateway tier and authentication layer (demo world)', () => {
  const em = setupEmulator();

  it('answers an unknown company ID with HTTP 400 GW-0011 and a Request ID (U2 default)', async () => {
    for (const companyId of ['no-such-company', 'acme-healthy ']) {
      const r = await postXml(em.url, xmlRequest({ companyId, functions: SESSION }));
      expect(r.status).toBe(400);
      expect(r.contentType).toBe(XML_TYPE);
      const x = readResponse(r.body);
      expect(x.control.keys).toEqual(['status']);
      expect(x.errors[0]!.errorno).toBe('GW-0011');
      expect(x.errors[0]!.description).toMatch(
        /^Invalid Request \[Request ID: [0-9A-F]{8}:[0-9A-F]{4}_[0-9A-F]{8}\.\d{2}\]$/,
      );
    }
  });

  it('matches company IDs case-insensitively', async () => {
    const x = readResponse(
      (await postXml(em.url, xmlRequest({ companyId: 'ACME-Healthy', functions: SESSION }))).body,
    );
    expect(x.result.status).toBe('success');
  });

  it('answers a sender missing from, or inactive in, Web Services authorizations with the exact A-layer text', async () => {
    for (const companyId of ['sender-not-authorized', 'sender-inactive']) {
      const x = readResponse((await postXml(em.url, xmlRequest({ companyId, functions: SESSION }))).body);
      expect(x.control.status).toBe('success');
      const op = x.operations[0]!;
      expect(op.authentication).toMatchObject({
        status: 'failure',
        userid: DEMO.userId,
        companyid: companyId,
      });
      expect(op.results).toHaveLength(0);
      expect(op.errors).toEqual([
        {
          errorno: 'XL03000006',
          description: 'Invalid Web Services Authorization',
          description2: `The sender ID 'IntacctConnect' is not authorized to make Web Services requests to company ID '${companyId}'.`,
          correction:
            'Contact the company administrator to grant Web Services authorization to this sender ID.',
        },
      ]);
    }
    const raw = (
      await postXml(em.url, xmlRequest({ companyId: 'sender-not-authorized', functions: SESSION }))
    ).body;
    expect(raw).toContain('The sender ID &#039;IntacctConnect&#039; is not authorized');
  });

  it('answers sign-in failures with "Sign-in information is incorrect" and echoes the user and company', async () => {
    const cases: Array<Partial<Parameters<typeof xmlRequest>[0]>> = [
      { userPassword: 'wrong' },
      { userId: 'SVC_SYNC' },
      { companyId: 'locked-user' },
      { companyId: 'inactive-user' },
      { companyId: 'regular-user-mfa' },
      { companyId: 'ip-filtered' },
      { companyId: 'acme-healthy', entityId: 'US' },
      { companyId: 'acme-multi', entityId: 'FR' },
      { companyId: 'entity-restricted' },
      { companyId: 'entity-restricted', entityId: 'UK' },
    ];
    for (const c of cases) {
      const x = readResponse((await postXml(em.url, xmlRequest({ ...c, functions: SESSION }))).body);
      const op = x.operations[0]!;
      expect(op.authentication.status, JSON.stringify(c)).toBe('failure');
      expect(op.authentication.companyid).toBe(c.companyId ?? 'acme-healthy');
      expect(op.errors[0]).toMatchObject({
        errorno: 'XL03000006',
        description2: 'Sign-in information is incorrect',
      });
    }
  });

  it('lets regular users without 2FA sign in, and honours the caller-IP header for allow-lists', async () => {
    const regular = readResponse(
      (await postXml(em.url, xmlRequest({ companyId: 'regular-user', functions: SESSION }))).body,
    );
    expect(regular.result.status).toBe('success');
    const allowed = await postXml(em.url, xmlRequest({ companyId: 'ip-filtered', functions: SESSION }), {
      'x-emulator-client-ip': '203.0.113.10',
    });
    expect(readResponse(allowed.body).result.status).toBe('success');
  });

  it('opens sessions in entities and at the top level as the user may', async () => {
    const uk = readResponse(
      (await postXml(em.url, xmlRequest({ companyId: 'acme-multi', entityId: 'UK', functions: SESSION })))
        .body,
    );
    expect(uk.operations[0]!.authentication.locationid).toBe('UK');
    expect(uk.result.data).toMatchObject({ api: { locationid: 'UK' } });
    const us = readResponse(
      (
        await postXml(
          em.url,
          xmlRequest({ companyId: 'entity-restricted', entityId: 'US', functions: SESSION }),
        )
      ).body,
    );
    expect(us.result.status).toBe('success');
    // Switch from the UK session to the top level, then to US, with getAPISession's locationid.
    const ukSession = (uk.result.data as { api: { sessionid: string } }).api.sessionid;
    const top = readResponse(
      (
        await postXml(
          em.url,
          xmlRequest({
            sessionId: ukSession,
            functions: ['<getAPISession><locationid></locationid></getAPISession>'],
          }),
        )
      ).body,
    );
    expect(top.result.data).toMatchObject({ api: { locationid: '' } });
    const toUs = readResponse(
      (
        await postXml(
          em.url,
          xmlRequest({
            sessionId: ukSession,
            functions: ['<getAPISession><locationid>US</locationid></getAPISession>'],
          }),
        )
      ).body,
    );
    expect(toUs.result.data).toMatchObject({ api: { locationid: 'US' } });
    // A restricted user cannot switch to the top level.
    const usSession = (us.result.data as { api: { sessionid: string } }).api.sessionid;
    const denied = readResponse(
      (
        await postXml(
          em.url,
          xmlRequest({ sessionId: usSession, functions: ['<getAPISession><locationid/></getAPISession>'] }),
        )
      ).body,
    );
    expect(denied.result.status).toBe('failure');
    expect(denied.result.errors[0]!.description2).toBe('Sign-in information is incorrect');
  });

  it('accepts the companyId|entityId form some clients send', async () => {
    const x = readResponse(
      (await postXml(em.url, xmlRequest({ companyId: 'acme-multi|UK', functions: SESSION }))).body,
    );
    expect(x.operations[0]!.authentication).toMatchObject({
      status: 'success',
      companyid: 'acme-multi',
      locationid: 'UK',
    });
  });

  it('builds the session endpoint from the request scheme and Host header', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${em.url}/ia/xml/xmlgw.phtml`,
        { method: 'POST', headers: { 'content-type': 'application/xml', host: 'api.intacct.com:8443' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end(xmlRequest({ functions: SESSION }));
    });
    const x = readResponse(body);
    expect(x.result.data).toMatchObject({
      api: { endpoint: 'http://api.intacct.com:8443/ia/xml/xmlgw.phtml' },
    });
  });

  it('answers an unknown session with "Invalid session" and empty userid/companyid', async () => {
    for (const sessionId of ['00000000-0000-0000-0000-000000000000', '']) {
      const r = await postXml(
        em.url,
        xmlRequest({
          sessionId,
          functions: [
            '<readByQuery><object>VENDOR</object><query/><fields>*</fields><pagesize>1</pagesize></readByQuery>',
          ],
        }),
      );
      const x = readResponse(r.body);
      const op = x.operations[0]!;
      expect(op.authentication).toMatchObject({
        status: 'failure',
        userid: '',
        companyid: '',
        hasUserid: true,
      });
      expect(op.errors[0]!.errorno).toBe('XL03000006');
      expect(op.errors[0]!.description2).toMatch(/^Invalid session/);
    }
  });

  it('returns sessiontimestamp and sessiontimeout on success', async () => {
    const x = readResponse((await postXml(em.url, xmlRequest({ functions: SESSION }))).body);
    const auth = x.operations[0]!.authentication;
    expect(auth.status).toBe('success');
    const hours = (Date.parse(auth.sessiontimeout) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(11.9);
    expect(hours).toBeLessThanOrEqual(12);
  });
});

describe('behaviour switches for the unknowns', () => {
  const base = loadDemoWorld();
  let em: RunningEmulator;
  const world = (behaviours: NonNullable<WorldInput['behaviours']>): WorldInput => ({
    senders: base.senders,
    companies: base.companies,
    behaviours,
  });
  const start = async (b: NonNullable<WorldInput['behaviours']>) => {
    await em?.close();
    em = await startTestEmulator(world(b));
    return em;
  };
  afterAll(async () => {
    await em?.close();
  });

  it('U2 a_signin: an unknown company fails sign-in in the authentication layer', async () => {
    await start({ unknownCompany: 'a_signin' });
    const x = readResponse(
      (await postXml(em.url, xmlRequest({ companyId: 'nope', functions: SESSION }))).body,
    );
    expect(x.operations[0]!.errors[0]!.description2).toBe('Sign-in information is incorrect');
  });

  it('U3 authentication layer with another errorno', async () => {
    await start({ subscriptionOffLayer: 'authentication', subscriptionOffErrorno: 'XL03000010' });
    const x = readResponse(
      (await postXml(em.url, xmlRequest({ companyId: 'no-subscription', functions: SESSION }))).body,
    );
    expect(x.control.status).toBe('success');
    expect(x.operations[0]!.errors[0]).toMatchObject({
      errorno: 'XL03000010',
      description2:
        'This company is not authorized for XML transactions. Please subscribe to the XML Gateway.',
    });
  });

  it('U4 custom sign-in texts, one per cause', async () => {
    await start({
      signInTexts: {
        password: 'T-password',
        lockedOut: 'T-locked',
        inactive: 'T-inactive',
        ipDenied: 'T-ip',
        ssoOrMfa: 'T-mfa',
        badLocation: 'T-location',
      },
    });
    const cases: Array<[Partial<Parameters<typeof xmlRequest>[0]>, string]> = [
      [{ userPassword: 'x' }, 'T-password'],
      [{ companyId: 'locked-user' }, 'T-locked'],
      [{ companyId: 'inactive-user' }, 'T-inactive'],
      [{ companyId: 'ip-filtered' }, 'T-ip'],
      [{ companyId: 'regular-user-mfa' }, 'T-mfa'],
      [{ companyId: 'acme-multi', entityId: 'XX' }, 'T-location'],
      [{ companyId: 'acme-healthy', entityId: 'US' }, 'T-location'],
      [{ companyId: 'entity-restricted' }, 'T-location'],
    ];
    for (const [c, text] of cases) {
      const x = readResponse((await postXml(em.url, xmlRequest({ ...c, functions: SESSION }))).body);
      expect(x.operations[0]!.errors[0]!.description2).toBe(text);
    }
  });

  it('U5 gateway_401: sign-in failures become HTTP 401 XMLGW_JPP0002', async () => {
    await start({ signInFailureAs: 'gateway_401' });
    const r = await postXml(em.url, xmlRequest({ userPassword: 'x', functions: SESSION }));
    expect(r.status).toBe(401);
    expect(r.contentType).toBe(XML_TYPE);
    const x = readResponse(r.body);
    expect(x.errors[0]).toMatchObject({
      errorno: 'XMLGW_JPP0002',
      description: 'Sign-in information is incorrect. Please check your request.',
    });
  });

  it('U1 order: with user before sender, a wrong password wins over the missing sender authorization', async () => {
    await start({ authOrder: ['company', 'subscription', 'user', 'sender', 'ip', 'entity'] });
    const x = readResponse(
      (
        await postXml(
          em.url,
          xmlRequest({ companyId: 'sender-not-authorized', userPassword: 'x', functions: SESSION }),
        )
      ).body,
    );
    expect(x.operations[0]!.errors[0]!.description2).toBe('Sign-in information is incorrect');
    await start({});
    const y = readResponse(
      (
        await postXml(
          em.url,
          xmlRequest({ companyId: 'sender-not-authorized', userPassword: 'x', functions: SESSION }),
        )
      ).body,
    );
    expect(y.operations[0]!.errors[0]!.description).toBe('Invalid Web Services Authorization');
  });

  it('U29 IP filter as an edge 403 page, or a dropped connection', async () => {
    await start({ ipFilterEffect: 'gateway_403' });
    const r = await postXml(em.url, xmlRequest({ companyId: 'ip-filtered', functions: SESSION }));
    expect(r.status).toBe(403);
    expect(r.contentType).toMatch(/text\/html/);
    expect(r.body).toContain('cf-error-details');
    await start({ ipFilterEffect: 'drop_connection' });
    await expect(
      postXml(em.url, xmlRequest({ companyId: 'ip-filtered', functions: SESSION })),
    ).rejects.toThrow();
  });

  it('trustClientIpHeader off: the header is ignored', async () => {
    await start({ trustClientIpHeader: false });
    const r = await postXml(em.url, xmlRequest({ companyId: 'ip-filtered', functions: SESSION }), {
      'x-emulator-client-ip': '203.0.113.10',
    });
    expect(readResponse(r.body).operations[0]!.authentication.status).toBe('failure');
  });
});

describe('sessions: sliding and fixed expiry (U7)', () => {
  let clock = Date.UTC(2026, 0, 1);
  let em: RunningEmulator;
  let fixed: RunningEmulator;
  beforeAll(async () => {
    const { startEmulator, defineWorld } = await import('../../src/emulator/index.js');
    const w = (sliding: boolean) =>
      defineWorld({
        senders: [{ id: 'S', password: 'p' }],
        companies: [
          {
            id: 'c1',
            sessionHours: 1,
            senderAuthorizations: [{ sender: 'S' }],
            users: [{ id: 'u', password: 'pw' }],
          },
        ],
        behaviours: { slidingSessions: sliding },
      });
    em = await startEmulator({ world: w(true), now: () => clock });
    fixed = await startEmulator({ world: w(false), now: () => clock });
  });
  afterAll(async () => {
    await em.close();
    await fixed.close();
  });
  const open = async (e: RunningEmulator) => {
    const x = readResponse(
      (
        await postXml(
          e.url,
          xmlRequest({
            senderId: 'S',
            senderPassword: 'p',
            companyId: 'c1',
            userId: 'u',
            userPassword: 'pw',
            functions: SESSION,
          }),
        )
      ).body,
    );
    return (x.result.data as { api: { sessionid: string } }).api.sessionid;
  };
  const use = async (e: RunningEmulator, sessionId: string) =>
    readResponse(
      (
        await postXml(
          e.url,
          xmlRequest({ senderId: 'S', senderPassword: 'p', sessionId, functions: ['<getDimensions/>'] }),
        )
      ).body,
    ).operations[0]!;

  it('slides the expiry on each call and expires an idle session', async () => {
    const s = await open(em);
    const f = await open(fixed);
    clock += 50 * 60_000;
    expect((await use(em, s)).authentication.status).toBe('success');
    expect((await use(fixed, f)).authentication.status).toBe('success');
    clock += 50 * 60_000; // 100 minutes after opening, 50 after the last use
    const slid = await use(em, s);
    expect(slid.authentication.status).toBe('success');
    expect(Date.parse(slid.authentication.sessiontimeout)).toBe(clock + 3_600_000);
    const expired = await use(fixed, f);
    expect(expired.authentication.status).toBe('failure');
    expect(expired.errors[0]!.description2).toMatch(/^Invalid session/);
    clock += 61 * 60_000;
    expect((await use(em, s)).authentication.status).toBe('failure');
  });
});
