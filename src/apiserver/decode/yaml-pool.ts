// YAML bodies are decoded off the event loop, in one worker thread with its own heap and stack
// limits, one body at a time and each within a time budget: whatever a YAML document costs, the
// API server keeps answering (liveness included), and a body that exhausts the worker's memory or
// time is refused while the worker is replaced. JSON (also when sent as YAML) never comes here.
import { Worker } from 'node:worker_threads';
import { ApiError, errors, type StatusReason } from '../errors.ts';
import type { Decoded } from './json.ts';
import { DEFAULT_DECODE_LIMITS, MAX_BODY_BYTES, YAML_DECODE_TIMEOUT_MS, type DecodeLimits } from './limits.ts';

interface Job {
  id: number;
  text: string;
  limits: DecodeLimits;
  resolve(decoded: Decoded): void;
  reject(err: ApiError): void;
}

type Reply = { id: number; decoded?: Decoded; failure?: { code: number; reason: StatusReason; message: string } };

/** Bodies waiting to be decoded, in bytes; beyond this new ones get 429. */
const MAX_QUEUED_BYTES = 8 * MAX_BODY_BYTES;

export class YamlDecoder {
  private worker?: Worker;
  private readonly queue: Job[] = [];
  private queuedBytes = 0;
  private current?: { job: Job; timer: NodeJS.Timeout };
  private nextId = 1;
  private readonly timeoutMs: number;

  constructor(timeoutMs = YAML_DECODE_TIMEOUT_MS) {
    this.timeoutMs = timeoutMs;
  }

  decode(text: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<Decoded> {
    if (this.queuedBytes + text.length > MAX_QUEUED_BYTES) {
      return Promise.reject(errors.tooManyRequests('too many YAML bodies are waiting to be decoded; retry, or send JSON', 1));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, text, limits, resolve, reject });
      this.queuedBytes += text.length;
      this.next();
    });
  }

  /** Ends the worker (it never keeps the process alive on its own). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private next(): void {
    if (this.current) return;
    const job = this.queue.shift();
    if (!job) {
      this.worker?.unref();
      return;
    }
    this.queuedBytes -= job.text.length;
    const worker = this.ensureWorker();
    worker.ref();
    const timer = setTimeout(() => {
      this.fail(errors.tooLarge(`the YAML body took longer than ${this.timeoutMs / 1000}s to decode; send it as JSON`));
    }, this.timeoutMs);
    this.current = { job, timer };
    worker.postMessage({ id: job.id, text: job.text, limits: job.limits });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./yaml-worker.ts', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 64, stackSizeMb: 8 },
    });
    worker.on('message', (reply: Reply) => {
      const current = this.current;
      if (!current || current.job.id !== reply.id) return;
      clearTimeout(current.timer);
      this.current = undefined;
      if (reply.failure) current.job.reject(new ApiError(reply.failure.code, reply.failure.reason, reply.failure.message));
      else current.job.resolve(reply.decoded!);
      this.next();
    });
    // Out of memory (or any other death): the body being decoded is refused, the next gets a new worker.
    worker.on('error', (err) => {
      if (this.worker === worker) this.fail(errors.tooLarge(`the YAML body could not be decoded within the decoder's limits (${(err as Error).message}); send it as JSON`));
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.fail(errors.internal('the YAML decoder stopped; retry'));
    });
    this.worker = worker;
    return worker;
  }

  /** Refuses the body being decoded and replaces the worker, which may be stuck or broken. */
  private fail(err: ApiError): void {
    const current = this.current;
    const worker = this.worker;
    this.worker = undefined;
    this.current = undefined;
    void worker?.terminate();
    if (current) {
      clearTimeout(current.timer);
      current.job.reject(err);
    }
    this.next();
  }
}

/** The server's one YAML decoder. */
export const yamlDecoder = new YamlDecoder();
