import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/context.js';
import { main } from '../../src/cli/index.js';
import { packagePath } from '../../src/shared/paths.js';

function fakeIO(stdinText?: string, tty = false): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c: Buffer) => {
    o += c.toString();
  });
  stderr.on('data', (c: Buffer) => {
    e += c.toString();
  });
  const stdin = Readable.from(stdinText === undefined ? [] : [Buffer.from(stdinText)]) as Readable & {
    isTTY?: boolean;
  };
  stdin.isTTY = tty;
  return { io: { stdout, stderr, stdin, env: {}, cwd: process.cwd() }, out: () => o, err: () => e };
}

const SENDER_XML =
  "<errorno>XL03000006</errorno><description2>The sender ID 'AcmeSync' is not authorized to make Web Services requests to company ID 'acme'.</description2>";

describe('intacct-connect explain (in-process)', () => {
  it('prints exactly {"matches":[...]} with --json and exits 0 on a match', async () => {
    const t = fakeIO();
    const code = await main(['explain', '--json', SENDER_XML], t.io);
    expect(code).toBe(0);
    const parsed = JSON.parse(t.out()) as { matches: Array<Record<string, unknown>> };
    expect(Object.keys(parsed)).toEqual(['matches']);
    expect(parsed.matches[0]).toMatchObject({
      cause: 'sender.not_authorized',
      article: 'sender.not_authorized',
      title: expect.any(String),
      fix: expect.any(Array),
      confidence: expect.any(Number),
    });
  });

  it('prints a readable explanation with fix steps and other candidates', async () => {
    const t = fakeIO();
    const code = await main(['explain', 'Sign-in', 'information', 'is', 'incorrect'], t.io);
    expect(code).toBe(0);
    const out = t.out();
    expect(out).toContain('The Web Services user ID or password is wrong');
    expect(out).toMatch(/confidence: \d+%/);
    expect(out).toContain('How to fix it:');
    expect(out).toMatch(/\n {2}1\. /);
    expect(out).toContain('Article: user.invalid_credentials');
    expect(out).toContain('Other possible causes:');
    expect(out).toContain('company.not_found');
  });

  it('reads the text from standard input when no TEXT is given', async () => {
    const t = fakeIO('{"error":"invalid_grant"}\n');
    const code = await main(['explain', '--json'], t.io);
    expect(code).toBe(0);
    expect(JSON.parse(t.out()).matches[0].cause).toBe('oauth.invalid_grant');
  });

  it('exits 1 with an empty list when the text is not an Intacct connection error', async () => {
    const t = fakeIO();
    const code = await main(
      ['explain', '--json', "TypeError: Cannot read properties of undefined (reading 'x')"],
      t.io,
    );
    expect(code).toBe(1);
    expect(t.out()).toBe('{"matches":[]}\n');
    const h = fakeIO();
    expect(await main(['explain', 'Please send the invoices by Friday.'], h.io)).toBe(1);
    expect(h.out()).toContain('No Intacct connection error recognised');
  });

  it('exits 2 with "no text to explain" when there is neither TEXT nor piped input', async () => {
    const tty = fakeIO(undefined, true);
    expect(await main(['explain'], tty.io)).toBe(2);
    expect(tty.err()).toContain('no text to explain');
    const empty = fakeIO('  \n');
    expect(await main(['explain', '--json'], empty.io)).toBe(2);
    expect(empty.err()).toContain('no text to explain');
    expect(empty.out()).toBe('');
  });

  it('documents itself in --help', async () => {
    const t = fakeIO();
    expect(await main(['explain', '--help'], t.io)).toBe(0);
    expect(t.out()).toContain('--json');
    expect(t.out()).toContain('Exit status');
  });
});

describe('intacct-connect explain (built CLI)', () => {
  beforeAll(() => {
    const pairs: Array<[string, string]> = [
      ['src/doctor/catalog.ts', 'dist/doctor/catalog.js'],
      ['src/doctor/explain/index.ts', 'dist/doctor/explain/index.js'],
      ['src/doctor/explain/features.ts', 'dist/doctor/explain/features.js'],
      ['src/doctor/explain/normalize.ts', 'dist/doctor/explain/normalize.js'],
      ['src/cli/commands/explain.ts', 'dist/cli/commands/explain.js'],
    ];
    const stale = pairs.some(
      ([src, out]) =>
        !existsSync(packagePath(out)) ||
        statSync(packagePath(out)).mtimeMs < statSync(packagePath(src)).mtimeMs,
    );
    if (stale) {
      // npm test builds first; this only runs when the suite is started on its own after an edit.
      spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
        cwd: packagePath(),
        stdio: 'ignore',
      });
    }
  }, 180_000);

  it('answers --json from standard input, as a separate process', () => {
    const result = spawnSync(process.execPath, ['bin/intacct-connect.js', 'explain', '--json'], {
      cwd: packagePath(),
      input: 'IntacctException: Response control status failure - GW-0010 API rate limit exceeded',
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const parsed = JSON.parse(result.stdout) as { matches: Array<{ cause: string; confidence: number }> };
    expect(parsed.matches[0]!.cause).toBe('gateway.rate_limited');
    expect(parsed.matches[0]!.confidence).toBeGreaterThan(0.9);
  });
});

describe('intacct-connect explain --article', () => {
  it('prints a cause article with both permission-model fixes and its FAQ', async () => {
    const t = fakeIO();
    expect(await main(['explain', '--article', 'permission.missing'], t.io)).toBe(0);
    const out = t.out();
    expect(out).toContain('The integration user lacks permissions the application needs');
    expect(out).toContain('Role-based permission companies:');
    expect(out).toContain('User-based permission companies:');
    expect(out).toContain('Questions:');
    expect(out).toContain("who acts: the customer's Intacct administrator");
  });

  it('prints a guide, and the article as JSON with --json', async () => {
    const t = fakeIO();
    expect(await main(['explain', '--article', 'web-services-user'], t.io)).toBe(0);
    expect(t.out()).toContain('The credentials email');
    const j = fakeIO();
    expect(await main(['explain', '--json', '--article', 'oauth.partner_user_not_found'], j.io)).toBe(0);
    expect(JSON.parse(j.out())).toMatchObject({
      kind: 'cause',
      id: 'oauth.partner_user_not_found',
      inferred: true,
    });
  });

  it('refuses an unknown article with exit 2, naming the input', async () => {
    const t = fakeIO();
    expect(await main(['explain', '--article', 'nope'], t.io)).toBe(2);
    expect(t.err()).toMatch(/--article: no article "nope"/);
  });
});
