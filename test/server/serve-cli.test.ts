import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { packagePath } from '../../src/shared/paths.js';

const BIN = packagePath('bin', 'intacct-connect.js');
const cleanEnv = () => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('INTACCT_')) delete env[k];
  return env;
};

describe('intacct-connect serve (built CLI)', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(packagePath('dist', 'cli', 'index.js')))
      throw new Error('dist/ is missing: run `node scripts/build.mjs` first');
    dir = mkdtempSync(join(tmpdir(), 'ic-serve-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('--demo with no set-up: embeds the emulator, prints the URL and a generated key, keeps the secret key 0600, stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--demo', '--port', '0', '--database', 'sqlite:./data/demo.db'],
      {
        cwd: dir,
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    try {
      const end = Date.now() + 30_000;
      while (!/listening on http/.test(out) && Date.now() < end && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 50));
      const url = /Intacct Connect listening on (http:\/\/\S+)/.exec(out)?.[1];
      expect(url, out).toBeTruthy();
      const key = /Management API key \(generated for this run\): (\S+)/.exec(out)?.[1];
      expect(key).toMatch(/^ick_/);
      const keyFile = join(dir, 'data', 'demo.db.secret-key');
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/api/connections`)).status).toBe(401);
      const created = await fetch(`${url}/api/connections`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          companyId: 'missing-perms-role',
          userId: 'svc_sync',
          userPassword: 'Connect-Demo-1',
        }),
      });
      expect(created.status).toBe(201);
      const body = (await created.json()) as {
        status: string;
        report: { findings: Array<{ cause: string }> };
      };
      expect(body.status).toBe('failed');
      expect(body.report.findings[0]!.cause).toBe('permission.missing');
      const token = await fetch(`${url}/api/connect/token`, { method: 'POST' });
      expect(token.status).toBe(201);
    } finally {
      child.kill('SIGTERM');
      await new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
    }
    expect(child.exitCode).toBe(0);
  }, 60_000);

  it('refuses bad input with exit 2 and a one-line message naming it', async () => {
    const run = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const stderr = new PassThrough();
      let err = '';
      stderr.on('data', (c) => {
        err += c;
      });
      const status = await main(['serve', ...args], {
        stdout: new PassThrough(),
        stderr,
        stdin: new PassThrough(),
        env: { ...cleanEnv(), ...env },
        cwd: dir,
      });
      return { status, stderr: err };
    };
    const port = await run(['--port', 'abc']);
    expect(port.status).toBe(2);
    expect(port.stderr).toMatch(/--port abc/);
    const db = await run(['--database', 'mysql://x']);
    expect(db.status).toBe(2);
    expect(db.stderr).toMatch(/--database mysql:\/\/x/);
    const key = await run(['--port', '0'], { INTACCT_CONNECT_SECRET_KEY: 'dG9vLXNob3J0' });
    expect(key.status).toBe(2);
    expect(key.stderr).toMatch(/INTACCT_CONNECT_SECRET_KEY decodes to 9 bytes/);
    expect(key.stderr).not.toContain('dG9vLXNob3J0');
    const noKey = await run(['--port', '0']);
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toMatch(/INTACCT_CONNECT_SECRET_KEY is not set/);
    const world = await run(['--world', 'x.yaml']);
    expect(world.status).toBe(2);
    expect(world.stderr).toMatch(/--world needs --demo/);
    expect(port.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});
