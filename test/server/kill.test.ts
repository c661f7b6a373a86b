import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { generateSecretKey } from '../../src/server/index.js';
import { packagePath } from '../../src/shared/paths.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { DEMO } from './helpers.js';

const KEY = 'ick_kill_test_key_0123456789abcdef';
const COMPANIES = [
  'acme-healthy',
  'acme-multi',
  'acme-sandbox',
  'missing-perms-role',
  'locked-user',
  'no-ap-module',
  'regular-user',
  'no-role',
];

interface Proc {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

/** Spawns the built CLI (`node bin/intacct-connect.js serve`), resolving once it prints its URL. */
function spawnServer(dbFile: string, env: NodeJS.ProcessEnv): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [packagePath('bin', 'intacct-connect.js'), 'serve', '--port', '0', '--database', `sqlite:${dbFile}`],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`server did not start in 30 s:\n${out}\n${err}`)),
      30_000,
    );
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /Intacct Connect listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, stderr: () => err });
      }
    });
    child.stderr!.on('data', (c) => {
      err += c;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}\n${err}`));
    });
  });
}

function kill9(p: Proc): Promise<void> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
    p.child.once('exit', () => resolve());
    p.child.kill('SIGKILL');
  });
}

const api = async (url: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
};

/** Opens the file directly (as a second reader) and checks the invariants that one transaction per write keeps. */
function inspect(dbFile: string) {
  const db = new Database(dbFile, { readonly: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    const orphanChecks = db
      .prepare('SELECT count(*) AS n FROM checks WHERE connection_id NOT IN (SELECT id FROM connections)')
      .get() as { n: number };
    const orphanIssues = db
      .prepare('SELECT count(*) AS n FROM issues WHERE connection_id NOT IN (SELECT id FROM connections)')
      .get() as { n: number };
    const unchecked = db
      .prepare(
        'SELECT count(*) AS n FROM connections c WHERE NOT EXISTS (SELECT 1 FROM checks k WHERE k.connection_id = c.id)',
      )
      .get() as { n: number };
    const stale = db
      .prepare(
        'SELECT count(*) AS n FROM connections c WHERE c.last_checked_at IS NOT (SELECT max(at) FROM checks k WHERE k.connection_id = c.id)',
      )
      .get() as { n: number };
    const checks = (db.prepare('SELECT count(*) AS n FROM checks').get() as { n: number }).n;
    return {
      integrity,
      orphanChecks: orphanChecks.n,
      orphanIssues: orphanIssues.n,
      unchecked: unchecked.n,
      stale: stale.n,
      checks,
    };
  } finally {
    db.close();
  }
}

describe('hard kill (SIGKILL) of the built server', () => {
  let emu: RunningEmulator;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const procs: Proc[] = [];

  beforeAll(async () => {
    if (!existsSync(packagePath('dist', 'cli', 'index.js'))) {
      throw new Error('dist/ is missing: run `node scripts/build.mjs` (npm test does) before this test');
    }
    dir = mkdtempSync(join(tmpdir(), 'ic-kill-'));
    emu = await startTestEmulator();
    env = {
      INTACCT_ENDPOINT_URL: `${emu.url}/ia/xml/xmlgw.phtml`,
      INTACCT_API_URL: `${emu.url}/ia/api/v1`,
      INTACCT_SENDER_ID: DEMO.senderId,
      INTACCT_SENDER_PASSWORD: DEMO.senderPassword,
      INTACCT_CLIENT_ID: '',
      INTACCT_CLIENT_SECRET: '',
      INTACCT_CONNECT_API_KEY: KEY,
      INTACCT_CONNECT_SECRET_KEY: generateSecretKey(),
      INTACCT_CONNECT_CREDENTIAL_LIMIT: '100000/60',
      INTACCT_CONNECT_CHECK_INTERVAL_SECONDS: '1',
      INTACCT_CONNECT_LOG_LEVEL: 'warn',
    };
  });

  afterAll(async () => {
    for (const p of procs) await kill9(p);
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged write when killed during a burst of writes and during health checks', async () => {
    const dbFile = join(dir, 'kill.db');
    const first = await spawnServer(dbFile, env);
    procs.push(first);

    // Phase 1: a burst of creates and deletes from 12 concurrent clients, killed mid-flight.
    const created = new Map<string, string>();
    const deleted = new Set<string>();
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const company = COMPANIES[(w + i) % COMPANIES.length]!;
        try {
          const r = await api(first.url, 'POST', '/api/connections', {
            companyId: company,
            userId: DEMO.userId,
            userPassword: DEMO.userPassword,
          });
          if (r.status === 201) created.set(r.body.id as string, r.body.status as string);
          if (r.status === 201 && i % 4 === 3) {
            const d = await api(first.url, 'DELETE', `/api/connections/${r.body.id}`);
            if (d.status === 204) deleted.add(r.body.id as string);
          }
        } catch {
          // The kill cuts requests off; only acknowledged answers count.
        }
      }
    };
    const workers = Array.from({ length: 12 }, (_, w) => worker(w));
    const startedAt = Date.now();
    while (created.size < 40 && Date.now() - startedAt < 20_000) await new Promise((r) => setTimeout(r, 20));
    await kill9(first);
    stop = true;
    await Promise.all(workers);
    expect(created.size).toBeGreaterThanOrEqual(40);

    let state = inspect(dbFile);
    expect(state.integrity).toBe('ok');
    expect(state).toMatchObject({ orphanChecks: 0, orphanIssues: 0, unchecked: 0, stale: 0 });

    const second = await spawnServer(dbFile, env);
    procs.push(second);
    const list = await api(second.url, 'GET', '/api/connections');
    const stored = new Map(
      (list.body.connections as Array<{ id: string; status: string }>).map((c) => [c.id, c.status]),
    );
    for (const [id, status] of created) {
      if (deleted.has(id)) expect(stored.has(id), `deleted ${id} came back`).toBe(false);
      else {
        expect(stored.has(id), `acknowledged ${id} lost`).toBe(true);
        // Health checks may have run since, but these companies answer the same every time.
        expect(stored.get(id)).toBe(status);
      }
    }

    // Phase 2: the 1-second health interval keeps checks running; kill while they do.
    const before = inspect(dbFile).checks;
    const end = Date.now() + 20_000;
    while (inspect(dbFile).checks < before + 30 && Date.now() < end)
      await new Promise((r) => setTimeout(r, 50));
    const seenChecks = inspect(dbFile).checks;
    expect(seenChecks).toBeGreaterThanOrEqual(before + 30);
    await kill9(second);
    state = inspect(dbFile);
    expect(state.integrity).toBe('ok');
    expect(state).toMatchObject({ orphanChecks: 0, orphanIssues: 0, unchecked: 0, stale: 0 });
    expect(state.checks).toBeGreaterThanOrEqual(seenChecks);

    // After a restart the scheduler picks up where it stopped (claims left by the killed process are void).
    const third = await spawnServer(dbFile, env);
    procs.push(third);
    const resumeEnd = Date.now() + 20_000;
    while (inspect(dbFile).checks < state.checks + 10 && Date.now() < resumeEnd)
      await new Promise((r) => setTimeout(r, 50));
    expect(inspect(dbFile).checks).toBeGreaterThanOrEqual(state.checks + 10);
    const again = await api(third.url, 'GET', '/api/connections');
    // A write cut off before its answer may or may not have committed; phase 2 made no API writes, so the
    // set of connections is exactly what the second process saw.
    expect(new Set((again.body.connections as Array<{ id: string }>).map((c) => c.id))).toEqual(
      new Set(stored.keys()),
    );
    third.child.kill('SIGTERM');
    await new Promise<void>((r) => third.child.once('exit', () => r()));
    expect(third.child.exitCode).toBe(0);
  }, 120_000);
});
