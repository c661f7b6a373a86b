import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertCompleteCredentials,
  CredentialsError,
  IntacctClient,
  parseIni,
  resolveCredentials,
} from '../../src/client/xml/index.js';
import { capture } from './helpers.js';

let home: string;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'intacct-home-'));
  mkdirSync(join(home, '.intacct'));
  writeFileSync(
    join(home, '.intacct', 'credentials.ini'),
    [
      '; comment',
      '[default]',
      'sender_id = IniSender',
      'sender_password = "ini sender pw"',
      'endpoint_url = https://ini.example.intacct.com/ia/xml/xmlgw.phtml',
      'company_id = ini-company',
      'entity_id = INI-E',
      'user_id = ini-user',
      'user_password = ini-user-pw',
      '',
      '[other]',
      'sender_id = OtherSender',
      'sender_password = other-pw',
      'company_id = other-company',
      'user_id = other-user',
      'user_password = other-user-pw',
    ].join('\n'),
  );
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('resolveCredentials', () => {
  it('reads the default profile when nothing else is set', () => {
    const r = resolveCredentials({}, {}, home);
    expect(r.credentials).toMatchObject({
      senderId: 'IniSender',
      senderPassword: 'ini sender pw',
      endpointUrl: 'https://ini.example.intacct.com/ia/xml/xmlgw.phtml',
      companyId: 'ini-company',
      entityId: 'INI-E',
      userId: 'ini-user',
      userPassword: 'ini-user-pw',
    });
    expect(r.sources.senderId).toBe('profile');
    expect(r.profileUsed).toBe(true);
    expect(r.missing).toEqual([]);
  });

  it('options win over env, env over the profile', () => {
    const env = {
      INTACCT_SENDER_ID: 'EnvSender',
      INTACCT_SENDER_PASSWORD: 'env-pw',
      INTACCT_COMPANY_ID: 'env-co',
    };
    const r = resolveCredentials({ senderId: 'OptSender' }, env, home);
    expect(r.credentials.senderId).toBe('OptSender');
    expect(r.sources.senderId).toBe('option');
    expect(r.credentials.senderPassword).toBe('env-pw');
    expect(r.sources.senderPassword).toBe('env');
    // The sender group is set, so the profile's endpoint is not used either.
    expect(r.credentials.endpointUrl).toBe('https://api.intacct.com/ia/xml/xmlgw.phtml');
    expect(r.sources.endpointUrl).toBe('default');
  });

  it('never merges a partial group with the profile', () => {
    const r = resolveCredentials({}, { INTACCT_COMPANY_ID: 'env-co' }, home);
    // Login group partly set by env: the profile is not consulted for it.
    expect(r.credentials.companyId).toBe('env-co');
    expect(r.credentials.userId).toBeUndefined();
    expect(r.missing).toEqual(['User ID', 'User Password']);
    // The sender group was wholly unset, so it still comes from the profile.
    expect(r.credentials.senderId).toBe('IniSender');
  });

  it('INTACCT_PROFILE and the profile option pick the section', () => {
    expect(resolveCredentials({}, { INTACCT_PROFILE: 'other' }, home).credentials.senderId).toBe(
      'OtherSender',
    );
    expect(
      resolveCredentials({ profile: 'other' }, { INTACCT_PROFILE: 'nope' }, home).credentials.userId,
    ).toBe('other-user');
  });

  it('a missing section is an error naming it; a missing file yields nothing', () => {
    const e = capture(() => resolveCredentials({}, { INTACCT_PROFILE: 'ghost' }, home)) as CredentialsError;
    expect(e).toBeInstanceOf(CredentialsError);
    expect(e.message).toContain('Profile Name "ghost" not found');
    const none = resolveCredentials({}, {}, join(home, 'nowhere'));
    expect(none.missing).toEqual(['Sender ID', 'Sender Password', 'Company ID', 'User ID', 'User Password']);
  });

  it('a session ID replaces the login group', () => {
    const r = resolveCredentials(
      { senderId: 's', senderPassword: 'p', sessionId: 'abc..' },
      {},
      join(home, 'nowhere'),
    );
    expect(r.missing).toEqual([]);
  });

  it('errors name exactly what is missing', () => {
    const r = resolveCredentials({ senderId: 's' }, { INTACCT_USER_ID: 'u' }, join(home, 'nowhere'));
    const e = capture(() => assertCompleteCredentials(r)) as CredentialsError;
    expect(e.missing).toEqual(['Sender Password', 'Company ID', 'User Password']);
    expect(e.message).toContain(
      'Required Sender Password not supplied in config or env variable "INTACCT_SENDER_PASSWORD"',
    );
    expect(e.message).toContain('INTACCT_COMPANY_ID');
    expect(e.message).toContain('INTACCT_USER_PASSWORD');
    expect(e.message).not.toContain('INTACCT_USER_ID"');
  });

  it('the client constructor uses the same rules', () => {
    expect(() => new IntacctClient({ env: {}, homeDir: join(home, 'nowhere') })).toThrow(CredentialsError);
    const c = new IntacctClient({ env: { INTACCT_PROFILE: 'other' }, homeDir: home });
    expect(c.resolved.credentials.companyId).toBe('other-company');
  });

  it('parseIni handles quotes, comments and blank lines', () => {
    expect(parseIni('# c\n[a]\nk = "v w"\nx=1\n\n[b]\ny = \'z\'')).toEqual({
      a: { k: 'v w', x: '1' },
      b: { y: 'z' },
    });
  });
});
