// The shared informer cache: one watch per kind per process, shared by every controller in it,
// as a controller-runtime Manager's cache or a kube-rs shared reflector. Each kind has one
// Informer: a watcher feeding one indexed Store and telling every subscriber each change. A
// subscriber's label selector filters locally (a StoreView); namespace and field selector are
// part of the watch itself, so subscribers asking for a different one get an informer of their
// own (a field selector cannot be evaluated locally, and a namespaced operator may lack the rights
// to watch the whole cluster).
//
// Guarantees:
// - One watch per (apiVersion, kind, namespace, fieldSelector) for the cache's life, started when
//   the first informer for it is asked for (after `start`) and stopped when the cache's signal aborts.
// - A subscriber sees a complete list before any change: one that joins a running informer is
//   replayed Init, an InitApply per object the store holds (or, mid-list, listed so far) and
//   InitDone, then the live events, in order.
// - The store is updated before subscribers are told, so a subscriber reading the store sees
//   the change it is told about.
import type { KubeObject } from '../api/meta.ts';
import { matchesLabels, parseLabelSelector, type LabelRequirement } from '../api/selectors.ts';
import type { KubeClient } from '../client/client.ts';
import type { Logger } from '../common/log.ts';
import { Store, type ObjectRef, type ReadStore } from './store.ts';
import { watcher, type ListWatch, type WatcherEvent, type WatcherOptions } from './watcher.ts';

/** Where informers list and watch: the client's resource API, or an in-memory one in tests. */
export type ListWatchSource = (apiVersion: string, kind: string) => ListWatch<KubeObject>;

/** Informers of a client's cluster. */
export function clientSource(client: KubeClient): ListWatchSource {
  return (apiVersion, kind) => client.resource(apiVersion, kind);
}

/** The watcher settings of every informer of a cache. */
export type WatcherTuning = Pick<WatcherOptions, 'silenceTimeoutMs' | 'serverTimeoutSeconds' | 'onRestart' | 'pageSize'>;

/** One change as a subscriber sees it: the watcher's event, the object before it, and what a relist found gone. */
export interface InformerEvent<T> {
  event: WatcherEvent<T>;
  /** For Apply and Delete: the object as the store had it before. */
  previous?: T;
  /** For InitDone: objects the (re)list found gone since the last list. */
  vanished: T[];
}

export type InformerListener<T> = (change: InformerEvent<T>) => void;

export interface InformerKey {
  apiVersion: string;
  kind: string;
  namespace?: string;
  fieldSelector?: string;
}

/** One kind's watch and store, shared by every subscriber. */
export class Informer<T extends KubeObject> {
  readonly key: Readonly<InformerKey>;
  readonly store = new Store<T>();
  private readonly listeners = new Set<InformerListener<T>>();
  /** Objects of the list under way (between Init and InitDone), for subscribers joining mid-list. */
  private listing?: T[];
  private started = false;

  constructor(key: InformerKey) {
    this.key = key;
  }

  /** Tells `listener` every change from now on, after a replay of what the store holds. Returns the unsubscribe. */
  subscribe(listener: InformerListener<T>): () => void {
    if (this.listing) {
      listener({ event: { type: 'Init' }, vanished: [] });
      for (const object of this.listing) listener({ event: { type: 'InitApply', object }, vanished: [] });
    } else if (this.store.synced) {
      listener({ event: { type: 'Init' }, vanished: [] });
      for (const object of this.store.list()) listener({ event: { type: 'InitApply', object }, vanished: [] });
      listener({ event: { type: 'InitDone' }, vanished: [] });
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies one event to the store and tells the subscribers. */
  dispatch(event: WatcherEvent<T>): void {
    const previous = event.type === 'Apply' || event.type === 'Delete' ? this.store.get(refOf(event.object)) : undefined;
    if (event.type === 'Init') this.listing = [];
    if (event.type === 'InitApply') this.listing?.push(event.object);
    if (event.type === 'InitDone') this.listing = undefined;
    const vanished = this.store.apply(event);
    for (const listener of [...this.listeners]) listener({ event, previous, vanished });
  }

  /** Runs the watch until `signal` aborts (once; later calls return at once). */
  async run(events: (signal: AbortSignal) => AsyncIterable<WatcherEvent<T>>, signal: AbortSignal): Promise<void> {
    if (this.started) return;
    this.started = true;
    for await (const event of events(signal)) this.dispatch(event);
  }
}

/**
 * A read-only view of a store holding only the objects that match a label selector (all of them
 * without one). A controller's store and storeOf(...) are views of the shared informers' stores.
 */
export class StoreView<T extends KubeObject> implements ReadStore<T> {
  private readonly store: ReadStore<T>;
  private readonly selector?: readonly LabelRequirement[];

  constructor(store: ReadStore<T>, labelSelector?: string) {
    this.store = store;
    this.selector = labelSelector ? parseLabelSelector(labelSelector) : undefined;
  }

  get ready(): Promise<void> {
    return this.store.ready;
  }

  /** Whether `obj` is one this view shows. */
  matches(obj: T | undefined): obj is T {
    return obj !== undefined && (this.selector === undefined || matchesLabels(this.selector, obj.metadata.labels));
  }

  get(ref: ObjectRef): T | undefined {
    const obj = this.store.get(ref);
    return this.matches(obj) ? obj : undefined;
  }

  list(): T[] {
    return this.filter(this.store.list());
  }

  byNamespace(namespace: string): T[] {
    return this.filter(this.store.byNamespace(namespace));
  }

  byLabels(labels: Record<string, string>, namespace?: string): T[] {
    return this.filter(this.store.byLabels(labels, namespace));
  }

  byOwner(ownerUid: string): T[] {
    return this.filter(this.store.byOwner(ownerUid));
  }

  byIndex(index: string, value: string): T[] {
    return this.filter(this.store.byIndex(index, value));
  }

  addIndex(index: string, values: (obj: T) => string[]): void {
    this.store.addIndex(index, values);
  }

  get size(): number {
    return this.selector === undefined ? this.store.size : this.list().length;
  }

  private filter(objects: T[]): T[] {
    return this.selector === undefined ? objects : objects.filter((o) => this.matches(o));
  }
}

export interface SharedCacheOptions {
  watcher?: WatcherTuning;
  log?: Logger;
}

/**
 * The informers of one process. Create it once, `start` it with the process's signal, and hand
 * it to every controller (ControllerOptions.cache); or let a controller make a private one.
 */
export class SharedCache {
  private readonly source: ListWatchSource;
  private readonly opts: SharedCacheOptions;
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private signal?: AbortSignal;
  private readonly running: Promise<void>[] = [];

  constructor(source: ListWatchSource, opts: SharedCacheOptions = {}) {
    this.source = source;
    this.opts = opts;
  }

  /** Starts every informer asked for so far, and each one asked for later, until `signal` aborts. */
  start(signal: AbortSignal): void {
    if (this.signal) return;
    this.signal = signal;
    for (const informer of this.informers.values()) this.run(informer);
  }

  /** Resolves once every informer's watch has ended (after the signal aborted). */
  async stopped(): Promise<void> {
    await Promise.allSettled(this.running);
  }

  /** The informer of a kind (created, and started when the cache runs, on first use). */
  informer<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, opts: { namespace?: string; fieldSelector?: string } = {}): Informer<T> {
    const key: InformerKey = { apiVersion, kind, namespace: opts.namespace || undefined, fieldSelector: opts.fieldSelector || undefined };
    const id = JSON.stringify([key.apiVersion, key.kind, key.namespace ?? '', key.fieldSelector ?? '']);
    let informer = this.informers.get(id);
    if (!informer) {
      informer = new Informer<KubeObject>(key);
      this.informers.set(id, informer);
      if (this.signal) this.run(informer);
    }
    // One informer per kind: its objects are of the type the callers name the kind with.
    return informer as unknown as Informer<T>;
  }

  /** The informers' keys: what this process watches. */
  watched(): InformerKey[] {
    return [...this.informers.values()].map((i) => i.key);
  }

  private run(informer: Informer<KubeObject>): void {
    const { apiVersion, kind, namespace, fieldSelector } = informer.key;
    const api = this.source(apiVersion, kind);
    const log = this.opts.log?.child({ informer: `${apiVersion}/${kind}` });
    const onRestart: WatcherOptions['onRestart'] = (reason, err) => {
      log?.debug({ reason, err: err === undefined ? undefined : String(err) }, 'watch restarted');
      this.opts.watcher?.onRestart?.(reason, err);
    };
    const running = informer.run((signal) => watcher(api, { ...this.opts.watcher, namespace, fieldSelector, onRestart }, signal), this.signal!);
    this.running.push(running.catch((err) => log?.error({ err: String(err) }, 'informer stopped')));
  }
}

function refOf(obj: KubeObject): ObjectRef {
  return { namespace: obj.metadata.namespace, name: obj.metadata.name! };
}
