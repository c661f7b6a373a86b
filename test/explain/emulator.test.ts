/**
 * explain on what the emulator really answers: each failure the demo world can produce, sent over
 * HTTP, and the raw status line plus body pasted into explain, as a person would paste it.
 */
import { describe, expect, it } from 'vitest';
import { explain } from '../../src/doctor/explain/index.js';
import type { CauseId } from '../../src/shared/causes.js';
import { DEMO, postXml, setupEmulator, type XmlRequestOptions, xmlRequest } from '../helpers/emulator.js';

const SESSION = '<getAPISession/>';
const READ_BILLS =
  '<readByQuery><object>APBILL</object><fields>RECORDNO</fields><query></query><pagesize>1</pagesize></readByQuery>';

interface XmlCase {
  name: string;
  request: Partial<XmlRequestOptions>;
  raw?: string;
  top: CauseId;
  /** Further causes that must be among the candidates (sign-in failures share one text). */
  among?: CauseId[];
}

const XML_CASES: XmlCase[] = [
  { name: 'wrong sender password', request: { senderPassword: 'nope' }, top: 'sender.invalid_credentials' },
  {
    name: 'no subscription',
    request: { companyId: 'no-subscription' },
    top: 'company.web_services_disabled',
  },
  {
    name: 'sender not authorized',
    request: { companyId: 'sender-not-authorized' },
    top: 'sender.not_authorized',
  },
  { name: 'sender inactive', request: { companyId: 'sender-inactive' }, top: 'sender.not_authorized' },
  { name: 'wrong password', request: { userPassword: 'wrong' }, top: 'user.invalid_credentials' },
  {
    name: 'locked user',
    request: { companyId: 'locked-user' },
    top: 'user.invalid_credentials',
    among: ['user.locked_out'],
  },
  {
    name: 'inactive user',
    request: { companyId: 'inactive-user' },
    top: 'user.invalid_credentials',
    among: ['user.inactive'],
  },
  { name: 'expired trial', request: { companyId: 'trial-expired' }, top: 'company.trial_expired' },
  {
    name: 'trial without Web Services',
    request: { companyId: 'trial' },
    top: 'company.web_services_disabled',
    among: ['company.trial_expired'],
  },
  {
    name: 'unknown company',
    request: { companyId: 'no-such-company' },
    top: 'gateway.invalid_request',
    among: ['company.not_found'],
  },
  {
    name: 'unknown entity',
    request: { companyId: 'acme-multi', entityId: 'ZZ' },
    top: 'user.invalid_credentials',
    among: ['entity.not_found'],
  },
  {
    name: 'no top-level access',
    request: { companyId: 'entity-restricted' },
    top: 'user.invalid_credentials',
    among: ['entity.top_level_denied'],
  },
  {
    name: 'IP filter',
    request: { companyId: 'ip-filtered' },
    top: 'user.invalid_credentials',
    among: ['user.ip_not_allowed'],
  },
  {
    name: 'regular user with two-step verification',
    request: { companyId: 'regular-user-mfa' },
    top: 'user.invalid_credentials',
    among: ['user.sso_or_mfa'],
  },
  {
    name: 'no role',
    request: { companyId: 'no-role', functions: [READ_BILLS] },
    top: 'permission.missing',
  },
  { name: 'bad session', request: { sessionId: 'not-a-session..' }, top: 'session.invalid' },
  {
    name: 'missing permission',
    request: { companyId: 'missing-perms-role', functions: [READ_BILLS] },
    top: 'permission.missing',
  },
  {
    name: 'module off',
    request: { companyId: 'no-ap-module', functions: [READ_BILLS] },
    top: 'module.not_subscribed',
  },
  { name: 'rate limited', request: { companyId: 'rate-limited' }, top: 'gateway.rate_limited' },
  { name: 'outage', request: { companyId: 'outage' }, top: 'gateway.unavailable' },
  {
    name: 'malformed XML',
    request: {},
    raw: '<request><control><senderid>x</control></request>',
    top: 'request.malformed',
  },
];

describe('explain on the emulator’s real answers', () => {
  const em = setupEmulator();

  for (const c of XML_CASES) {
    it(`XML: ${c.name} → ${c.top}`, async () => {
      const body = c.raw ?? xmlRequest({ functions: [SESSION], ...c.request });
      const res = await postXml(em.url, body);
      const pasted = `HTTP/1.1 ${res.status}\n${res.body}`;
      const causes = explain(pasted).matches.map((m) => m.cause);
      expect(causes[0], pasted.slice(0, 400)).toBe(c.top);
      for (const other of c.among ?? []) expect(causes).toContain(other);
    });
  }

  const token = async (form: Record<string, string>) => {
    const res = await fetch(`${em.url}/ia/api/v1/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return `HTTP/1.1 ${res.status}\n${await res.text()}`;
  };
  const cc = (over: Record<string, string>) => ({
    grant_type: 'client_credentials',
    client_id: DEMO.clientId,
    client_secret: DEMO.clientSecret,
    username: `${DEMO.userId}@acme-healthy`,
    ...over,
  });

  const OAUTH_CASES: Array<{ name: string; form: Record<string, string>; top: CauseId; among?: CauseId[] }> =
    [
      { name: 'wrong client secret', form: cc({ client_secret: 'wrong' }), top: 'oauth.invalid_client' },
      {
        name: 'client not in Authorized client applications',
        form: cc({ username: `${DEMO.userId}@client-not-authorized` }),
        top: 'oauth.invalid_client',
        among: ['oauth.client_not_authorized'],
      },
      {
        name: 'user not the one bound to the client',
        form: cc({ username: `${DEMO.userId}@client-user-mismatch` }),
        top: 'oauth.partner_user_not_found',
      },
      {
        name: 'username without company',
        form: cc({ username: DEMO.userId }),
        top: 'oauth.malformed_username',
      },
      {
        name: 'refresh token that does not exist',
        form: {
          grant_type: 'refresh_token',
          refresh_token: 'nope',
          client_id: DEMO.clientId,
          client_secret: DEMO.clientSecret,
        },
        top: 'oauth.invalid_grant',
      },
    ];

  for (const c of OAUTH_CASES) {
    it(`OAuth: ${c.name} → ${c.top}`, async () => {
      const pasted = await token(c.form);
      const causes = explain(pasted).matches.map((m) => m.cause);
      expect(causes[0], pasted.slice(0, 400)).toBe(c.top);
      for (const other of c.among ?? []) expect(causes).toContain(other);
    });
  }

  const restCall = async (
    company: string,
    path: string,
    headers: Record<string, string> = {},
    bearer?: string,
  ) => {
    let token = bearer;
    if (token === undefined) {
      const res = await fetch(`${em.url}/ia/api/v1/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(cc({ username: `${DEMO.userId}@${company}` })).toString(),
      });
      token = ((await res.json()) as { access_token: string }).access_token;
      expect(token, company).toBeTruthy();
    }
    const res = await fetch(`${em.url}/ia/api/v1${path}`, {
      headers: { authorization: `Bearer ${token}`, ...headers },
    });
    return `HTTP/1.1 ${res.status}\n${await res.text()}`;
  };

  const REST_CASES: Array<{ name: string; call: () => Promise<string>; top: CauseId }> = [
    {
      name: 'missing permission on vendors',
      call: () => restCall('missing-perms-role', '/objects/accounts-payable/vendor'),
      top: 'permission.missing',
    },
    {
      name: 'module not subscribed',
      call: () => restCall('no-ap-module', '/objects/accounts-payable/vendor'),
      top: 'module.not_subscribed',
    },
    {
      name: 'unknown entity header',
      call: () =>
        restCall('acme-multi', '/objects/general-ledger/account', { 'x-ia-api-param-entity': 'ZZ' }),
      top: 'entity.not_found',
    },
    {
      name: 'garbage bearer token',
      call: () => restCall('acme-healthy', '/objects/general-ledger/account', {}, 'not.a.jwt'),
      top: 'oauth.token_invalid',
    },
  ];

  for (const c of REST_CASES) {
    it(`REST: ${c.name} → ${c.top}`, async () => {
      const pasted = await c.call();
      expect(explain(pasted).matches[0]?.cause, pasted.slice(0, 400)).toBe(c.top);
    });
  }

  it('OAuth: a healthy client-credentials answer is not an error', async () => {
    const pasted = await token(cc({}));
    expect(pasted).toContain('access_token');
    expect(explain(pasted).matches).toEqual([]);
  });
});
