/** A FIFO counting semaphore: at most `limit` holders at a time. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** Highest number of simultaneous holders seen (tests and diagnostics). */
  maxActive = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`concurrency must be an integer >= 1 (got ${limit})`);
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next) next();
      else this.active--;
    };
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

const registry = new Map<string, Semaphore>();

/** One semaphore per company (and limit) for the whole process, shared by every client instance. */
export function companySemaphore(key: string, limit: number): Semaphore {
  const k = `${key.toLowerCase()}\u0000${limit}`;
  let s = registry.get(k);
  if (!s) {
    s = new Semaphore(limit);
    registry.set(k, s);
  }
  return s;
}
