// Storage on an etcd cluster, with the semantics of the SQLite backend: etcd's revision is the
// resourceVersion, writes are compare-and-swap transactions on a key's create or mod revision, and
// a watch streams every change under granary's key prefix in revision order. Several API servers
// may share one cluster: each one's watch sees the writes of all.
import { PreconditionFailed, RevisionCompacted, type StorageBackend, type StorageEvent, type StoredEntry } from './backend.ts';
import {
  EtcdClient, EtcdCompacted, prefixEnd,
  type EtcdTls, type KeyValue, type RequestOp, type WatchEvent, type WatchResponse, type WatchStream,
} from './etcd-client.ts';
import type { Logger } from '../../common/log.ts';

export interface EtcdBackendOptions {
  /** Client URLs of the cluster's members, e.g. http://127.0.0.1:2379. */
  endpoints: string[];
  /** Every key granary writes starts with this (default /registry), so one cluster can hold more than granary. */
  prefix?: string;
  tls?: EtcdTls;
  requestTimeoutMs?: number;
  log?: Logger;
}

/** Keys per range request when reading everything, so no single answer has to hold the whole store. */
const PAGE_SIZE = 1000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;

export class EtcdBackend implements StorageBackend {
  private readonly client: EtcdClient;
  private readonly prefix: string;
  /** Bytes of the prefix, cut from etcd's keys to give ours. */
  private readonly prefixBytes: number;
  private readonly log: Logger | undefined;
  private readonly watches = new Set<ResumableWatch>();
  private revision = 0;

  constructor(opts: EtcdBackendOptions) {
    this.prefix = (opts.prefix ?? '/registry').replace(/\/+$/, '');
    if (this.prefix !== '' && !this.prefix.startsWith('/')) throw new Error(`the etcd key prefix must start with "/", got ${JSON.stringify(opts.prefix)}`);
    this.prefixBytes = Buffer.byteLength(this.prefix);
    this.client = new EtcdClient({ endpoints: opts.endpoints, tls: opts.tls, requestTimeoutMs: opts.requestTimeoutMs, log: opts.log });
    this.log = opts.log;
  }

  currentRevision(): number {
    return this.revision;
  }

  async listAll(): Promise<{ entries: StoredEntry[]; revision: number }> {
    return this.rangeAll('/', 0);
  }

  async listAt(prefix: string, revision: number): Promise<StoredEntry[]> {
    return (await this.rangeAll(prefix, revision)).entries;
  }

  watch(afterRevision: number, onEvents: (events: StorageEvent[]) => void, onError: (err: Error) => void): () => void {
    const keys = this.etcdKey('/');
    const watch = new ResumableWatch(this.client, keys, prefixEnd(keys), this.prefixBytes, afterRevision, {
      onEvents: (events) => {
        this.observe(events[events.length - 1].revision);
        onEvents(events);
      },
      onError: (err) => {
        this.watches.delete(watch);
        onError(err);
      },
    }, this.log);
    this.watches.add(watch);
    return () => {
      watch.stop();
      this.watches.delete(watch);
    };
  }

  async create(key: string, value: string): Promise<number> {
    const k = this.etcdKey(key);
    const res = await this.client.txn({
      compare: [{ key: k, target: 'CREATE', result: 'EQUAL', create_revision: 0 }],
      success: [{ request_put: { key: k, value: Buffer.from(value) } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw new PreconditionFailed('exists', key, existing(res)?.mod_revision);
    return this.observe(res.header.revision);
  }

  update(key: string, value: string, expectedModRevision: number): Promise<number> {
    const k = this.etcdKey(key);
    return this.swap(key, expectedModRevision, { request_put: { key: k, value: Buffer.from(value) } });
  }

  delete(key: string, expectedModRevision: number): Promise<number> {
    return this.swap(key, expectedModRevision, { request_delete_range: { key: this.etcdKey(key) } });
  }

  /**
   * Compacts etcd's history up to `revision`. Every replica may do this: asking for a revision that
   * is already compacted (by another replica, or an earlier call) is success.
   */
  async compact(revision: number): Promise<void> {
    const target = Math.min(revision, this.revision);
    if (target <= 0) return;
    try {
      await this.client.compact(target);
    } catch (err) {
      if (!(err instanceof EtcdCompacted)) throw err;
    }
  }

  async close(): Promise<void> {
    for (const w of this.watches) w.stop();
    this.watches.clear();
    this.client.close();
  }

  /** An update or delete that applies only while the key still has `expectedModRevision`. */
  private async swap(key: string, expectedModRevision: number, op: RequestOp): Promise<number> {
    const k = this.etcdKey(key);
    const res = await this.client.txn({
      compare: [
        { key: k, target: 'CREATE', result: 'GREATER', create_revision: 0 },
        { key: k, target: 'MOD', result: 'EQUAL', mod_revision: expectedModRevision },
      ],
      success: [op],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) {
      const current = existing(res);
      throw current ? new PreconditionFailed('revision', key, current.mod_revision) : new PreconditionFailed('missing', key);
    }
    return this.observe(res.header.revision);
  }

  /** Every live key under `prefix` at `revision` (0: now), read in pages that all see the same revision. */
  private async rangeAll(prefix: string, revision: number): Promise<{ entries: StoredEntry[]; revision: number }> {
    const start = this.etcdKey(prefix);
    const end = prefixEnd(start);
    const entries: StoredEntry[] = [];
    let from = start;
    let at = revision;
    for (;;) {
      let page;
      try {
        page = await this.client.range({ key: from, range_end: end, revision: at, limit: PAGE_SIZE });
      } catch (err) {
        if (err instanceof EtcdCompacted) throw new RevisionCompacted(at, at);
        throw err;
      }
      this.observe(page.header.revision);
      if (at === 0) at = page.header.revision;
      for (const kv of page.kvs) entries.push(this.entry(kv));
      if (!page.more || page.kvs.length === 0) return { entries, revision: at };
      from = Buffer.concat([page.kvs[page.kvs.length - 1].key, Buffer.from([0])]);
    }
  }

  private entry(kv: KeyValue): StoredEntry {
    return {
      key: kv.key.toString('utf8', this.prefixBytes),
      value: kv.value.toString('utf8'),
      modRevision: kv.mod_revision,
      createRevision: kv.create_revision,
    };
  }

  private etcdKey(key: string): Buffer {
    return Buffer.from(this.prefix + key);
  }

  private observe(revision: number): number {
    if (revision > this.revision) this.revision = revision;
    return revision;
  }
}

/** The key as it is now, from a failed transaction's range. */
function existing(res: { responses: { response_range?: { kvs: KeyValue[] } | null }[] }): KeyValue | undefined {
  return res.responses[0]?.response_range?.kvs[0];
}

interface WatchHandlers {
  onEvents(events: StorageEvent[]): void;
  onError(err: Error): void;
}

/**
 * One etcd watch over a key range that survives lost connections and failed members: it reopens
 * (on the next endpoint) from the last revision it delivered, so no event is lost or repeated.
 * Only compaction past that revision ends it, as RevisionCompacted.
 */
class ResumableWatch {
  private readonly client: EtcdClient;
  private readonly start: Buffer;
  private readonly end: Buffer;
  private readonly prefixBytes: number;
  private readonly handlers: WatchHandlers;
  private readonly log: Logger | undefined;
  /** Every event up to this revision has been delivered. */
  private delivered: number;
  private stream: WatchStream | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  private stopped = false;

  constructor(client: EtcdClient, start: Buffer, end: Buffer, prefixBytes: number, afterRevision: number, handlers: WatchHandlers, log: Logger | undefined) {
    this.client = client;
    this.start = start;
    this.end = end;
    this.prefixBytes = prefixBytes;
    this.delivered = afterRevision;
    this.handlers = handlers;
    this.log = log;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stream?.cancel();
  }

  private open(): void {
    // Starting at the delivered revision itself (not the one after) makes etcd report compaction
    // exactly when an event we still need is gone; the repeated event is skipped below.
    this.stream = this.client.watch(
      { key: this.start, range_end: this.end, start_revision: Math.max(this.delivered, 1), prev_kv: true },
      (res) => this.receive(res),
      (err) => this.reopenLater(err),
    );
  }

  private receive(res: WatchResponse): void {
    if (res.canceled) {
      this.stream?.cancel();
      if (res.compact_revision > 0) return this.fail(new RevisionCompacted(this.delivered, res.compact_revision));
      return this.reopenLater(new Error(`etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`));
    }
    if (res.created) this.retryMs = RETRY_MIN_MS;
    const events: StorageEvent[] = [];
    for (const e of res.events) {
      if (e.kv.mod_revision <= this.delivered) continue;
      const event = this.toStorageEvent(e);
      if (!event) {
        return this.fail(new Error(`etcd sent the deletion of ${e.kv.key.toString()} at revision ${e.kv.mod_revision} without its last value; the watch cannot continue`));
      }
      events.push(event);
    }
    if (events.length === 0) return;
    this.delivered = events[events.length - 1].revision;
    try {
      this.handlers.onEvents(events);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private toStorageEvent(e: WatchEvent): StorageEvent | undefined {
    const key = e.kv.key.toString('utf8', this.prefixBytes);
    const prev = e.prev_kv ? e.prev_kv.value.toString('utf8') : undefined;
    if (e.type === 'PUT') {
      const event: StorageEvent = { type: 'put', key, value: e.kv.value.toString('utf8'), revision: e.kv.mod_revision, createRevision: e.kv.create_revision };
      if (prev !== undefined) event.prevValue = prev;
      return event;
    }
    // A deletion carries only the key; the object it removed comes from prev_kv.
    if (!e.prev_kv || prev === undefined) return undefined;
    return { type: 'delete', key, value: prev, prevValue: prev, revision: e.kv.mod_revision, createRevision: e.prev_kv.create_revision };
  }

  private reopenLater(err: Error): void {
    if (this.stopped) return;
    this.stream = undefined;
    this.log?.warn({ err: err.message, resumeAfter: this.delivered, retryMs: this.retryMs }, 'etcd watch interrupted; resuming');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) this.open();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private fail(err: Error): void {
    if (this.stopped) return;
    this.stop();
    this.handlers.onError(err);
  }
}
