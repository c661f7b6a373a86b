import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault, RunningEmulator } from '../../src/emulator/index.js';
import type { Diagnose } from '../../src/server/service.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { DEMO, realDiagnose, startTestServer, type TestServer } from './helpers.js';

const until = async (what: string, pred: () => Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('health checks (in-process scheduler, SQLite)', () => {
  let emu: RunningEmulator;
  let server: TestServer;
  let dir: string;
  const inFlight = new Map<string, number>();
  const peak = new Map<string, number>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ic-health-'));
    emu = await startTestEmulator();
    const real = await realDiagnose();
    // Counts concurrent diagnoses per company around the real doctor.
    const counting: Diagnose = async (options) => {
      const key = options.credentials.companyId!.toLowerCase();
      const n = (inFlight.get(key) ?? 0) + 1;
      inFlight.set(key, n);
      peak.set(key, Math.max(peak.get(key) ?? 0, n));
      try {
        return await real(options);
      } finally {
        inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
      }
    };
    server = await startTestServer({
      engine: 'sqlite',
      emulatorUrl: emu.url,
      dir,
      diagnose: counting,
      config: { checkIntervalMs: 400, throttleBaseMs: 60_000 },
      health: { enabled: true, pollMs: 50, concurrency: 16 },
    });
  });

  afterAll(async () => {
    await server?.close();
    await emu?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('re-checks stored connections periodically, records history and audits the scheduler', async () => {
    const r = await server.api('POST', '/api/connections', {
      companyId: 'acme-healthy',
      userId: DEMO.userId,
      userPassword: DEMO.userPassword,
    });
    expect(r.body.status).toBe('connected');
    const id = r.body.id as string;
    await until('three scheduled checks', async () => {
      const h = await server.api('GET', `/api/connections/${id}/checks`);
      return h.body.checks.filter((c: { trigger: string }) => c.trigger === 'scheduled').length >= 3;
    });
    const audit = await server.api('GET', '/api/audit');
    expect(
      audit.body.entries.some(
        (e: { actor: string; connectionId: string }) => e.actor === 'scheduler' && e.connectionId === id,
      ),
    ).toBe(true);
    await server.api('DELETE', `/api/connections/${id}`);
  });

  it('backs off on rate limits without flipping status or opening issues', async () => {
    const r = await server.api('POST', '/api/connections', {
      companyId: 'acme-multi',
      userId: DEMO.userId,
      userPassword: DEMO.userPassword,
    });
    expect(r.body.status).toBe('connected');
    const id = r.body.id as string;
    const fault = { match: { company: 'acme-multi' }, effect: 'rate_limited', latencyMs: 0 } as Fault;
    emu.context.world.faults.push(fault);
    try {
      await until('a throttled check', async () => {
        const row = await server.service.getRow(id);
        return (row?.throttled_count ?? 0) >= 1;
      });
      const row = (await server.service.getRow(id))!;
      expect(row.status).toBe('connected');
      // Backed off by throttleBaseMs (60 s), not the 400 ms interval.
      expect(Date.parse(row.next_check_at!) - Date.parse(row.last_checked_at!)).toBeGreaterThanOrEqual(
        59_000,
      );
      const one = await server.api('GET', `/api/connections/${id}`);
      expect(one.body.status).toBe('connected');
      expect(one.body.issues).toEqual([]);
      const history = await server.api('GET', `/api/connections/${id}/checks`);
      expect(history.body.checks[0].rootCause).toBe('gateway.rate_limited');
    } finally {
      emu.context.world.faults.splice(emu.context.world.faults.indexOf(fault), 1);
    }
    await server.api('DELETE', `/api/connections/${id}`);
  });

  it('never runs more than 2 diagnoses at once per Intacct company', async () => {
    const created = await Promise.all(
      Array.from({ length: 8 }, () =>
        server.api('POST', '/api/connections', {
          companyId: 'acme-sandbox',
          userId: DEMO.userId,
          userPassword: DEMO.userPassword,
        }),
      ),
    );
    expect(created.every((c) => c.status === 201)).toBe(true);
    const ids = created.map((c) => c.body.id as string);
    await until('every connection re-checked twice', async () => {
      const rows = await Promise.all(ids.map((id) => server.api('GET', `/api/connections/${id}/checks`)));
      return rows.every((h) => h.body.checks.length >= 3);
    });
    expect(peak.get('acme-sandbox')).toBe(2);
    expect(server.service.limiter.peak.get('acme-sandbox')).toBe(2);
    for (const id of ids) await server.api('DELETE', `/api/connections/${id}`);
  });
});
