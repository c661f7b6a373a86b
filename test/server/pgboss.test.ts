import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import {
  createLogger,
  openDatabase,
  PgBossHealthRunner,
  SecretValues,
  type StorageHandle,
} from '../../src/server/index.js';
import { startTestEmulator } from '../helpers/emulator.js';
import {
  DEMO,
  dropSchema,
  LogCapture,
  PG_URL,
  requirePostgres,
  startTestServer,
  uniqueSchema,
} from './helpers.js';

describe('pg-boss health queue (PostgreSQL)', () => {
  let enabled = true;
  const schemas: string[] = [];

  beforeAll(async () => {
    enabled = await requirePostgres();
  });

  afterAll(async () => {
    for (const s of schemas) await dropSchema(s).catch(() => undefined);
  });

  it('two independent workers process 1,000 due checks exactly once between them', async (ctx) => {
    if (!enabled) ctx.skip();
    const schema = uniqueSchema('boss');
    const bossSchema = `${schema}_q`;
    schemas.push(schema, bossSchema);
    const logger = createLogger({
      secrets: new SecretValues(),
      destination: new LogCapture(),
      level: 'warn',
    });
    const storages: StorageHandle[] = [
      await openDatabase(PG_URL, { schema }),
      await openDatabase(PG_URL, { schema }),
    ];
    const past = new Date(Date.now() - 60_000).toISOString();
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      id: `con_${String(i).padStart(32, '0')}`,
      mode: 'xml',
      company_id: `co-${i % 50}`,
      user_id: 'u',
      entity_id: null,
      status: 'connected',
      credentials: 'v1.none',
      key_id: 'none',
      customer_ref: null,
      connect_session_id: null,
      created_at: past,
      updated_at: past,
      last_checked_at: null,
      next_check_at: past,
      throttled_count: 0,
      claimed_until: null,
      deleted_at: null,
    }));
    for (let i = 0; i < rows.length; i += 200)
      await storages[0]!.db
        .insertInto('connections')
        .values(rows.slice(i, i + 200))
        .execute();

    const executions: Array<{ worker: number; id: string }> = [];
    const runners = storages.map(
      (storage, worker) =>
        new PgBossHealthRunner({
          storage,
          logger,
          connectionString: PG_URL,
          bossSchema,
          pollMs: 100,
          concurrency: 25,
          // A real but trivial check: record the run and schedule the next one far ahead, as a diagnosis would.
          runCheck: async (id) => {
            executions.push({ worker, id });
            await new Promise((r) => setTimeout(r, 2));
            await storage.db
              .updateTable('connections')
              .set({
                claimed_until: null,
                last_checked_at: new Date().toISOString(),
                next_check_at: '2999-01-01T00:00:00.000Z',
              })
              .where('id', '=', id)
              .execute();
          },
        }),
    );
    try {
      // Start both before any has drained the queue, so they really compete.
      await Promise.all(runners.map((r) => r.start()));
      const end = Date.now() + 60_000;
      while (executions.length < 1000 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      // Give any duplicate a chance to show up before asserting.
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await Promise.all(runners.map((r) => r.stop()));
      for (const s of storages) await s.close();
    }
    const ids = executions.map((e) => e.id);
    expect(executions).toHaveLength(1000);
    expect(new Set(ids).size).toBe(1000);
    const perWorker = [0, 1].map((w) => executions.filter((e) => e.worker === w).length);
    expect(perWorker[0]! + perWorker[1]!).toBe(1000);
    expect(perWorker[0]).toBeGreaterThan(0);
    expect(perWorker[1]).toBeGreaterThan(0);
  }, 90_000);

  it('runs a real scheduled check end to end through pg-boss', async (ctx) => {
    if (!enabled) ctx.skip();
    const schema = uniqueSchema('bossreal');
    schemas.push(schema, `${schema}_q`);
    let emu: RunningEmulator | undefined;
    let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
    try {
      emu = await startTestEmulator();
      server = await startTestServer({
        engine: 'postgres',
        schema,
        emulatorUrl: emu.url,
        config: { checkIntervalMs: 300 },
        health: { enabled: true, pollMs: 100, bossSchema: `${schema}_q` },
      });
      expect(server.health).toBeInstanceOf(PgBossHealthRunner);
      const r = await server.api('POST', '/api/connections', {
        companyId: 'acme-healthy',
        userId: DEMO.userId,
        userPassword: DEMO.userPassword,
      });
      expect(r.body.status).toBe('connected');
      const end = Date.now() + 20_000;
      let scheduled = 0;
      while (Date.now() < end && scheduled < 2) {
        const h = await server.api('GET', `/api/connections/${r.body.id}/checks`);
        scheduled = h.body.checks.filter((c: { trigger: string }) => c.trigger === 'scheduled').length;
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(scheduled).toBeGreaterThanOrEqual(2);
    } finally {
      await server?.close();
      await emu?.close();
    }
  }, 60_000);
});
