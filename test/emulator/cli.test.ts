import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/shared/paths.js';
import { postXml, xmlRequest } from '../helpers/emulator.js';
import { readResponse } from './xml-helpers.js';

const BIN = packagePath('bin', 'intacct-connect.js');
const BUILT = packagePath('dist', 'cli', 'commands', 'emulator.js');
const SOURCE = packagePath('src', 'cli', 'commands', 'emulator.ts');

const running: ChildProcess[] = [];

function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'emulator', ...args], {
    cwd: packagePath(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /Intacct emulator listening on (\S+)\n/.exec(stdout);
      if (m) resolve(m[0]);
    };
    child.stdout!.on('data', check);
    child.on('exit', () => reject(new Error(`exited before listening: ${stderr}`)));
  });
  // Runs that are meant to fail never print the line; that rejection is expected, not unhandled.
  line.catch(() => undefined);
  return { child, exited, line, output: () => ({ stdout, stderr }) };
}

afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('intacct-connect emulator', () => {
  beforeAll(() => {
    // `npm test` builds first; build here only when the compiled command is missing or older.
    if (!existsSync(BUILT) || statSync(BUILT).mtimeMs < statSync(SOURCE).mtimeMs) {
      spawnSync(
        process.execPath,
        [packagePath('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
        {
          cwd: packagePath(),
        },
      );
    }
  }, 120_000);

  it('prints its address, serves the demo world, and exits 0 on SIGTERM', async () => {
    const run = start(['--port', '0']);
    const line = await run.line;
    expect(line).toMatch(/^Intacct emulator listening on http:\/\/127\.0\.0\.1:\d+\n$/);
    const url = line.trim().split(' ').pop()!;
    const x = readResponse((await postXml(url, xmlRequest({ functions: ['<getAPISession/>'] }))).body);
    expect(x.result.status).toBe('success');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('exits 0 on SIGINT, serving a world file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-cli-'));
    const file = join(dir, 'w.json');
    writeFileSync(
      file,
      JSON.stringify({
        senders: [{ id: 'S', password: 'p' }],
        companies: [
          { id: 'solo', senderAuthorizations: [{ sender: 'S' }], users: [{ id: 'u', password: 'pw' }] },
        ],
      }),
    );
    const run = start(['--world', file, '--host', '127.0.0.1']);
    const url = (await run.line).trim().split(' ').pop()!;
    const body = xmlRequest({
      senderId: 'S',
      senderPassword: 'p',
      companyId: 'solo',
      userId: 'u',
      userPassword: 'pw',
      functions: ['<getAPISession/>'],
    });
    expect(readResponse((await postXml(url, body)).body).result.status).toBe('success');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
  });

  it('refuses an invalid world file with exit 2, the file and the path inside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'companies:\n  - id: a\n  - id: b\n  - id: c\n    users:\n      - { id: u, password: p, status: asleep }\n',
    );
    const run = start(['--world', file]);
    expect(await run.exited).toBe(2);
    const { stderr, stdout } = run.output();
    expect(stdout).toBe('');
    expect(stderr).toContain(file);
    expect(stderr).toContain('companies[2].users[0].status');
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a bad port with exit 2', async () => {
    const run = start(['--port', 'eighty']);
    expect(await run.exited).toBe(2);
    expect(run.output().stderr).toContain('--port');
  });
});
