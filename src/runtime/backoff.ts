// Per-key exponential backoff for retrying failed work (a reconcile that threw, say).
// Each failure of a key doubles its delay, from `baseMs` up to `maxMs`; a success resets it.
// Jitter spreads retries of many keys that failed together, so they do not all hit the API
// server in the same instant.

export interface BackoffOptions {
  /** Delay after the first failure. */
  baseMs: number;
  /** No delay is ever longer than this. */
  maxMs: number;
  /**
   * Fraction (0..1) of each delay that is random: a delay `d` becomes a value in
   * `[d * (1 - jitter), d]`. Jitter only shortens, so `maxMs` stays a hard cap.
   */
  jitter: number;
  /** Source of randomness in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

export class Backoff {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private readonly failureCounts = new Map<string, number>();

  constructor(opts: BackoffOptions) {
    if (!(opts.baseMs > 0)) throw new RangeError(`backoff baseMs must be positive, got ${opts.baseMs}`);
    if (!(opts.maxMs >= opts.baseMs)) throw new RangeError(`backoff maxMs (${opts.maxMs}) must be at least baseMs (${opts.baseMs})`);
    if (!(opts.jitter >= 0 && opts.jitter <= 1)) throw new RangeError(`backoff jitter must be between 0 and 1, got ${opts.jitter}`);
    this.baseMs = opts.baseMs;
    this.maxMs = opts.maxMs;
    this.jitter = opts.jitter;
    this.random = opts.random ?? Math.random;
  }

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  next(key: string): number {
    const failures = this.failureCounts.get(key) ?? 0;
    this.failureCounts.set(key, failures + 1);
    // Doubling past ~2^52 only produces Infinity; the cap is reached long before that.
    const exponential = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(failures, 52));
    return Math.round(exponential * (1 - this.jitter * this.random()));
  }

  /** Forgets `key`'s failures (call on success): its next failure waits `baseMs` again. */
  reset(key: string): void {
    this.failureCounts.delete(key);
  }

  /** How many times `next` was called for `key` since its last reset. */
  failures(key: string): number {
    return this.failureCounts.get(key) ?? 0;
  }
}
