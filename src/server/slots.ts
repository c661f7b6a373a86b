import pg from 'pg';

/** A cross-process cap on concurrent work per key, for several nodes sharing one PostgreSQL database. */
export interface CompanyGate {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** 32-bit FNV-1a: advisory lock keys are integers. Two companies that collide only share slots. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/**
 * Session-level advisory locks `(hash(company), slot)` for slot in 0..slots-1: whoever holds one of the
 * slots may talk to that company. A crashed node's locks vanish with its connection, so nothing is left held.
 * Each held slot pins one connection of this gate's own pool, sized to the node's check concurrency.
 */
export class PgAdvisorySlots implements CompanyGate {
  private readonly pool: pg.Pool;

  constructor(
    connectionString: string,
    maxConcurrent: number,
    private readonly slots = 2,
    private readonly pollMs = 50,
  ) {
    this.pool = new pg.Pool({ connectionString, max: Math.max(2, maxConcurrent) });
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const k1 = hash32(key);
    let slot = -1;
    try {
      while (slot < 0) {
        for (let s = 0; s < this.slots && slot < 0; s++) {
          const r = await client.query<{ ok: boolean }>(
            'SELECT pg_try_advisory_lock($1::int, $2::int) AS ok',
            [k1, s],
          );
          if (r.rows[0]?.ok) slot = s;
        }
        if (slot < 0) await new Promise((r) => setTimeout(r, this.pollMs));
      }
      return await task();
    } finally {
      if (slot >= 0)
        await client.query('SELECT pg_advisory_unlock($1::int, $2::int)', [k1, slot]).catch(() => undefined);
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
