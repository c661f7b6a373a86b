import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/context.js';
import { main } from '../../src/cli/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import type { DoctorReport } from '../../src/shared/report.js';
import { startTestEmulator } from '../helpers/emulator.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Captured> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => {
    out += d;
  });
  stderr.on('data', (d) => {
    err += d;
  });
  const io: CliIO = {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: { HOME: home, ...env },
    cwd: cwd ?? work,
  };
  const code = await main(['doctor', ...args], io);
  return { code, stdout: out, stderr: err };
}

let em: RunningEmulator;
let endpoint: string;
let work: string;
let home: string;

// Planted secrets: unique strings that must never appear in any output.
const SENDER_PW = 'Planted-Sender-9f3c1e7a';
const USER_PW = 'Planted-User-4b8d2a6f';
const WRONG_PW = 'Planted-Wrong-7e1a9c3d';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'doctor-cli-'));
  home = join(work, 'home');
  mkdirSync(join(home, '.intacct'), { recursive: true });
  em = await startTestEmulator({
    senders: [{ id: 'PlantSender', password: SENDER_PW }],
    companies: [
      {
        id: 'plant-co',
        senderAuthorizations: [{ sender: 'PlantSender' }],
        roles: [
          {
            name: 'R',
            permissions: { GLACCOUNT: ['list', 'view'], VENDOR: ['list'], USERINFO: ['list', 'view'] },
          },
        ],
        users: [{ id: 'plant_user', password: USER_PW, admin: 'full', roles: ['R'] }],
      },
    ],
  });
  endpoint = `${em.url}/ia/xml/xmlgw.phtml`;
});

afterAll(async () => {
  await em?.close();
  rmSync(work, { recursive: true, force: true });
});

const base = () => [
  '--endpoint-url',
  endpoint,
  '--sender-id',
  'PlantSender',
  '--sender-password',
  SENDER_PW,
  '--company-id',
  'plant-co',
  '--user-id',
  'plant_user',
];

describe('intacct-connect doctor (in-process)', () => {
  it('healthy: exit 0, live progress lines and a readable verdict', async () => {
    const r = await cli([
      ...base(),
      '--user-password',
      USER_PW,
      '--require',
      'GLACCOUNT:readByQuery,VENDOR:readByQuery',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[PASS] User signs in');
    expect(r.stdout).toContain('Healthy');
    expect(r.stdout).toContain('1 round trip');
    // Not a terminal: no colour codes.
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('on a terminal: colours and a spinner, but no colours with NO_COLOR', async () => {
    const tty = async (env: Record<string, string>) => {
      const stdout = Object.assign(new PassThrough(), { isTTY: true });
      let out = '';
      stdout.on('data', (d) => {
        out += d;
      });
      const io: CliIO = {
        stdout,
        stderr: new PassThrough(),
        stdin: new PassThrough(),
        env: { HOME: home, ...env },
        cwd: work,
      };
      const code = await main(
        ['doctor', ...base(), '--user-password', USER_PW, '--require', 'GLACCOUNT:readByQuery'],
        io,
      );
      return { code, out };
    };
    const coloured = await tty({});
    expect(coloured.code).toBe(0);
    expect(coloured.out).toContain('\u001b[32m');
    const plain = await tty({ NO_COLOR: '1' });
    expect(plain.out).not.toMatch(/\u001b\[\d+m/);
    expect(plain.out).toContain('[PASS] Permissions for the required operations');
  });

  it('with a client ID the OAuth diagnosis runs instead of the XML one', async () => {
    const r = await cli([
      '--json',
      '--api-url',
      `${em.url}/ia/api/v1`,
      '--client-id',
      'nosuch.app.sage.com',
      '--client-secret',
      'Planted-Client-Secret-1',
      '--company-id',
      'plant-co',
      '--user-id',
      'plant_user',
    ]);
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(report.mode).toBe('oauth');
    expect(r.stdout).not.toContain('Planted-Client-Secret-1');
  });

  it('--json prints only the JSON report; problems exit 1 and name the missing object', async () => {
    const r = await cli([...base(), '--user-password', USER_PW, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(report.mode).toBe('xml');
    expect(report.ok).toBe(false);
    expect(report.roundTrips).toBe(1);
    expect(report.findings[0]?.cause).toBe('permission.missing');
    const missing = report.findings[0]?.evidence?.missing?.map((m) => m.object) ?? [];
    expect(missing).toContain('CUSTOMER');
    expect(missing).not.toContain('GLACCOUNT');
    const vendor = report.findings[0]?.evidence?.missing;
    expect(vendor?.find((m) => m.object === 'APBILL')).toMatchObject({
      module: 'Accounts Payable',
      rights: ['List'],
    });
  });

  it('environment variables fill in for flags, and flags win over them', async () => {
    const env = {
      INTACCT_ENDPOINT_URL: endpoint,
      INTACCT_SENDER_ID: 'PlantSender',
      INTACCT_SENDER_PASSWORD: SENDER_PW,
      INTACCT_COMPANY_ID: 'plant-co',
      INTACCT_USER_ID: 'plant_user',
      INTACCT_USER_PASSWORD: WRONG_PW,
    };
    const fromEnv = await cli(['--json', '--require', 'GLACCOUNT:readByQuery'], env);
    expect(JSON.parse(fromEnv.stdout).findings[0].cause).toBe('user.invalid_credentials');
    const flagWins = await cli(
      ['--json', '--require', 'GLACCOUNT:readByQuery', '--user-password', USER_PW],
      env,
    );
    expect(flagWins.code).toBe(0);
  });

  it('reads a profile from ~/.intacct/credentials.ini', async () => {
    writeFileSync(
      join(home, '.intacct', 'credentials.ini'),
      `[plant]\nsender_id = PlantSender\nsender_password = ${SENDER_PW}\nendpoint_url = ${endpoint}\ncompany_id = plant-co\nuser_id = plant_user\nuser_password = ${USER_PW}\n`,
    );
    const r = await cli(['--profile', 'plant', '--json', '--require', 'VENDOR:readByQuery']);
    expect(r.code).toBe(0);
    const missingProfile = await cli(['--profile', 'nope', '--json']);
    expect(missingProfile.code).toBe(2);
    expect(missingProfile.stderr).toMatch(/nope/);
  });

  it('--require @FILE takes a YAML list; a bad spec exits 2 naming it', async () => {
    writeFileSync(
      join(work, 'needs.yaml'),
      '- {object: GLACCOUNT, operation: readByQuery}\n- {object: VENDOR, operation: create}\n',
    );
    const r = await cli([...base(), '--user-password', USER_PW, '--json', '--require', '@needs.yaml']);
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(report.findings[0]?.evidence?.missing).toEqual([
      expect.objectContaining({ object: 'VENDOR', operation: 'create', rights: ['Add'] }),
    ]);
    const bad = await cli([...base(), '--user-password', USER_PW, '--require', 'VENDOR:readAll']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('VENDOR:readAll');
    const badFile = await cli([...base(), '--user-password', USER_PW, '--require', '@missing.yaml']);
    expect(badFile.code).toBe(2);
    expect(badFile.stderr).toContain('missing.yaml');
  });

  it('missing credentials exit 2 naming the flag and the environment variable', async () => {
    const r = await cli(base());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--user-password');
    expect(r.stderr).toContain('INTACCT_USER_PASSWORD');
    const u = await cli(['--endpoint-url', 'not a url', ...base().slice(2), '--user-password', USER_PW]);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('--endpoint-url');
    const t = await cli([...base(), '--user-password', USER_PW, '--timeout', 'soon']);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('--timeout');
  });

  it('never writes a secret: transcript, support bundle, stdout and stderr (planted secrets)', async () => {
    // Capture every raw response so the session IDs Intacct handed out can be searched for too.
    const original = globalThis.fetch;
    const sessionIds: string[] = [];
    globalThis.fetch = async (input, init) => {
      const res = await original(input, init);
      const body = await res.clone().text();
      for (const m of body.matchAll(/<sessionid>([^<]+)<\/sessionid>/g)) sessionIds.push(m[1]!);
      return res;
    };
    try {
      const outputs: string[] = [];
      for (const [pw, name] of [
        [USER_PW, 'ok'],
        [WRONG_PW, 'bad'],
      ] as const) {
        const transcript = join(work, `transcript-${name}.json`);
        const bundle = join(work, `bundle-${name}.md`);
        const r = await cli([
          ...base(),
          '--user-password',
          pw,
          '--transcript',
          transcript,
          '--support-bundle',
          bundle,
        ]);
        expect(existsSync(transcript)).toBe(true);
        const transcriptText = readFileSync(transcript, 'utf8');
        const bundleText = readFileSync(bundle, 'utf8');
        expect(JSON.parse(transcriptText).length).toBeGreaterThan(0);
        expect(bundleText).toContain('## Verdict');
        expect(bundleText).toContain('plant-co');
        expect(bundleText).toContain('PlantSender');
        expect(bundleText).toContain('## Transcript (redacted)');
        outputs.push(transcriptText, bundleText, r.stdout, r.stderr);
        const json = await cli([...base(), '--user-password', pw, '--json']);
        outputs.push(json.stdout, json.stderr);
      }
      expect(sessionIds.length).toBeGreaterThan(0);
      const all = outputs.join('\n');
      for (const secret of [SENDER_PW, USER_PW, WRONG_PW, ...sessionIds]) {
        expect(all.includes(secret), `secret ${secret.slice(0, 6)}… leaked`).toBe(false);
      }
      // The bundle keeps what support needs: the Support IDs the permission errors carried.
      const bundle = readFileSync(join(work, 'bundle-ok.md'), 'utf8');
      expect(bundle).toMatch(/Support ID: `[^`]+~/);
      expect(all).toContain('[REDACTED]');
    } finally {
      globalThis.fetch = original;
    }
  });
});

describe('intacct-connect doctor (spawned, built CLI)', () => {
  it('node bin/intacct-connect.js doctor --json prints the report and exits with its status', async () => {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'index.js'))) {
      await run(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
    }
    const args = [
      'bin/intacct-connect.js',
      'doctor',
      '--json',
      ...base(),
      '--user-password',
      USER_PW,
      '--require',
      'GLACCOUNT:readByQuery',
    ];
    const { stdout } = await run(process.execPath, args, { cwd: ROOT, env: { ...process.env, HOME: home } });
    const report = JSON.parse(stdout) as DoctorReport;
    expect(report.ok).toBe(true);
    expect(report.roundTrips).toBe(1);
    const failing = await run(process.execPath, [...args.slice(0, -2), '--require', 'APBILL:readByQuery'], {
      cwd: ROOT,
      env: { ...process.env, HOME: home },
    }).catch((e: { code: number; stdout: string }) => e);
    expect((failing as { code?: number }).code).toBe(1);
    expect(JSON.parse((failing as { stdout: string }).stdout).findings[0].cause).toBe('permission.missing');
  });
});
