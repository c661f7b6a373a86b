import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { contentSecurityPolicy } from '../../src/server/app.js';
import { parseFrameAncestors } from '../../src/server/config.js';
import { HttpError, parseInput } from '../../src/server/http.js';
import {
  generateSecretKey,
  KeyedSemaphore,
  Keyring,
  keyringFromEnv,
  openDatabase,
  parseSecretKey,
  RateLimiter,
  SecretKeyError,
  signatureHeader,
  verifyWebhookSignature,
} from '../../src/server/index.js';
import { createConnectionBody } from '../../src/server/schemas.js';

describe('credential encryption', () => {
  it('round-trips under AES-256-GCM, tags each ciphertext with its key id and detects tampering', () => {
    const ring = new Keyring(parseSecretKey(generateSecretKey(), 'k'));
    const sealed = ring.seal('Connect-Demo-1');
    expect(sealed.keyId).toBe(ring.current.id);
    expect(sealed.blob.split('.')[1]).toBe(ring.current.id);
    expect(sealed.blob).not.toContain('Connect-Demo-1');
    expect(ring.open(sealed.blob)).toBe('Connect-Demo-1');
    expect(ring.seal('x').blob).not.toBe(ring.seal('x').blob);
    const parts = sealed.blob.split('.');
    const ct = Buffer.from(parts[4]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    parts[4] = ct.toString('base64url');
    expect(() => ring.open(parts.join('.'))).toThrow(SecretKeyError);
  });

  it('refuses bad keys with a clear message that never echoes the key', () => {
    expect(() => parseSecretKey('c2hvcnQ=', 'INTACCT_CONNECT_SECRET_KEY')).toThrow(
      /decodes to 5 bytes; AES-256 needs exactly 32/,
    );
    expect(() => parseSecretKey('not base64!!', 'INTACCT_CONNECT_SECRET_KEY')).toThrow(
      /INTACCT_CONNECT_SECRET_KEY is not base64/,
    );
    expect(() => keyringFromEnv({})).toThrow(/INTACCT_CONNECT_SECRET_KEY is not set/);
    try {
      parseSecretKey('c2VjcmV0LXNob3J0LWtleQ==', 'X');
    } catch (e) {
      expect((e as Error).message).not.toContain('c2VjcmV0');
    }
  });

  it('reads ciphertexts under old keys listed in INTACCT_CONNECT_OLD_SECRET_KEYS', () => {
    const oldKey = generateSecretKey();
    const newKey = generateSecretKey();
    const before = keyringFromEnv({ INTACCT_CONNECT_SECRET_KEY: oldKey });
    const blob = before.seal('pw').blob;
    expect(() => keyringFromEnv({ INTACCT_CONNECT_SECRET_KEY: newKey }).open(blob)).toThrow(
      /neither INTACCT_CONNECT_SECRET_KEY nor/,
    );
    const after = keyringFromEnv({
      INTACCT_CONNECT_SECRET_KEY: newKey,
      INTACCT_CONNECT_OLD_SECRET_KEYS: ` ${oldKey} `,
    });
    expect(after.open(blob)).toBe('pw');
    expect(after.seal('pw').keyId).toBe(parseSecretKey(newKey, 'n').id);
  });
});

describe('keys rotate (CLI)', () => {
  const run = async (args: string[], env: NodeJS.ProcessEnv, cwd: string) => {
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (c) => {
      stdout += c;
    });
    err.on('data', (c) => {
      stderr += c;
    });
    const code = await main(args, { stdout: out, stderr: err, stdin: new PassThrough(), env, cwd });
    return { code, stdout, stderr };
  };

  it('re-encrypts every stored secret under the new key; old ciphertexts stay readable until then', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ic-rotate-'));
    try {
      const oldKey = generateSecretKey();
      const oldRing = keyringFromEnv({ INTACCT_CONNECT_SECRET_KEY: oldKey });
      const storage = await openDatabase(`sqlite:${dir}/r.db`);
      const now = new Date().toISOString();
      for (let i = 0; i < 3; i++) {
        const s = oldRing.sealJson({ companyId: 'c', userPassword: `pw-${i}` });
        await storage.db
          .insertInto('connections')
          .values({
            id: `con_${i}`,
            mode: 'xml',
            company_id: 'c',
            user_id: 'u',
            entity_id: null,
            status: 'connected',
            credentials: s.blob,
            key_id: s.keyId,
            customer_ref: null,
            connect_session_id: null,
            created_at: now,
            updated_at: now,
            last_checked_at: null,
            next_check_at: null,
            throttled_count: 0,
            claimed_until: null,
            deleted_at: null,
          })
          .execute();
      }
      const wh = oldRing.seal('whsec_rotate_me_please');
      await storage.db
        .insertInto('webhooks')
        .values({
          id: 'whk_1',
          url: 'http://x',
          secret: wh.blob,
          key_id: wh.keyId,
          events: '[]',
          created_at: now,
          deleted_at: null,
        })
        .execute();
      await storage.close();

      const wrong = await run(
        ['keys', 'rotate', '--database', `sqlite:${dir}/r.db`],
        { INTACCT_CONNECT_SECRET_KEY: generateSecretKey() },
        dir,
      );
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/nothing was changed/);

      const newKey = generateSecretKey();
      const ok = await run(
        ['keys', 'rotate', '--database', `sqlite:${dir}/r.db`],
        { INTACCT_CONNECT_SECRET_KEY: oldKey, INTACCT_CONNECT_NEW_SECRET_KEY: newKey },
        dir,
      );
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/Re-encrypted 3 connection\(s\), 1 webhook secret\(s\)/);
      expect(ok.stdout).not.toContain(newKey);
      const newRing = keyringFromEnv({ INTACCT_CONNECT_SECRET_KEY: newKey });
      const after = await openDatabase(`sqlite:${dir}/r.db`);
      const rows = await after.db.selectFrom('connections').selectAll().orderBy('id').execute();
      expect(rows.every((r) => r.key_id === newRing.current.id)).toBe(true);
      expect(rows.map((r) => newRing.openJson<{ userPassword: string }>(r.credentials).userPassword)).toEqual(
        ['pw-0', 'pw-1', 'pw-2'],
      );
      expect(() => oldRing.open(rows[0]!.credentials)).toThrow();
      const hook = await after.db.selectFrom('webhooks').selectAll().executeTakeFirstOrThrow();
      expect(newRing.open(hook.secret)).toBe('whsec_rotate_me_please');
      const audit = await after.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'keys.rotated')
        .execute();
      expect(audit).toHaveLength(1);
      await after.close();

      // Without a new key one is generated and printed once.
      const gen = await run(
        ['keys', 'rotate', '--database', `sqlite:${dir}/r.db`],
        { INTACCT_CONNECT_SECRET_KEY: newKey },
        dir,
      );
      expect(gen.code).toBe(0);
      const printed = gen.stdout.trim().split('\n').at(-1)!;
      expect(parseSecretKey(printed, 'printed').key).toHaveLength(32);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('updates the demo key file in place (mode 0600) when no env key is set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ic-rotate-file-'));
    try {
      const { readOrCreateKeyFile, demoKeyFile } = await import('../../src/server/config.js');
      const file = demoKeyFile(`sqlite:${dir}/d.db`, dir);
      const { key } = readOrCreateKeyFile(file);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const storage = await openDatabase(`sqlite:${dir}/d.db`);
      await storage.close();
      const r = await run(['keys', 'rotate', '--database', `sqlite:${dir}/d.db`], {}, dir);
      expect(r.code).toBe(0);
      const newKey = readFileSync(file, 'utf8').trim();
      expect(newKey).not.toBe(key);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('limits', () => {
  it('KeyedSemaphore never lets more than the limit run per key, and keys are independent', async () => {
    const sem = new KeyedSemaphore(2);
    let active = 0;
    let peak = 0;
    let otherPeak = 0;
    const task = (key: string) =>
      sem.run(key, async () => {
        if (key === 'a') {
          active++;
          peak = Math.max(peak, active);
        } else otherPeak = Math.max(otherPeak, sem.inFlight('b'));
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 5));
        if (key === 'a') active--;
      });
    await Promise.all([
      ...Array.from({ length: 20 }, () => task('a')),
      ...Array.from({ length: 4 }, () => task('b')),
    ]);
    expect(peak).toBe(2);
    expect(sem.peak.get('a')).toBe(2);
    expect(otherPeak).toBe(2);
    expect(sem.inFlight('a')).toBe(0);
  });

  it('RateLimiter allows max per window per key, then reports when to retry', () => {
    let now = 1_000_000;
    const rl = new RateLimiter(3, 60_000, () => now);
    expect([1, 2, 3, 4].map(() => rl.take('ip|acme').allowed)).toEqual([true, true, true, false]);
    expect(rl.take('ip|other').allowed).toBe(true);
    expect(rl.take('ip|acme').retryAfterSeconds).toBe(60);
    now += 60_001;
    expect(rl.take('ip|acme').allowed).toBe(true);
  });
});

describe('webhook signatures', () => {
  it('verifies HMAC-SHA256 over timestamp.body and rejects changes, wrong secrets and stale stamps', () => {
    const body = JSON.stringify({ id: 'evt_1', type: 'issue.opened' });
    const now = Math.floor(Date.now() / 1000);
    const header = signatureHeader('s3cret-s3cret-s3cret', body, now);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature({ body, header, secret: 's3cret-s3cret-s3cret' })).toBe(true);
    expect(verifyWebhookSignature({ body: `${body} `, header, secret: 's3cret-s3cret-s3cret' })).toBe(false);
    expect(verifyWebhookSignature({ body, header, secret: 'other-secret-other' })).toBe(false);
    expect(verifyWebhookSignature({ body, header, secret: 's3cret-s3cret-s3cret', now: now + 301 })).toBe(
      false,
    );
    expect(verifyWebhookSignature({ body, header: undefined, secret: 's3cret-s3cret-s3cret' })).toBe(false);
    expect(verifyWebhookSignature({ body, header: 't=abc,v1=00', secret: 's3cret-s3cret-s3cret' })).toBe(
      false,
    );
  });
});

describe('input validation and headers', () => {
  it('names the bad field without echoing its value', () => {
    try {
      parseInput(createConnectionBody, { companyId: 'ok', userId: 'u', userPassword: 7 }, 'body');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(HttpError);
      expect((e as HttpError).field).toBe('userPassword');
      expect((e as HttpError).message).not.toContain('7');
    }
  });

  it('builds frame-ancestors from INTACCT_CONNECT_FRAME_ANCESTORS', () => {
    expect(contentSecurityPolicy(parseFrameAncestors(undefined))).toContain("frame-ancestors 'self'");
    expect(contentSecurityPolicy(parseFrameAncestors("'self' https://app.example.com"))).toContain(
      "frame-ancestors 'self' https://app.example.com",
    );
    expect(contentSecurityPolicy(parseFrameAncestors('none'))).toContain("frame-ancestors 'none'");
    expect(() => parseFrameAncestors('javascript:alert(1)')).toThrow(/not a CSP source/);
  });
});

describe('serving the built UI', () => {
  it('serves files, index.html for app routes, long cache for hashed assets, and nothing outside the root', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { WebRoot } = await import('../../src/server/static.js');
    const dir = mkdtempSync(join(tmpdir(), 'ic-web-'));
    try {
      mkdirSync(join(dir, 'web', 'assets'), { recursive: true });
      writeFileSync(join(dir, 'web', 'index.html'), '<!doctype html><title>UI</title>');
      writeFileSync(join(dir, 'web', 'assets', 'app-1a2b3c.js'), 'console.log(1)');
      writeFileSync(join(dir, 'secret.txt'), 'outside');
      const web = new WebRoot(join(dir, 'web'));
      expect(web.built).toBe(true);
      const asset = web.lookup('/assets/app-1a2b3c.js')!;
      expect(asset.contentType).toContain('text/javascript');
      expect(asset.cacheControl).toBe('public, max-age=31536000, immutable');
      const route = web.lookup('/connections/con_1?token=ct_x')!;
      expect(route.body.toString()).toContain('<title>UI</title>');
      expect(route.cacheControl).toBe('no-cache');
      expect(web.lookup('/assets/missing-123.js')).toBeUndefined();
      for (const evil of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt']) {
        const got = web.lookup(evil);
        expect(got?.body.toString() ?? '').not.toContain('outside');
      }
      expect(new WebRoot(join(dir, 'nope')).built).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
