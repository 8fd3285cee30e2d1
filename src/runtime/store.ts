// The reflector's local store: the latest state of every watched object, with indexes by
// namespace, by label and by owner, and any a caller adds (addIndex), fed by a watcher's events.
import type { KubeObject } from '../api/meta.ts';
import type { WatcherEvent } from './watcher.ts';

export interface ObjectRef { namespace?: string; name: string }

export function refKey(ref: ObjectRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

/** The reference a refKey stands for. */
export function parseRefKey(key: string): ObjectRef {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export function keyOf(obj: KubeObject): string {
  return refKey({ namespace: obj.metadata.namespace, name: obj.metadata.name! });
}

/** index value → keys of the objects that have it */
class Index {
  private readonly entries = new Map<string, Set<string>>();
  add(values: string[], key: string): void {
    for (const v of values) {
      let set = this.entries.get(v);
      if (!set) this.entries.set(v, (set = new Set()));
      set.add(key);
    }
  }
  remove(values: string[], key: string): void {
    for (const v of values) {
      const set = this.entries.get(v);
      set?.delete(key);
      if (set?.size === 0) this.entries.delete(v);
    }
  }
  keys(value: string): Set<string> {
    return this.entries.get(value) ?? new Set();
  }
  clear(): void {
    this.entries.clear();
  }
}

/** What readers of a store may do: look objects up, by key or through an index. */
export interface ReadStore<T extends KubeObject> {
  /** Resolves after the first complete list. */
  readonly ready: Promise<void>;
  get(ref: ObjectRef): T | undefined;
  list(): T[];
  byNamespace(namespace: string): T[];
  /** Objects carrying every given label (and in `namespace`, when given). */
  byLabels(labels: Record<string, string>, namespace?: string): T[];
  /** Objects with an ownerReference to `ownerUid`. */
  byOwner(ownerUid: string): T[];
  /** Objects for which the index `index` (see addIndex) gave `value`. */
  byIndex(index: string, value: string): T[];
  /**
   * Adds an index: `values` says under which values an object is found. Adding an index of a
   * name that exists keeps the first (every user of a shared store means the same by a name).
   */
  addIndex(index: string, values: (obj: T) => string[]): void;
  readonly size: number;
}

const namespaceOf = (o: KubeObject) => [o.metadata.namespace ?? ''];
const labelsOf = (o: KubeObject) => Object.entries(o.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`);
const ownersOf = (o: KubeObject) => (o.metadata.ownerReferences ?? []).map((r) => r.uid);

export class Store<T extends KubeObject> implements ReadStore<T> {
  private objects = new Map<string, T>();
  private relisting?: Map<string, T>;
  private readonly byNs = new Index();
  private readonly byLabel = new Index();
  private readonly byOwnerUid = new Index();
  private readonly custom = new Map<string, { values: (obj: T) => string[]; index: Index }>();
  private readyResolve!: () => void;
  private isReady = false;
  /** Resolves after the first complete list. */
  readonly ready: Promise<void> = new Promise((resolve) => (this.readyResolve = resolve));

  /** True once the first complete list arrived: an object missing now does not exist. */
  get synced(): boolean {
    return this.isReady;
  }

  /** Applies one watcher event; returns the objects a relist found gone (deleted while unwatched). */
  apply(event: WatcherEvent<T>): T[] {
    switch (event.type) {
      case 'Init':
        this.relisting = new Map();
        return [];
      case 'InitApply':
        if (this.relisting) this.relisting.set(keyOf(event.object), event.object);
        else this.put(event.object);
        return [];
      case 'InitDone': {
        const next = this.relisting ?? this.objects;
        this.relisting = undefined;
        const vanished = [...this.objects.entries()].filter(([k]) => !next.has(k)).map(([, v]) => v);
        if (next !== this.objects) {
          this.objects = new Map();
          this.byNs.clear();
          this.byLabel.clear();
          this.byOwnerUid.clear();
          for (const { index } of this.custom.values()) index.clear();
          for (const obj of next.values()) this.put(obj);
        }
        if (!this.isReady) {
          this.isReady = true;
          this.readyResolve();
        }
        return vanished;
      }
      case 'Apply':
        this.put(event.object);
        return [];
      case 'Delete':
        this.remove(keyOf(event.object));
        return [];
    }
  }

  get(ref: ObjectRef): T | undefined {
    return this.objects.get(refKey(ref));
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  byNamespace(namespace: string): T[] {
    return this.resolve(this.byNs.keys(namespace));
  }

  /** Objects carrying every given label (and in `namespace`, when given). */
  byLabels(labels: Record<string, string>, namespace?: string): T[] {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    if (pairs.length === 0) return namespace === undefined ? this.list() : this.byNamespace(namespace);
    const sets = pairs.map((p) => this.byLabel.keys(p)).sort((a, b) => a.size - b.size);
    const result: T[] = [];
    for (const key of sets[0]) {
      if (!sets.every((s) => s.has(key))) continue;
      const obj = this.objects.get(key)!;
      if (namespace === undefined || obj.metadata.namespace === namespace) result.push(obj);
    }
    return result;
  }

  /** Objects with an ownerReference to `ownerUid`. */
  byOwner(ownerUid: string): T[] {
    return this.resolve(this.byOwnerUid.keys(ownerUid));
  }

  byIndex(index: string, value: string): T[] {
    const custom = this.custom.get(index);
    if (!custom) throw new Error(`the store has no index "${index}"`);
    return this.resolve(custom.index.keys(value));
  }

  addIndex(index: string, values: (obj: T) => string[]): void {
    if (this.custom.has(index)) return;
    const custom = { values, index: new Index() };
    for (const [key, obj] of this.objects) custom.index.add(values(obj), key);
    this.custom.set(index, custom);
  }

  get size(): number {
    return this.objects.size;
  }

  private resolve(keys: Set<string>): T[] {
    return [...keys].map((k) => this.objects.get(k)!);
  }

  private put(obj: T): void {
    const key = keyOf(obj);
    this.remove(key);
    this.objects.set(key, obj);
    this.byNs.add(namespaceOf(obj), key);
    this.byLabel.add(labelsOf(obj), key);
    this.byOwnerUid.add(ownersOf(obj), key);
    for (const { values, index } of this.custom.values()) index.add(values(obj), key);
  }

  private remove(key: string): void {
    const old = this.objects.get(key);
    if (!old) return;
    this.objects.delete(key);
    this.byNs.remove(namespaceOf(old), key);
    this.byLabel.remove(labelsOf(old), key);
    this.byOwnerUid.remove(ownersOf(old), key);
    for (const { values, index } of this.custom.values()) index.remove(values(old), key);
  }
}
