// Garbage collection by ownerReferences, as Kubernetes does it:
// - Background: an object whose owners are all gone is deleted.
// - Foreground: an owner marked with the foregroundDeletion finalizer first has its dependents
//   deleted (in the foreground too), and loses the finalizer once none is left.
// - Orphan: an owner with the orphan finalizer has its dependents' references to it removed,
//   then loses the finalizer.
import type { KubeObject, OwnerReference } from '../../api/meta.ts';
import { ApiError } from '../errors.ts';
import type { Registry } from '../registry/registry.ts';
import type { CacheEvent } from '../storage/cache.ts';
import type { Logger } from '../../common/log.ts';
import { KeyedLoop } from './work-queue.ts';

const RECHECK_MS = 500;

export class GarbageCollector {
  private readonly registry: Registry;
  private readonly loop: KeyedLoop;
  /** uid → key of every stored object, to tell whether an owner still exists. */
  private readonly keyByUid = new Map<string, string>();
  /** owner uid → keys of objects that name it as an owner. */
  private readonly dependents = new Map<string, Set<string>>();
  private stopWatch?: () => void;

  constructor(registry: Registry, log: Logger) {
    this.registry = registry;
    this.loop = new KeyedLoop((key) => this.sync(key), (key, err) => log.warn({ key, err: String(err) }, 'garbage collection failed; retrying'));
  }

  start(): void {
    const cache = this.registry.cache;
    for (const def of this.registry.storedResources()) {
      for (const entry of this.registry.storeFor(def).listForWatch(undefined)) this.index(entry.key, entry.object);
    }
    for (const key of this.keyByUid.values()) this.loop.add(key);
    this.stopWatch = cache.watch('/', cache.currentRevision(), (event) => this.onEvent(event));
  }

  stop(): void {
    this.stopWatch?.();
    this.loop.stop();
  }

  /** Resolves when no work is queued (for tests and orderly shutdown). */
  idle(): Promise<void> {
    return this.loop.idle();
  }

  private onEvent(event: CacheEvent): void {
    const { key, object } = event.entry;
    if (event.prev) this.unindex(key, event.prev.object);
    if (event.type === 'DELETED') {
      this.keyByUid.delete(object.metadata.uid!);
      for (const dependent of this.dependents.get(object.metadata.uid!) ?? []) this.loop.add(dependent);
      return;
    }
    this.index(key, object);
    if (object.metadata.ownerReferences?.length || object.metadata.deletionTimestamp) this.loop.add(key);
    // An owner waiting in the foreground is rechecked whenever one of its dependents changes.
    for (const ref of object.metadata.ownerReferences ?? []) {
      const ownerKey = this.keyByUid.get(ref.uid);
      if (ownerKey) this.loop.add(ownerKey);
    }
  }

  private index(key: string, obj: KubeObject): void {
    this.keyByUid.set(obj.metadata.uid!, key);
    for (const ref of obj.metadata.ownerReferences ?? []) {
      let set = this.dependents.get(ref.uid);
      if (!set) this.dependents.set(ref.uid, (set = new Set()));
      set.add(key);
    }
  }

  private unindex(key: string, obj: KubeObject): void {
    for (const ref of obj.metadata.ownerReferences ?? []) {
      const set = this.dependents.get(ref.uid);
      set?.delete(key);
      if (set?.size === 0) this.dependents.delete(ref.uid);
    }
  }

  private ownerExists(dependentKey: string, dependent: KubeObject, ref: OwnerReference): boolean {
    const ownerKey = this.keyByUid.get(ref.uid);
    if (!ownerKey) return false;
    // A namespaced dependent's owner must live in the same namespace (or be cluster-scoped).
    const owner = this.registry.cache.get(ownerKey)?.object;
    return owner !== undefined && (owner.metadata.namespace === undefined || owner.metadata.namespace === dependent.metadata.namespace || dependentKey === ownerKey);
  }

  private async sync(key: string) {
    const entry = this.registry.cache.get(key);
    if (!entry) return;
    const obj = entry.object;
    const store = this.registry.storeForKey(key);
    if (!store) return;
    const { namespace, name } = obj.metadata;
    const finalizers = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && finalizers.includes('orphan')) {
      await this.orphanDependents(obj);
      await this.removeFinalizer(key, 'orphan');
      return;
    }
    if (obj.metadata.deletionTimestamp && finalizers.includes('foregroundDeletion')) {
      const waiting = await this.deleteDependents(obj);
      if (waiting > 0) return { requeueAfterMs: RECHECK_MS };
      await this.removeFinalizer(key, 'foregroundDeletion');
      return;
    }
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0 || obj.metadata.deletionTimestamp) return;
    if (refs.some((ref) => this.ownerExists(key, obj, ref))) return;
    // Every owner is gone. If an owner is being deleted in the foreground, the dependent goes in the foreground too.
    try {
      await store.delete(namespace, name!, { preconditions: { uid: obj.metadata.uid }, propagationPolicy: 'Background' }, { warnings: [] });
    } catch (err) {
      if (!(err instanceof ApiError && (err.reason === 'NotFound' || err.reason === 'Conflict'))) throw err;
    }
  }

  /** Deletes an owner's dependents; returns how many still exist. */
  private async deleteDependents(owner: KubeObject): Promise<number> {
    let waiting = 0;
    for (const depKey of [...(this.dependents.get(owner.metadata.uid!) ?? [])]) {
      const dep = this.registry.cache.get(depKey)?.object;
      const store = this.registry.storeForKey(depKey);
      if (!dep || !store) continue;
      const ref = dep.metadata.ownerReferences?.find((r) => r.uid === owner.metadata.uid);
      if (ref?.blockOwnerDeletion) waiting++;
      if (dep.metadata.deletionTimestamp) continue;
      try {
        await store.delete(dep.metadata.namespace, dep.metadata.name!, { propagationPolicy: 'Foreground', preconditions: { uid: dep.metadata.uid } }, { warnings: [] });
      } catch (err) {
        if (!(err instanceof ApiError && (err.reason === 'NotFound' || err.reason === 'Conflict'))) throw err;
      }
    }
    return waiting;
  }

  private async orphanDependents(owner: KubeObject): Promise<void> {
    for (const depKey of [...(this.dependents.get(owner.metadata.uid!) ?? [])]) {
      await this.mutate(depKey, (dep) => {
        dep.metadata.ownerReferences = (dep.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
        if (dep.metadata.ownerReferences.length === 0) delete dep.metadata.ownerReferences;
      });
    }
  }

  private removeFinalizer(key: string, finalizer: string): Promise<void> {
    return this.mutate(key, (obj) => {
      obj.metadata.finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    });
  }

  /** Read-modify-write of the latest version, retried on conflict. */
  private async mutate(key: string, change: (obj: KubeObject) => void): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const entry = this.registry.cache.get(key);
      const store = this.registry.storeForKey(key);
      if (!entry || !store) return;
      const next = structuredClone(entry.object);
      change(next);
      try {
        await store.update(next.metadata.namespace, next.metadata.name!, next, { warnings: [], fieldManager: 'garbage-collector' });
        return;
      } catch (err) {
        if (err instanceof ApiError && err.reason === 'NotFound') return;
        if (!(err instanceof ApiError && err.reason === 'Conflict')) throw err;
      }
    }
    throw new Error(`could not update ${key}: it kept changing`);
  }
}
