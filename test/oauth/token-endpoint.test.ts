import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRestError } from '../../src/client/rest/errors.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import {
  ccForm,
  emulator,
  form,
  PROD_CLIENT,
  PROD_SECRET,
  postToken,
  SANDBOX_CLIENT,
  SANDBOX_SECRET,
} from './helpers.js';

const errorOf = (r: { status: number; text: string }) => parseRestError(r.status, r.text);

describe('token endpoint: every failure of reference §3.4/§4.7 in the default behaviours', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await emulator();
  });
  afterAll(async () => emu.close());

  it('issues a bearer JWT for a healthy client-credentials request', async () => {
    const r = await postToken(emu, ccForm('svc_sync@acme-healthy'));
    expect(r.status).toBe(200);
    expect(r.json.token_type).toBe('Bearer');
    expect(r.json.expires_in).toBe(43200);
    expect(typeof r.json.refresh_token).toBe('string');
  });

  const cases: Array<[string, () => Promise<{ status: number; text: string }>, number, string | RegExp]> = [
    [
      'wrong path',
      () => postToken(emu, ccForm('svc_sync@acme-healthy'), { path: '/ia/api/v1/oauth2/tokens' }),
      404,
      'GW-0033',
    ],
    [
      'path without /ia',
      () => postToken(emu, ccForm('svc_sync@acme-healthy'), { path: '/api/v1/oauth2/token' }),
      404,
      'GW-0033',
    ],
    ['empty body', () => postToken(emu, ''), 400, 'GW-0035'],
    [
      'text/plain body',
      () => postToken(emu, ccForm('svc_sync@acme-healthy'), { contentType: 'text/plain' }),
      400,
      'GW-0035',
    ],
    [
      'JSON body (U22 reject)',
      () =>
        postToken(emu, JSON.stringify(Object.fromEntries(ccForm('a@b'))), {
          contentType: 'application/json',
        }),
      400,
      'GW-0032',
    ],
    [
      'misspelled grant',
      () => postToken(emu, ccForm('svc_sync@acme-healthy', { grant_type: 'client_credential' })),
      400,
      'GW-0032',
    ],
    [
      'missing client_id',
      () => postToken(emu, form({ grant_type: 'client_credentials', client_secret: 'x', username: 'a@b' })),
      400,
      'GW-0037',
    ],
    [
      'client_id twice',
      () => postToken(emu, `${ccForm('svc_sync@acme-healthy')}&client_id=${PROD_CLIENT}`),
      400,
      'GW-0038',
    ],
    [
      'missing username',
      () =>
        postToken(
          emu,
          form({ grant_type: 'client_credentials', client_id: PROD_CLIENT, client_secret: PROD_SECRET }),
        ),
      400,
      'GW-0036',
    ],
    [
      'two usernames',
      () => postToken(emu, `${ccForm('svc_sync@acme-healthy')}&username=x%40y`),
      400,
      'GW-0039',
    ],
    ['username without company', () => postToken(emu, ccForm('svc_sync')), 400, 'GW-0012'],
    ['unknown company', () => postToken(emu, ccForm('svc_sync@no-such-company')), 400, 'GW-0011'],
    [
      'company without Web Services',
      () => postToken(emu, ccForm('svc_sync@no-subscription')),
      400,
      'GW-0011',
    ],
    ['sender not in WSA', () => postToken(emu, ccForm('svc_sync@sender-off')), 400, 'GW-0011'],
    ['expired trial', () => postToken(emu, ccForm('svc_sync@trial-expired')), 400, 'GW-0011'],
    [
      'wrong secret',
      () => postToken(emu, ccForm('svc_sync@acme-healthy', { client_secret: 'nope' })),
      401,
      'REST-1216',
    ],
    [
      'unknown client',
      () => postToken(emu, ccForm('svc_sync@acme-healthy', { client_id: 'ffff.app.sage.com' })),
      401,
      'REST-1216',
    ],
    ['client not in ACA', () => postToken(emu, ccForm('svc_sync@client-not-authorized')), 401, 'REST-1216'],
    ['ACA row inactive', () => postToken(emu, ccForm('svc_sync@aca-inactive')), 401, 'REST-1216'],
    ['production keys on a sandbox', () => postToken(emu, ccForm('svc_sync@acme-sandbox')), 401, 'REST-1216'],
    [
      'sandbox keys on production',
      () =>
        postToken(
          emu,
          ccForm('svc_us@acme-multi|US', { client_id: SANDBOX_CLIENT, client_secret: SANDBOX_SECRET }),
        ),
      401,
      'REST-1216',
    ],
    [
      'user is not the ACA user',
      () => postToken(emu, ccForm('svc_sync@client-user-mismatch')),
      400,
      /readpartneruserinfo/,
    ],
    [
      'user ID case differs',
      () => postToken(emu, ccForm('SVC_SYNC@acme-healthy')),
      400,
      /readpartneruserinfo/,
    ],
    [
      'ACA row without a user',
      () => postToken(emu, ccForm('svc_sync@aca-no-user')),
      400,
      /readpartneruserinfo/,
    ],
    ['locked user', () => postToken(emu, ccForm('svc_sync@locked-user')), 400, /readpartneruserinfo/],
    ['inactive user', () => postToken(emu, ccForm('svc_sync@inactive-user')), 400, /readpartneruserinfo/],
    ['regular user (U23)', () => postToken(emu, ccForm('svc_sync@regular-user')), 400, /readpartneruserinfo/],
    ['unknown entity', () => postToken(emu, ccForm('svc_sync@acme-multi|FR')), 400, /readpartneruserinfo/],
    [
      'entity on single-entity company',
      () => postToken(emu, ccForm('svc_sync@acme-healthy|US')),
      400,
      /readpartneruserinfo/,
    ],
    [
      'unknown session_id',
      () =>
        postToken(
          emu,
          form({
            grant_type: 'client_credentials',
            client_id: PROD_CLIENT,
            client_secret: PROD_SECRET,
            session_id: 'nope..',
          }),
        ),
      400,
      /readpartneruserinfo/,
    ],
    [
      'bogus refresh token',
      () =>
        postToken(
          emu,
          form({
            grant_type: 'refresh_token',
            client_id: PROD_CLIENT,
            client_secret: PROD_SECRET,
            refresh_token: 'x',
          }),
        ),
      400,
      'invalid_grant',
    ],
    [
      'bogus code',
      () =>
        postToken(
          emu,
          form({
            grant_type: 'authorization_code',
            client_id: PROD_CLIENT,
            client_secret: PROD_SECRET,
            code: 'x',
            redirect_uri: 'https://app.example.com/oauth/callback',
          }),
        ),
      400,
      'invalid_grant',
    ],
    [
      'Basic auth on refresh (U19)',
      () =>
        postToken(emu, form({ grant_type: 'refresh_token', refresh_token: 'x' }), {
          headers: {
            authorization: `Basic ${Buffer.from(`${PROD_CLIENT}:${PROD_SECRET}`).toString('base64')}`,
          },
        }),
      400,
      'invalid_client',
    ],
  ];

  for (const [name, run, status, code] of cases) {
    it(name, async () => {
      const r = await run();
      expect(r.status).toBe(status);
      const e = errorOf(r);
      if (typeof code === 'string') expect(e.errorId === code || e.code === code).toBe(true);
      else expect(e.message).toMatch(code);
    });
  }

  it('readpartneruserinfo uses an en dash by default', async () => {
    const r = await postToken(emu, ccForm('svc_sync@client-user-mismatch'));
    expect(r.text).toContain('readpartneruserinfo \u2013 error');
  });

  it('a valid session_id stands in for the username', async () => {
    const first = await postToken(emu, ccForm('svc_sync@acme-healthy'));
    const token = String(first.json.access_token);
    const session = await fetch(`${emu.url}/ia/api/v1/services/core/session/id`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { 'ia::result': result } = (await session.json()) as {
      'ia::result': { sessionId: string; expiresIn: number };
    };
    expect(result.expiresIn).toBe(21600);
    const r = await postToken(
      emu,
      form({
        grant_type: 'client_credentials',
        client_id: PROD_CLIENT,
        client_secret: PROD_SECRET,
        session_id: result.sessionId,
      }),
    );
    expect(r.status).toBe(200);
  });
});

describe('token endpoint: behaviour switches', () => {
  it('U13: statuses and shapes follow the world (oauth shape, 400 REST-1216, hyphen)', async () => {
    const emu = await emulator({
      rest1216Status: 400,
      tokenErrorShape: 'oauth',
      partnerUserDash: 'hyphen',
      partnerUserStatus: 401,
      tokenGw0011Status: 403,
    });
    try {
      const bad = await postToken(emu, ccForm('svc_sync@acme-healthy', { client_secret: 'nope' }));
      expect(bad.status).toBe(400);
      expect(bad.json.error).toBe('invalid_client');
      expect(errorOf(bad).kind).toBe('invalid_client');
      const pu = await postToken(emu, ccForm('svc_sync@client-user-mismatch'));
      expect(pu.status).toBe(401);
      expect(pu.text).toContain('readpartneruserinfo - error');
      expect(errorOf(pu).kind).toBe('partner_user');
      const gw = await postToken(emu, ccForm('svc_sync@nowhere'));
      expect(gw.status).toBe(403);
      expect(errorOf(gw).code).toBe('GW-0011');
    } finally {
      await emu.close();
    }
  });

  it('U13: shapes A and C both parse to the same error', async () => {
    for (const shape of ['A', 'C'] as const) {
      const emu = await emulator({ tokenErrorShape: shape });
      try {
        const bad = await postToken(emu, ccForm('svc_sync@acme-healthy', { client_secret: 'nope' }));
        const e = errorOf(bad);
        expect(e.shape).toBe(shape);
        expect(e.kind).toBe('invalid_client');
        expect(e.supportId).toBeTruthy();
      } finally {
        await emu.close();
      }
    }
  });

  it('U22: a JSON body is accepted when the world says so', async () => {
    const emu = await emulator({ jsonTokenBody: 'accept' });
    try {
      const r = await postToken(emu, JSON.stringify(Object.fromEntries(ccForm('svc_sync@acme-healthy'))), {
        contentType: 'application/json',
      });
      expect(r.status).toBe(200);
    } finally {
      await emu.close();
    }
  });

  it('U23: a regular user is accepted when the world says any', async () => {
    const emu = await emulator({ clientCredentialsUser: 'any' });
    try {
      expect((await postToken(emu, ccForm('svc_sync@regular-user'))).status).toBe(200);
    } finally {
      await emu.close();
    }
  });
});
