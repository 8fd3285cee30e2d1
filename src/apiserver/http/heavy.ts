// Large writes share the event loop fairly. The work on a body or object grows with its size
// (decoding, pruning, validation, patching, managed fields, serialisation), and all of it is
// synchronous: several large writes at once would run back to back, and a health check or a small
// write arriving meanwhile would wait for all of them. So a write that involves more than
// HEAVY_BYTES (its body, or the object it changes) waits for any other such write to finish, and
// pauses between its stages to let everything else through. A bounded number may wait (429 beyond).
import { errors } from '../errors.ts';

/** Bodies or stored objects larger than this (as JSON) make a write heavy. */
export const HEAVY_BYTES = 64 * 1024;
const MAX_WAITING = 32;

/**
 * Lets the event loop serve what arrived meanwhile (I/O, other requests) before going on. Twice
 * setImmediate: from an I/O callback, one immediate still runs before the loop next polls for I/O;
 * the second runs after that poll, so requests that arrived are served in between.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

export class HeavyWrites {
  private busy = false;
  private readonly waiting: (() => void)[] = [];

  /**
   * Runs `work`, one heavy write at a time when `bytes` makes it heavy; `pause` (to await between
   * stages) yields to the event loop for heavy writes and does nothing for others.
   */
  async run<T>(bytes: number, work: (pause: (() => Promise<void>) | undefined) => Promise<T>): Promise<T> {
    if (bytes <= HEAVY_BYTES) return work(undefined);
    if (this.busy) {
      if (this.waiting.length >= MAX_WAITING) throw errors.tooManyRequests('too many large writes are waiting; retry later', 1);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.busy = true;
    try {
      await yieldToEventLoop();
      return await work(yieldToEventLoop);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.busy = false;
    }
  }
}
