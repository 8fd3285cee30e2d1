// The in-memory watch cache: the current state of every object plus a window of recent events,
// kept in step with the backend's watch. It serves every LIST, GET and WATCH, so the backend only
// sees writes and the rare exact-revision read.
import type { KubeObject } from '../../api/meta.ts';
import { PreconditionFailed, RevisionCompacted, type StorageBackend, type StorageEvent, type StoredEntry } from './backend.ts';
import { IDENTITY, type ValueTransformer } from './encryption.ts';

export interface CacheEntry {
  key: string;
  object: KubeObject;
  /** JSON of `object`, serialised once and reused by every LIST and WATCH that sends it. */
  json: string;
  modRevision: number;
  createRevision: number;
}

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: CacheEventType;
  revision: number;
  /** For DELETED, the last state with resourceVersion set to the deletion's revision. */
  entry: CacheEntry;
  prev?: CacheEntry;
}

export type CacheListener = (event: CacheEvent) => void;

/** Thrown when a watch asks to start before the oldest event the cache still holds. */
export class WatchTooOld extends Error {
  readonly oldest: number;
  constructor(requested: number, oldest: number) {
    super(`too old resource version: ${requested} (${oldest})`);
    this.oldest = oldest;
  }
}

interface Subscription { prefix: string; listener: CacheListener }

/** How long a write refused because of a newer revision waits for the cache to show that revision. */
const CATCH_UP_MS = 5000;
const RELIST_RETRY_MAX_MS = 5000;

/** "/core/pods/default/web-0" → "/core/pods/" (the resource a key belongs to). */
export function resourcePrefixOf(key: string): string {
  const second = key.indexOf('/', 1);
  return key.slice(0, key.indexOf('/', second + 1) + 1);
}

/** Each cached object's JSON, so a response that sends the object as it is need not encode it again. */
const jsonOfObject = new WeakMap<KubeObject, string>();

/** The JSON the cache holds for `object` when it is one of the cache's own objects. */
export function cachedJson(object: KubeObject): string | undefined {
  return jsonOfObject.get(object);
}

function decodeJson(key: string, value: string, revision: number, createRevision: number): CacheEntry {
  const object = JSON.parse(value) as KubeObject;
  object.metadata.resourceVersion = String(revision);
  const json = JSON.stringify(object);
  jsonOfObject.set(object, json);
  return { key, object, json, modRevision: revision, createRevision };
}

export class WatchCache {
  private readonly backend: StorageBackend;
  private readonly byResource = new Map<string, Map<string, CacheEntry>>();
  private readonly sortedKeys = new Map<string, string[]>();
  private history: CacheEvent[] = [];
  private historyStart = 0;
  private readonly historyLimit: number;
  /** The revision the cache has caught up to; every event at or below it has been applied. */
  private revision = 0;
  /** Revision below which the cache has no events (the snapshot it started from, or the oldest evicted). */
  private oldestRevision = 0;
  private readonly subscriptions = new Set<Subscription>();
  private readonly revisionWaiters = new Map<number, (() => void)[]>();
  private stopWatch: (() => void) | undefined;
  private failure: Error | undefined;
  private stopped = false;

  private readonly transformer: ValueTransformer;

  constructor(backend: StorageBackend, opts: { historyLimit?: number; transformer?: ValueTransformer } = {}) {
    this.backend = backend;
    this.transformer = opts.transformer ?? IDENTITY;
    this.historyLimit = opts.historyLimit ?? 100_000;
  }

  async start(): Promise<void> {
    const { entries, revision } = await this.backend.listAll();
    for (const e of entries) this.put(this.decode(e.key, e.value, e.modRevision, e.createRevision));
    this.revision = this.oldestRevision = revision;
    this.follow(revision);
  }

  /** An object as stored: JSON without resourceVersion, encrypted where configured. */
  private encode(key: string, object: KubeObject): string {
    return this.transformer.toStorage(key, serialise(object));
  }

  /** A stored value as a cache entry. */
  private decode(key: string, value: string, revision: number, createRevision: number): CacheEntry {
    return decodeJson(key, this.transformer.fromStorage(key, value), revision, createRevision);
  }

  stop(): void {
    this.stopped = true;
    this.stopWatch?.();
    this.subscriptions.clear();
  }

  private follow(revision: number): void {
    this.stopWatch = this.backend.watch(revision, (events) => this.apply(events), (err) => {
      this.stopWatch = undefined;
      if (err instanceof RevisionCompacted) void this.relist();
      else this.failure = err;
    });
  }

  /**
   * The backend compacted history this cache had not seen yet (with etcd: this replica was cut off
   * while another compacted). Reads the whole state again and tells subscribers what changed, as
   * events at the new snapshot's revision. History restarts there, so a watch resuming from an
   * older revision gets 410 and its client relists.
   */
  private async relist(): Promise<void> {
    let snapshot: { entries: StoredEntry[]; revision: number } | undefined;
    for (let delayMs = 100; !snapshot; delayMs = Math.min(delayMs * 2, RELIST_RETRY_MAX_MS)) {
      if (this.stopped) return;
      try {
        snapshot = await this.backend.listAll();
      } catch (err) {
        this.failure = err as Error;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
    if (this.stopped) return;
    this.failure = undefined;
    const { entries, revision } = snapshot;
    const next = new Map(entries.map((e) => [e.key, this.decode(e.key, e.value, e.modRevision, e.createRevision)]));
    const changes: CacheEvent[] = [];
    for (const resource of this.byResource.values()) {
      for (const [key, old] of resource) {
        if (!next.has(key)) changes.push({ type: 'DELETED', revision, entry: decodeJson(key, old.json, revision, old.createRevision), prev: old });
      }
    }
    for (const [key, entry] of next) {
      const old = this.get(key);
      if (!old) changes.push({ type: 'ADDED', revision, entry });
      else if (old.modRevision !== entry.modRevision) changes.push({ type: 'MODIFIED', revision, entry, prev: old });
    }
    this.byResource.clear();
    this.sortedKeys.clear();
    for (const entry of next.values()) this.put(entry);
    this.history = [];
    this.historyStart = 0;
    this.revision = this.oldestRevision = revision;
    for (const event of changes) {
      for (const sub of this.subscriptions) {
        if (event.entry.key.startsWith(sub.prefix)) sub.listener(event);
      }
    }
    this.wakeWaitersUpTo(revision);
    this.follow(revision);
  }

  currentRevision(): number {
    return this.revision;
  }

  healthy(): Error | undefined {
    return this.failure;
  }

  get(key: string): CacheEntry | undefined {
    return this.byResource.get(resourcePrefixOf(key))?.get(key);
  }

  /** Entries under `keyPrefix` (which starts with a resource prefix), sorted by key. */
  list(keyPrefix: string): CacheEntry[] {
    const prefix = resourcePrefixOf(keyPrefix);
    const entries = this.byResource.get(prefix);
    if (!entries) return [];
    let keys = this.sortedKeys.get(prefix);
    if (!keys) {
      keys = [...entries.keys()].sort();
      this.sortedKeys.set(prefix, keys);
    }
    const out: CacheEntry[] = [];
    if (keyPrefix === prefix) {
      for (const k of keys) out.push(entries.get(k)!);
      return out;
    }
    let i = lowerBound(keys, keyPrefix);
    for (; i < keys.length && keys[i].startsWith(keyPrefix); i++) out.push(entries.get(keys[i])!);
    return out;
  }

  count(prefix: string): number {
    return this.byResource.get(prefix)?.size ?? 0;
  }

  /** Live entries as they were at an older revision, read from the backend (exact reads, paging). */
  async listAt(keyPrefix: string, revision: number): Promise<CacheEntry[]> {
    const rows: StoredEntry[] = await this.backend.listAt(keyPrefix, revision);
    return rows.map((r) => this.decode(r.key, r.value, r.modRevision, r.createRevision));
  }

  async create(key: string, object: KubeObject): Promise<CacheEntry> {
    const revision = await this.catchUpOnConflict(this.backend.create(key, this.encode(key, object)));
    return this.entryAt(key, revision);
  }

  async update(key: string, object: KubeObject, expectedRevision: number): Promise<CacheEntry> {
    const revision = await this.catchUpOnConflict(this.backend.update(key, this.encode(key, object), expectedRevision));
    return this.entryAt(key, revision);
  }

  async delete(key: string, expectedRevision: number): Promise<CacheEntry> {
    const revision = await this.catchUpOnConflict(this.backend.delete(key, expectedRevision));
    return this.entryAt(key, revision);
  }

  /**
   * A write refused because storage holds a newer revision of the key (written through another
   * API server sharing the storage) waits, briefly, until this cache shows that revision too, so
   * the caller's retry reads the object it conflicted with rather than the same stale copy.
   */
  private async catchUpOnConflict(write: Promise<number>): Promise<number> {
    try {
      return await write;
    } catch (err) {
      if (err instanceof PreconditionFailed && err.modRevision !== undefined && err.modRevision > this.revision) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.waitForRevision(err.modRevision),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, CATCH_UP_MS))),
        ]);
        clearTimeout(timer);
      }
      throw err;
    }
  }

  /**
   * Subscribes to events of one resource after `fromRevision`: replays what the cache holds, then
   * delivers live events. Throws WatchTooOld when events after fromRevision were already evicted.
   */
  watch(prefix: string, fromRevision: number, listener: CacheListener): () => void {
    if (fromRevision < this.oldestRevision) throw new WatchTooOld(fromRevision, this.oldestRevision);
    for (let i = this.historyIndexAfter(fromRevision); i < this.history.length; i++) {
      const event = this.history[i];
      if (event.entry.key.startsWith(prefix)) listener(event);
    }
    const sub: Subscription = { prefix, listener };
    this.subscriptions.add(sub);
    return () => this.subscriptions.delete(sub);
  }

  /** Resolves once every event up to `revision` has been applied. */
  waitForRevision(revision: number): Promise<void> {
    if (revision <= this.revision) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.revisionWaiters.get(revision);
      if (waiters) waiters.push(resolve);
      else this.revisionWaiters.set(revision, [resolve]);
    });
  }

  /** The entry a write produced. History holds it unless a burst larger than the history evicted it. */
  private async entryAt(key: string, revision: number): Promise<CacheEntry> {
    await this.waitForRevision(revision);
    const event = this.history[this.historyIndexAfter(revision - 1)];
    if (event?.revision === revision) return event.entry;
    const current = this.get(key);
    if (current?.modRevision === revision) return current;
    throw new Error(`the watch cache no longer holds revision ${revision} of ${key}; raise its history limit`);
  }

  private apply(events: StorageEvent[]): void {
    for (const e of events) {
      if (e.revision <= this.revision) continue;
      const prefix = resourcePrefixOf(e.key);
      const prev = this.byResource.get(prefix)?.get(e.key);
      let event: CacheEvent;
      if (e.type === 'put') {
        const entry = this.decode(e.key, e.value, e.revision, e.createRevision);
        this.put(entry);
        event = { type: prev ? 'MODIFIED' : 'ADDED', revision: e.revision, entry, prev };
      } else {
        const entry = this.decode(e.key, e.value, e.revision, e.createRevision);
        this.remove(e.key);
        event = { type: 'DELETED', revision: e.revision, entry, prev };
      }
      this.record(event);
      this.revision = e.revision;
      for (const sub of this.subscriptions) {
        if (e.key.startsWith(sub.prefix)) deliver(sub.listener, event);
      }
      const waiters = this.revisionWaiters.get(e.revision);
      if (waiters) {
        this.revisionWaiters.delete(e.revision);
        for (const w of waiters) w();
      }
    }
    // A waiter for a revision this backend skipped (another replica's write to a key we never saw) still wakes.
    this.wakeWaitersUpTo(this.revision);
  }

  private wakeWaitersUpTo(revision: number): void {
    for (const [rev, waiters] of this.revisionWaiters) {
      if (rev <= revision) {
        this.revisionWaiters.delete(rev);
        for (const w of waiters) w();
      }
    }
  }

  private record(event: CacheEvent): void {
    this.history.push(event);
    if (this.history.length - this.historyStart > this.historyLimit) {
      this.historyStart++;
      this.oldestRevision = this.history[this.historyStart - 1].revision;
      if (this.historyStart > this.historyLimit) {
        this.history = this.history.slice(this.historyStart);
        this.historyStart = 0;
      }
    }
  }

  /** Index of the first held event with revision > rev. */
  private historyIndexAfter(rev: number): number {
    let lo = this.historyStart;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.history[mid].revision <= rev) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private put(entry: CacheEntry): void {
    const prefix = resourcePrefixOf(entry.key);
    let entries = this.byResource.get(prefix);
    if (!entries) {
      entries = new Map();
      this.byResource.set(prefix, entries);
    }
    if (!entries.has(entry.key)) this.sortedKeys.delete(prefix);
    entries.set(entry.key, entry);
  }

  private remove(key: string): void {
    const prefix = resourcePrefixOf(key);
    if (this.byResource.get(prefix)?.delete(key)) this.sortedKeys.delete(prefix);
  }
}

/**
 * Hands an event to one subscriber. A subscriber that throws (a bug in one watcher or controller)
 * must not cost the others the event, nor leave the cache half-way through applying a batch.
 */
function deliver(listener: CacheListener, event: CacheEvent): void {
  try {
    listener(event);
  } catch (err) {
    process.emitWarning(`a watch cache subscriber failed on ${event.type} ${event.entry.key}: ${(err as Error)?.message ?? String(err)}`);
  }
}

function serialise(object: KubeObject): string {
  const { resourceVersion: _dropped, ...metadata } = object.metadata;
  return JSON.stringify({ ...object, metadata });
}

function lowerBound(sorted: string[], target: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
