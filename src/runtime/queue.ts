// The work queue behind every controller: keys, not objects. A key queued twice is processed once;
// a key is never processed by two workers at once (a change during processing queues it again);
// at most `concurrency` keys run together; delayed adds and per-key backoff.
import { Backoff } from './backoff.ts';
import { runtimeMetrics } from './metrics.ts';

export interface QueueOptions {
  name: string;
  concurrency: number;
  backoff?: Backoff;
}

export class WorkQueue {
  private readonly name: string;
  private readonly concurrency: number;
  readonly backoff: Backoff;
  /** Keys ready to run, in arrival order, with when they were queued. */
  private readonly ready = new Map<string, number>();
  private readonly processing = new Set<string>();
  /** Keys that changed while being processed: queued again when their run ends. */
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private waiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(opts: QueueOptions) {
    this.name = opts.name;
    this.concurrency = opts.concurrency;
    this.backoff = opts.backoff ?? new Backoff({ baseMs: 5, maxMs: 300_000, jitter: 0.1 });
    // Series exist from the start, as controller-runtime's do, so a scrape sees an idle queue as 0.
    runtimeMetrics.queueDepth.set({ name: this.name }, 0);
    runtimeMetrics.queueAdds.inc({ name: this.name }, 0);
    runtimeMetrics.queueRetries.inc({ name: this.name }, 0);
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    runtimeMetrics.queueAdds.inc({ name: this.name });
    const delayed = this.delayed.get(key);
    if (delayed) {
      clearTimeout(delayed.timer);
      this.delayed.delete(key);
    }
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (!this.ready.has(key)) this.ready.set(key, performance.now());
    this.updateDepth();
    this.wake();
  }

  /** Queues `key` after `ms`, unless it is queued sooner; an earlier pending delay wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, timer });
  }

  /** Queues `key` after its next backoff interval (each call without a `forget` grows it). */
  addRateLimited(key: string): void {
    runtimeMetrics.queueRetries.inc({ name: this.name });
    this.addAfter(key, this.backoff.next(key));
  }

  forget(key: string): void {
    this.backoff.reset(key);
  }

  /** Waits for a key that may be processed now; undefined once shut down. */
  async next(): Promise<string | undefined> {
    for (;;) {
      if (this.shuttingDown) return undefined;
      if (this.processing.size < this.concurrency) {
        const first = this.ready.entries().next();
        if (!first.done) {
          const [key, queuedAt] = first.value;
          this.ready.delete(key);
          this.processing.add(key);
          runtimeMetrics.queueLatency.observe({ name: this.name }, (performance.now() - queuedAt) / 1000);
          this.updateDepth();
          return key;
        }
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Marks a key's run finished; if it changed meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
    this.wake();
  }

  shutdown(): void {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) clearTimeout(d.timer);
    this.delayed.clear();
    this.ready.clear();
    this.wake();
  }

  get depth(): number {
    return this.ready.size;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private updateDepth(): void {
    runtimeMetrics.queueDepth.set({ name: this.name }, this.ready.size);
  }
}
