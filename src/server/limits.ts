/**
 * Caps concurrent work per key (an Intacct company): Intacct is reported to allow about two concurrent
 * requests per company and to make a third wait, then fail with GW-0010, so we queue locally instead.
 */
export class KeyedSemaphore {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();
  /** Highest concurrency seen per key, for tests and the benchmark. */
  readonly peak = new Map<string, number>();

  constructor(readonly limit: number) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    await this.acquire(key);
    try {
      return await task();
    } finally {
      this.release(key);
    }
  }

  inFlight(key: string): number {
    return this.active.get(key) ?? 0;
  }

  private acquire(key: string): Promise<void> {
    const n = this.active.get(key) ?? 0;
    if (n < this.limit) {
      this.bump(key, n + 1);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const queue = this.waiting.get(key) ?? [];
      queue.push(() => resolve());
      this.waiting.set(key, queue);
    });
  }

  private bump(key: string, n: number): void {
    this.active.set(key, n);
    if (n > (this.peak.get(key) ?? 0)) this.peak.set(key, n);
  }

  private release(key: string): void {
    const queue = this.waiting.get(key);
    const next = queue?.shift();
    if (queue && queue.length === 0) this.waiting.delete(key);
    if (next) {
      // The slot passes straight to the next waiter; the count stays the same.
      next();
      return;
    }
    const n = (this.active.get(key) ?? 1) - 1;
    if (n <= 0) this.active.delete(key);
    else this.active.set(key, n);
  }
}

export interface RateDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

/**
 * Sliding-window counter per key, in memory. Guards credential submission against password guessing;
 * it lives per process, which is enough to slow a guesser down (a shared store would be needed for
 * a hard global cap across nodes).
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): RateDecision {
    const t = this.now();
    const since = t - this.windowMs;
    const list = (this.hits.get(key) ?? []).filter((x) => x > since);
    if (list.length >= this.max) {
      this.hits.set(key, list);
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((list[0]! + this.windowMs - t) / 1000)),
      };
    }
    list.push(t);
    this.hits.set(key, list);
    if (this.hits.size > 10_000) this.sweep(since);
    return { allowed: true, retryAfterSeconds: 0 };
  }

  private sweep(since: number): void {
    for (const [k, list] of this.hits) if (list.every((x) => x <= since)) this.hits.delete(k);
  }
}

/** Exponential backoff with a ceiling: base·2^(n-1), capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
