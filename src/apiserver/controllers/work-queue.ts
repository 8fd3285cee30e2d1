// A small keyed work loop for the API server's own controllers: one key processed at a time,
// duplicates folded while queued, failures retried with backoff, explicit requeue after a delay.
// (Operators use the runtime's controller; the API server may not depend on it.)

export type Outcome = { requeueAfterMs?: number } | void;

export class KeyedLoop {
  private readonly queue = new Set<string>();
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private running = false;
  private stopped = false;
  private readonly handler: (key: string) => Promise<Outcome>;
  private readonly onError: (key: string, err: unknown) => void;
  private idleWaiters: (() => void)[] = [];

  constructor(handler: (key: string) => Promise<Outcome>, onError: (key: string, err: unknown) => void) {
    this.handler = handler;
    this.onError = onError;
  }

  add(key: string): void {
    if (this.stopped) return;
    const timer = this.delayed.get(key);
    if (timer) {
      clearTimeout(timer);
      this.delayed.delete(key);
    }
    this.queue.add(key);
    if (!this.running) void this.drain();
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped || this.delayed.has(key) || this.queue.has(key)) return;
    this.delayed.set(key, setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms));
  }

  /** Resolves when nothing is queued or running (delayed retries do not count). */
  idle(): Promise<void> {
    if (!this.running && this.queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.queue.clear();
    for (const t of this.delayed.values()) clearTimeout(t);
    this.delayed.clear();
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.size > 0 && !this.stopped) {
      const key = this.queue.values().next().value as string;
      this.queue.delete(key);
      try {
        const outcome = await this.handler(key);
        this.failures.delete(key);
        if (outcome?.requeueAfterMs !== undefined) this.addAfter(key, outcome.requeueAfterMs);
      } catch (err) {
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        this.onError(key, err);
        this.addAfter(key, Math.min(30_000, 100 * 2 ** Math.min(n, 9)));
      }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
