import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDue, openDatabase, pruneExpired, type StorageHandle } from '../../src/server/index.js';
import { dropSchema, PG_URL, requirePostgres, uniqueSchema } from './helpers.js';

const row = (i: number, due: string) => ({
  id: `con_${String(i).padStart(32, '0')}`,
  mode: 'xml',
  company_id: `co-${i % 7}`,
  user_id: 'u',
  entity_id: null,
  status: 'connected',
  credentials: 'v1.x',
  key_id: 'k',
  customer_ref: null,
  connect_session_id: null,
  created_at: due,
  updated_at: due,
  last_checked_at: null,
  next_check_at: due,
  throttled_count: 0,
  claimed_until: null,
  deleted_at: null,
});

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`storage on ${engine}`, () => {
    let enabled = true;
    let dir: string | undefined;
    let schema: string | undefined;
    let url: string;

    beforeAll(async () => {
      if (engine === 'postgres') {
        enabled = await requirePostgres();
        schema = uniqueSchema('storage');
        url = PG_URL;
      } else {
        dir = mkdtempSync(join(tmpdir(), 'ic-storage-'));
        url = `sqlite:${dir}/s.db`;
      }
    });
    afterAll(async () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (schema && enabled) await dropSchema(schema);
    });
    const open = () => openDatabase(url, schema ? { schema } : {});

    it('migrates once and reopens without re-running migrations', async (ctx) => {
      if (!enabled) ctx.skip();
      const a = await open();
      const b = await open();
      const tables = await a.db.introspection.getTables();
      const names = tables.filter((t) => !schema || t.schema === schema).map((t) => t.name);
      for (const t of [
        'connections',
        'checks',
        'issues',
        'webhooks',
        'deliveries',
        'audit_log',
        'connect_sessions',
      ]) {
        expect(names).toContain(t);
      }
      await a.close();
      await b.close();
    });

    it('hands each due connection to exactly one of several concurrent claimers', async (ctx) => {
      if (!enabled) ctx.skip();
      const handles: StorageHandle[] = await Promise.all([open(), open(), open(), open()]);
      try {
        const due = new Date(Date.now() - 1000).toISOString();
        await handles[0]!.db.deleteFrom('connections').execute();
        await handles[0]!.db
          .insertInto('connections')
          .values(Array.from({ length: 300 }, (_, i) => row(i, due)))
          .execute();
        const claimed: string[] = [];
        await Promise.all(
          handles.map(async (h) => {
            for (;;) {
              const ids = await claimDue(h, 7, 60_000);
              if (ids.length === 0) break;
              claimed.push(...ids);
            }
          }),
        );
        expect(claimed).toHaveLength(300);
        expect(new Set(claimed).size).toBe(300);
        // Leased rows are not due again until the lease expires.
        expect(await claimDue(handles[0]!, 10, 60_000)).toEqual([]);
        await handles[0]!.db
          .updateTable('connections')
          .set({ claimed_until: new Date(Date.now() - 1).toISOString() })
          .execute();
        expect(await claimDue(handles[0]!, 1000, 60_000)).toHaveLength(300);
      } finally {
        for (const h of handles) await h.close();
      }
    });

    it("prunes expired tokens and old history but keeps each connection's latest check", async (ctx) => {
      if (!enabled) ctx.skip();
      const h = await open();
      try {
        const day = 86_400_000;
        const iso = (ago: number) => new Date(Date.now() - ago).toISOString();
        await h.db.deleteFrom('connections').execute();
        await h.db
          .insertInto('connections')
          .values([
            { ...row(1, iso(0)), last_checked_at: iso(200 * day) },
            { ...row(2, iso(0)), last_checked_at: iso(day) },
          ])
          .execute();
        const check = (id: string, connection: number, at: string) => ({
          id,
          connection_id: row(connection, at).id,
          at,
          status: 'connected',
          ok: 1,
          round_trips: 1,
          root_cause: null,
          trigger: 'scheduled',
          report: '{}',
        });
        await h.db
          .insertInto('checks')
          .values([
            check('a', 1, iso(300 * day)),
            check('b', 1, iso(200 * day)),
            check('c', 2, iso(100 * day)),
            check('d', 2, iso(day)),
          ])
          .execute();
        await h.db
          .insertInto('connect_sessions')
          .values([
            {
              id: 'cs_old',
              token_hash: 'h1',
              customer_ref: null,
              created_at: iso(2 * day),
              expires_at: iso(day),
              actor: 'm',
            },
            {
              id: 'cs_new',
              token_hash: 'h2',
              customer_ref: null,
              created_at: iso(0),
              expires_at: iso(-day),
              actor: 'm',
            },
          ])
          .execute();
        await pruneExpired(h, 90);
        const left = (await h.db.selectFrom('checks').select('id').orderBy('id').execute()).map((r) => r.id);
        expect(left).toEqual(['b', 'd']);
        const sessions = (await h.db.selectFrom('connect_sessions').select('id').execute()).map((r) => r.id);
        expect(sessions).toEqual(['cs_new']);
      } finally {
        await h.close();
      }
    });

    it('keeps one issue per connection and cause', async (ctx) => {
      if (!enabled) ctx.skip();
      const h = await open();
      try {
        const now = new Date().toISOString();
        const issue = {
          id: 'iss_1',
          connection_id: 'con_x',
          cause: 'permission.missing',
          severity: 'error',
          title: 't',
          status: 'open',
          opened_at: now,
          resolved_at: null,
          last_seen_at: now,
          reopened_count: 0,
        };
        await h.db.insertInto('issues').values(issue).execute();
        await expect(
          h.db
            .insertInto('issues')
            .values({ ...issue, id: 'iss_2' })
            .execute(),
        ).rejects.toThrow();
      } finally {
        await h.close();
      }
    });
  });
}
