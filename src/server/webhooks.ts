import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Keyring } from './crypto.js';
import { nowIso, type StorageHandle } from './db.js';
import { backoffMs } from './limits.js';

export const WEBHOOK_EVENTS = [
  'connection.connected',
  'connection.failed',
  'issue.opened',
  'issue.resolved',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const SIGNATURE_HEADER = 'Intacct-Connect-Signature';

/** HMAC-SHA256 over `${timestamp}.${body}`, hex. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function signatureHeader(
  secret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): string {
  return `t=${timestamp},v1=${signWebhook(secret, timestamp, body)}`;
}

export interface VerifyOptions {
  /** The raw request body exactly as received (before JSON parsing). */
  body: string;
  /** The `Intacct-Connect-Signature` header value. */
  header: string | undefined;
  secret: string;
  /** Reject signatures older (or further in the future) than this; default 300 s. */
  toleranceSeconds?: number;
  /** Unix seconds; default now. */
  now?: number;
}

/**
 * For webhook receivers: true when the header carries a valid signature of the body made within the
 * tolerance. Several `v1=` values are accepted so a sender can sign with an old and a new secret.
 */
export function verifyWebhookSignature(options: VerifyOptions): boolean {
  if (!options.header) return false;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of options.header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v && /^\d+$/.test(v)) timestamp = Number(v);
    else if (k === 'v1' && v) signatures.push(v);
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(options.secret, timestamp, options.body), 'hex');
  return signatures.some((s) => {
    const got = Buffer.from(s, 'hex');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

export interface DispatcherOptions {
  storage: StorageHandle;
  keyring: Keyring;
  logger: Logger;
  /** Poll interval; default 1000 ms. */
  intervalMs?: number;
  maxAttempts?: number;
  /** First retry delay; doubles per attempt up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

/**
 * Sends queued deliveries. Rows are claimed with a compare-and-set lease, so several server processes on
 * one PostgreSQL database never send the same attempt twice, and a crashed sender's claim expires.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly o: DispatcherOptions) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .catch((error: unknown) => this.o.logger.warn({ err: error }, 'webhook dispatch failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.o.intervalMs ?? 1000);
        });
    };
    this.timer = setTimeout(tick, 10);
  }

  /** Wakes the dispatcher after new deliveries were queued, instead of waiting for the next poll. */
  poke(): void {
    if (this.stopped || !this.timer) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((error: unknown) => this.o.logger.warn({ err: error }, 'webhook dispatch failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(() => this.poke(), this.o.intervalMs ?? 1000);
        });
    }, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  async runOnce(): Promise<number> {
    const { db } = this.o.storage;
    const now = nowIso();
    const due = await db
      .selectFrom('deliveries')
      .select(['id', 'claimed_until'])
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .orderBy('next_attempt_at')
      .limit(50)
      .execute();
    let sent = 0;
    await Promise.all(
      due.map(async (row) => {
        const lease = nowIso(Date.now() + (this.o.timeoutMs ?? 10_000) + 5_000);
        let claim = db.updateTable('deliveries').set({ claimed_until: lease }).where('id', '=', row.id);
        claim =
          row.claimed_until === null
            ? claim.where('claimed_until', 'is', null)
            : claim.where('claimed_until', '=', row.claimed_until);
        const res = await claim.executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) return;
        await this.attempt(row.id);
        sent++;
      }),
    );
    return sent;
  }

  private async attempt(id: string): Promise<void> {
    const { db } = this.o.storage;
    const d = await db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    if (!d) return;
    const hook = await db
      .selectFrom('webhooks')
      .selectAll()
      .where('id', '=', d.webhook_id)
      .executeTakeFirst();
    if (!hook || hook.deleted_at) {
      await db
        .updateTable('deliveries')
        .set({ status: 'failed', last_error: 'webhook removed', claimed_until: null })
        .where('id', '=', id)
        .execute();
      return;
    }
    const secret = this.o.keyring.open(hook.secret);
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const res = await (this.o.fetch ?? fetch)(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'IntacctConnect-Webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(secret, d.payload),
          'Intacct-Connect-Event': d.event,
          'Intacct-Connect-Delivery': d.event_id,
        },
        body: d.payload,
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
        redirect: 'manual',
      });
      statusCode = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (e) {
      error = e instanceof Error ? (e.name === 'TimeoutError' ? 'timed out' : e.message) : String(e);
    }
    const attempts = d.attempts + 1;
    if (!error) {
      await db
        .updateTable('deliveries')
        .set({
          status: 'delivered',
          attempts,
          last_status_code: statusCode,
          last_error: null,
          delivered_at: nowIso(),
          claimed_until: null,
        })
        .where('id', '=', id)
        .execute();
      return;
    }
    const max = this.o.maxAttempts ?? 8;
    const giveUp = attempts >= max;
    await db
      .updateTable('deliveries')
      .set({
        status: giveUp ? 'failed' : 'pending',
        attempts,
        last_status_code: statusCode,
        last_error: error.slice(0, 500),
        next_attempt_at: giveUp
          ? null
          : nowIso(
              Date.now() + backoffMs(attempts, this.o.baseDelayMs ?? 5_000, this.o.maxDelayMs ?? 3_600_000),
            ),
        claimed_until: null,
      })
      .where('id', '=', id)
      .execute();
  }
}

export function newEventId(): string {
  return `evt_${randomUUID()}`;
}
