import type { Logger } from 'pino';
import { nowIso, type StorageHandle } from './db.js';

export type CheckHandler = (connectionId: string) => Promise<void>;

export interface HealthOptions {
  storage: StorageHandle;
  logger: Logger;
  runCheck: CheckHandler;
  /** How often to look for due connections; default 1000 ms. */
  pollMs?: number;
  /** Checks in flight on this node; default 16. */
  concurrency?: number;
  /** A claim older than this is taken as abandoned (crashed worker); default 10 min. */
  leaseMs?: number;
  /** After a check throws (not a failed diagnosis: an internal error), try again after this; default 5 min. */
  errorDelayMs?: number;
}

export interface HealthRunner {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Checks executed by this runner since start. */
  readonly executed: number;
}

/**
 * Marks up to `limit` due connections as claimed and returns their ids. The WHERE clause is re-checked on
 * the locked row, so when several processes race for the same rows each row goes to exactly one.
 */
export async function claimDue(storage: StorageHandle, limit: number, leaseMs: number): Promise<string[]> {
  if (limit <= 0) return [];
  const now = nowIso();
  const lease = nowIso(Date.now() + leaseMs);
  const { db } = storage;
  const candidates = db
    .selectFrom('connections')
    .select('id')
    .where('next_check_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
    .orderBy('next_check_at')
    .limit(limit);
  const rows = await db
    .updateTable('connections')
    .set({ claimed_until: lease })
    .where('id', 'in', candidates)
    .where('next_check_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** After an internal error the claim is dropped and the connection is retried later, not hot-looped. */
export async function deferAfterError(storage: StorageHandle, id: string, delayMs: number): Promise<void> {
  await storage.db
    .updateTable('connections')
    .set({ claimed_until: null, next_check_at: nowIso(Date.now() + delayMs) })
    .where('id', '=', id)
    .execute();
}

/** Single-node: claims due connections and runs them in this process. */
export class LocalHealthRunner implements HealthRunner {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly inFlight = new Set<Promise<void>>();
  private ticking = false;
  executed = 0;

  constructor(private readonly o: HealthOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    if (this.o.storage.engine === 'sqlite') {
      // One process owns a SQLite file, so claims left by a killed predecessor are void.
      await this.o.storage.db.updateTable('connections').set({ claimed_until: null }).execute();
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.ticking) return;
    this.ticking = true;
    try {
      const free = (this.o.concurrency ?? 16) - this.inFlight.size;
      const ids = await claimDue(this.o.storage, free, this.o.leaseMs ?? 600_000);
      for (const id of ids) this.launch(id);
    } catch (error) {
      this.o.logger.warn({ err: error }, 'health scheduler could not claim due connections');
    } finally {
      this.ticking = false;
      this.schedule(this.o.pollMs ?? 1000);
    }
  }

  private launch(id: string): void {
    const p = this.o
      .runCheck(id)
      .then(() => {
        this.executed++;
      })
      .catch(async (error: unknown) => {
        this.o.logger.error({ err: error, connectionId: id }, 'health check failed to run');
        await deferAfterError(this.o.storage, id, this.o.errorDelayMs ?? 300_000).catch(() => undefined);
      })
      .finally(() => {
        this.inFlight.delete(p);
        // A slot is free: look for more work now rather than at the next poll.
        if (!this.stopped && this.timer) {
          clearTimeout(this.timer);
          this.schedule(0);
        }
      });
    this.inFlight.add(p);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight]);
  }
}

export const HEALTH_QUEUE = 'intacct-connect-health';

export interface PgBossHealthOptions extends HealthOptions {
  connectionString: string;
  /** pg-boss's own schema; default `pgboss`. */
  bossSchema?: string;
  /** Set false for a worker that only consumes (another node produces). Default true. */
  produce?: boolean;
}

interface BossLike {
  start(): Promise<unknown>;
  stop(options?: { graceful?: boolean; wait?: boolean; timeout?: number }): Promise<void>;
  createQueue(name: string, options?: { name: string; policy?: string }): Promise<void>;
  getQueue(name: string): Promise<unknown>;
  insert(
    jobs: Array<{ name: string; data?: object; retryLimit?: number; expireInSeconds?: number }>,
  ): Promise<void>;
  fetch<T>(name: string, options: { batchSize?: number }): Promise<Array<{ id: string; data: T }>>;
  complete(name: string, id: string): Promise<void>;
  fail(name: string, id: string, data?: object): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Several nodes on one PostgreSQL database: every node claims due connections (each row to exactly one
 * node, see claimDue) and queues them in pg-boss, and every node's worker pool fetches jobs with SKIP
 * LOCKED, so each due check runs once wherever there is spare capacity.
 */
export class PgBossHealthRunner implements HealthRunner {
  private boss: BossLike | undefined;
  private stopped = true;
  private produceTimer: NodeJS.Timeout | undefined;
  private consumeTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private fetching = false;
  executed = 0;

  constructor(private readonly o: PgBossHealthOptions) {}

  async start(): Promise<void> {
    const { default: PgBoss } = await import('pg-boss');
    const boss = new PgBoss({
      connectionString: this.o.connectionString,
      schema: this.o.bossSchema ?? 'pgboss',
      max: 4,
      supervise: true,
      schedule: false,
    }) as unknown as BossLike;
    boss.on('error', (error) => this.o.logger.warn({ err: error }, 'pg-boss error'));
    await boss.start();
    if (!(await boss.getQueue(HEALTH_QUEUE))) {
      await boss
        .createQueue(HEALTH_QUEUE, { name: HEALTH_QUEUE, policy: 'standard' })
        .catch(async (error: unknown) => {
          // Another node created it between our look and our create.
          if (!(await boss.getQueue(HEALTH_QUEUE))) throw error;
        });
    }
    this.boss = boss;
    this.stopped = false;
    if (this.o.produce !== false) this.produceSoon(0);
    this.consumeSoon(0);
  }

  private produceSoon(ms: number): void {
    if (this.stopped) return;
    this.produceTimer = setTimeout(() => void this.produce(), ms);
  }

  private consumeSoon(ms: number): void {
    if (this.stopped) return;
    if (this.consumeTimer) clearTimeout(this.consumeTimer);
    this.consumeTimer = setTimeout(() => void this.consume(), ms);
  }

  private async produce(): Promise<void> {
    try {
      for (;;) {
        const ids = await claimDue(this.o.storage, 500, this.o.leaseMs ?? 600_000);
        if (ids.length === 0 || this.stopped) break;
        await this.boss!.insert(
          ids.map((connectionId) => ({
            name: HEALTH_QUEUE,
            data: { connectionId },
            // The claim lease, not pg-boss, decides when an abandoned check runs again.
            retryLimit: 0,
            expireInSeconds: 900,
          })),
        );
        this.consumeSoon(0);
        if (ids.length < 500) break;
      }
    } catch (error) {
      this.o.logger.warn({ err: error }, 'health producer could not queue due connections');
    } finally {
      this.produceSoon(this.o.pollMs ?? 1000);
    }
  }

  private async consume(): Promise<void> {
    if (this.stopped || this.fetching) return;
    this.fetching = true;
    let got = 0;
    try {
      const free = (this.o.concurrency ?? 16) - this.inFlight.size;
      if (free > 0) {
        const jobs = await this.boss!.fetch<{ connectionId: string }>(HEALTH_QUEUE, { batchSize: free });
        got = jobs.length;
        for (const job of jobs) this.launch(job.id, job.data.connectionId);
      }
    } catch (error) {
      if (!this.stopped) this.o.logger.warn({ err: error }, 'health worker could not fetch jobs');
    } finally {
      this.fetching = false;
      this.consumeSoon(got > 0 ? 0 : Math.min(this.o.pollMs ?? 1000, 250));
    }
  }

  private launch(jobId: string, connectionId: string): void {
    const boss = this.boss!;
    const p = this.o
      .runCheck(connectionId)
      .then(async () => {
        this.executed++;
        await boss.complete(HEALTH_QUEUE, jobId);
      })
      .catch(async (error: unknown) => {
        this.o.logger.error({ err: error, connectionId }, 'health check failed to run');
        await deferAfterError(this.o.storage, connectionId, this.o.errorDelayMs ?? 300_000).catch(
          () => undefined,
        );
        await boss.fail(HEALTH_QUEUE, jobId, { message: String(error) }).catch(() => undefined);
      })
      .finally(() => {
        this.inFlight.delete(p);
        this.consumeSoon(0);
      });
    this.inFlight.add(p);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.produceTimer) clearTimeout(this.produceTimer);
    if (this.consumeTimer) clearTimeout(this.consumeTimer);
    await Promise.allSettled([...this.inFlight]);
    await this.boss?.stop({ graceful: true, wait: true, timeout: 5000 });
  }
}
