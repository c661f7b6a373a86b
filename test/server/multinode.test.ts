import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault, RunningEmulator } from '../../src/emulator/index.js';
import type { Diagnose } from '../../src/server/service.js';
import { startTestEmulator } from '../helpers/emulator.js';
import {
  DEMO,
  dropSchema,
  realDiagnose,
  requirePostgres,
  startTestServer,
  type TestServer,
  uniqueSchema,
} from './helpers.js';

describe('two nodes on one PostgreSQL database', () => {
  let enabled = true;
  let emu: RunningEmulator;
  const servers: TestServer[] = [];
  const schema = uniqueSchema('nodes');
  let inFlight = 0;
  let peak = 0;

  beforeAll(async () => {
    enabled = await requirePostgres();
    if (!enabled) return;
    emu = await startTestEmulator();
    // Slow answers for this company so diagnoses overlap.
    emu.context.world.faults.push({
      match: { company: 'acme-sandbox' },
      effect: 'latency',
      latencyMs: 150,
    } as Fault);
    const real = await realDiagnose();
    const counting: Diagnose = async (options) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      try {
        return await real(options);
      } finally {
        inFlight--;
      }
    };
    for (let i = 0; i < 2; i++) {
      servers.push(
        await startTestServer({ engine: 'postgres', schema, emulatorUrl: emu.url, diagnose: counting }),
      );
    }
  });

  afterAll(async () => {
    for (const s of servers) await s.close();
    await emu?.close();
    if (enabled) await dropSchema(schema);
  });

  it('never runs more than 2 diagnoses per company across both nodes', async (ctx) => {
    if (!enabled) ctx.skip();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        servers[i % 2]!.api('POST', '/api/connections', {
          companyId: 'acme-sandbox',
          userId: DEMO.userId,
          userPassword: DEMO.userPassword,
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(results.every((r) => r.body.status === 'connected')).toBe(true);
    expect(peak).toBe(2);
    // Both nodes see every connection.
    const lists = await Promise.all(servers.map((s) => s.api('GET', '/api/connections')));
    expect(lists.map((l) => l.body.connections.length)).toEqual([10, 10]);
  }, 60_000);
});
