// A controller: watches one primary kind (and, optionally, the kinds it owns or depends on)
// through the process's shared informer cache (cache.ts; one watch per kind however many
// controllers use it), and reconciles primary objects one key at a time through a work queue —
// de-duplicated, bounded in concurrency, requeued after a delay on request, and on error handled
// by the controller's error policy: by default backed off per key, and never retried after a
// terminal ReconcileError until the object changes.
import { context as otelContext, trace, SpanStatusCode } from '@opentelemetry/api';
import type { KubeObject } from '../api/meta.ts';
import type { KubeClient } from '../client/client.ts';
import type { ResourceApi } from '../client/resource.ts';
import type { Logger } from '../common/log.ts';
import { createLogger } from '../common/log.ts';
import { clientSource, SharedCache, StoreView, type InformerEvent, type WatcherTuning } from './cache.ts';
import { WorkQueue } from './queue.ts';
import { keyOf, parseRefKey, refKey, type ObjectRef, type ReadStore } from './store.ts';
import { runtimeMetrics } from './metrics.ts';
import { isTerminal } from './reconcile.ts';

/** Reconcile outcome: nothing to do until something changes, or look again after a delay. */
export type Action = { requeueAfterMs: number } | undefined | void;

/** Decides whether a change to a primary object is worth a reconcile. */
export type Predicate<T> = (previous: T | undefined, current: T) => boolean;

/** Reconcile when the spec changed (generation), on deletion marking, or when the object is new. */
export const generationChanged: Predicate<KubeObject> = (prev, cur) =>
  prev === undefined || prev.metadata.generation !== cur.metadata.generation || prev.metadata.deletionTimestamp !== cur.metadata.deletionTimestamp
  || cur.metadata.generation === undefined;

export const labelsChanged: Predicate<KubeObject> = (prev, cur) =>
  prev === undefined || JSON.stringify(prev.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});

export interface ReconcileContext<T extends KubeObject> {
  controller: Controller<T>;
  log: Logger;
  signal: AbortSignal;
}

/** What to do after a failed reconcile: an Action (undefined: wait for the next change), or back off. */
export type ErrorAction = Action | 'backoff';

/** Decides what a failed reconcile (or cleanup) leads to; `obj` is undefined for a cleanup. */
export type ErrorPolicy<T extends KubeObject> = (err: unknown, obj: T | undefined, ctx: ReconcileContext<T>) => ErrorAction;

/** Terminal ReconcileErrors wait for the object to change; every other error is retried with per-key backoff. */
export function defaultErrorPolicy(err: unknown): ErrorAction {
  return isTerminal(err) ? undefined : 'backoff';
}

export interface ControllerOptions<T extends KubeObject> {
  name: string;
  client: KubeClient;
  apiVersion: string;
  kind: string;
  /** Watch the primary kind in this namespace only (the informer's watch is namespaced too). */
  namespace?: string;
  /** Only primary objects with these labels (filtered from the shared informer's store). */
  labelSelector?: string;
  /** Part of the primary kind's watch: a controller with another field selector gets a watch of its own. */
  fieldSelector?: string;
  concurrency?: number;
  /** All must pass for a change of a primary object to be queued (deletions always are). */
  predicates?: Predicate<T>[];
  /**
   * The process's shared informer cache, started by its owner (e.g. `granary operator`) with the
   * process's signal. Without one the controller makes its own and runs it while it runs.
   */
  cache?: SharedCache;
  /** Watch settings of the controller's own cache (a shared cache has its own). */
  watcher?: WatcherTuning;
  reconcile: (obj: T, ctx: ReconcileContext<T>) => Promise<Action>;
  /** Called when a primary object is gone from the store (after deletion); may ask to be called again, as reconcile. */
  cleanup?: (ref: ObjectRef, ctx: ReconcileContext<T>) => Promise<Action>;
  /** What a failed reconcile or cleanup leads to (default: defaultErrorPolicy). */
  errorPolicy?: ErrorPolicy<T>;
  log?: Logger;
}

interface Secondary {
  view: StoreView<KubeObject>;
  subscribe: (listener: (change: InformerEvent<KubeObject>) => void) => () => void;
  mapper: (obj: KubeObject) => ObjectRef[];
}

const tracer = trace.getTracer('granary-runtime');

export class Controller<T extends KubeObject> {
  readonly name: string;
  readonly client: KubeClient;
  readonly api: ResourceApi<T>;
  /** The primary objects: a view of the shared informer's store (with the label selector applied). */
  readonly store: StoreView<T>;
  readonly queue: WorkQueue;
  readonly log: Logger;
  readonly cache: SharedCache;
  private readonly ownCache: boolean;
  private readonly opts: ControllerOptions<T>;
  private readonly subscribePrimary: (listener: (change: InformerEvent<T>) => void) => () => void;
  private readonly secondaries = new Map<string, Secondary>();

  constructor(opts: ControllerOptions<T>) {
    this.opts = opts;
    this.name = opts.name;
    this.client = opts.client;
    this.api = opts.client.resource<T>(opts.apiVersion, opts.kind);
    this.ownCache = opts.cache === undefined;
    this.cache = opts.cache ?? new SharedCache(clientSource(opts.client), { watcher: opts.watcher, log: opts.log });
    const primary = this.cache.informer<T>(opts.apiVersion, opts.kind, { namespace: opts.namespace, fieldSelector: opts.fieldSelector });
    this.store = new StoreView(primary.store, opts.labelSelector);
    this.subscribePrimary = (listener) => primary.subscribe(listener);
    this.queue = new WorkQueue({ name: opts.name, concurrency: opts.concurrency ?? 4 });
    for (const result of ['success', 'error', 'requeue_after']) runtimeMetrics.reconcileTotal.inc({ controller: this.name, result }, 0);
    runtimeMetrics.reconcileErrors.inc({ controller: this.name }, 0);
    runtimeMetrics.activeWorkers.set({ controller: this.name }, 0);
    this.log = opts.log ?? createLogger(`controller/${opts.name}`);
  }

  /** A change to an object of this kind reconciles its controlling owner of the primary kind. */
  owns(apiVersion: string, kind: string, opts: { namespace?: string; labelSelector?: string } = {}): this {
    return this.watches(apiVersion, kind, (obj) => {
      const owner = obj.metadata.ownerReferences?.find((r) => r.controller && r.kind === this.opts.kind && r.apiVersion === this.opts.apiVersion);
      return owner ? [{ namespace: obj.metadata.namespace, name: owner.name }] : [];
    }, opts);
  }

  /** A change to an object of this kind reconciles the primary objects `mapper` names. */
  watches(apiVersion: string, kind: string, mapper: (obj: KubeObject) => ObjectRef[], opts: { namespace?: string; labelSelector?: string } = {}): this {
    const informer = this.cache.informer(apiVersion, kind, { namespace: opts.namespace });
    const view = new StoreView(informer.store, opts.labelSelector);
    this.secondaries.set(`${apiVersion}/${kind}`, { view, subscribe: (listener) => informer.subscribe(listener), mapper });
    return this;
  }

  /** The local store of an owned or watched kind, typed as the caller names the kind (e.g. storeOf<Pod>('v1', 'Pod')). */
  storeOf<K extends KubeObject = KubeObject>(apiVersion: string, kind: string): ReadStore<K> {
    const s = this.secondaries.get(`${apiVersion}/${kind}`);
    if (!s) throw new Error(`controller ${this.name} does not watch ${apiVersion} ${kind}`);
    return s.view as unknown as ReadStore<K>;
  }

  /** Queues a primary object for reconcile (e.g. from outside events). */
  enqueue(ref: ObjectRef): void {
    this.queue.add(refKey(ref));
  }

  /** Runs until `signal` aborts; then lets running reconciles finish. */
  async run(signal: AbortSignal): Promise<void> {
    // Registered first: an abort while the stores fill must still shut the queue down.
    void aborted(signal).then(() => this.queue.shutdown());
    if (this.ownCache) this.cache.start(signal);
    const unsubscribe = [this.subscribePrimary(this.onPrimary()), ...[...this.secondaries.values()].map((s) => s.subscribe(this.onSecondary(s)))];
    try {
      await Promise.all([this.store.ready, ...[...this.secondaries.values()].map((s) => s.view.ready)].map((p) => Promise.race([p, aborted(signal)])));
      const workers = Array.from({ length: this.opts.concurrency ?? 4 }, () => this.work(signal));
      await Promise.all(workers);
    } finally {
      for (const stop of unsubscribe) stop();
    }
    if (this.ownCache) await this.cache.stopped();
  }

  /**
   * Queues primary objects as they change. Objects of a (re)list are queued at InitDone, when the
   * store shows them all: reconciling them earlier would read the state from before the relist.
   * An object that leaves the label selector counts as deleted.
   */
  private onPrimary(): (change: InformerEvent<T>) => void {
    const predicates = this.opts.predicates ?? [];
    let listed: string[] = [];
    return ({ event, previous, vanished }) => {
      switch (event.type) {
        case 'Init':
          listed = [];
          break;
        case 'InitApply':
          if (this.store.matches(event.object)) listed.push(keyOf(event.object));
          break;
        case 'InitDone':
          for (const key of [...listed, ...vanished.filter((o) => this.store.matches(o)).map(keyOf)]) this.queue.add(key);
          listed = [];
          break;
        case 'Apply': {
          const before = this.store.matches(previous) ? previous : undefined;
          if (!this.store.matches(event.object)) {
            if (before) this.queue.add(keyOf(event.object));
          } else if (predicates.every((p) => p(before, event.object))) {
            this.queue.add(keyOf(event.object));
          }
          break;
        }
        case 'Delete':
          if (this.store.matches(event.object) || this.store.matches(previous)) this.queue.add(keyOf(event.object));
          break;
      }
    };
  }

  /**
   * Maps changes of a secondary kind to the primaries they affect. The primary's own initial list
   * reconciles everything once; a relist reports only what changed unseen (or vanished).
   */
  private onSecondary(s: Secondary): (change: InformerEvent<KubeObject>) => void {
    let listed: KubeObject[] = [];
    let before = new Map<string, string | undefined>();
    let synced = false;
    return ({ event, previous, vanished }) => {
      const touched: KubeObject[] = [];
      switch (event.type) {
        case 'Init':
          before = new Map(s.view.list().map((o) => [keyOf(o), o.metadata.resourceVersion]));
          listed = [];
          break;
        case 'InitApply':
          if (s.view.matches(event.object)) listed.push(event.object);
          break;
        case 'InitDone':
          if (synced) touched.push(...listed.filter((o) => before.get(keyOf(o)) !== o.metadata.resourceVersion), ...vanished.filter((o) => s.view.matches(o)));
          synced = true;
          listed = [];
          break;
        default:
          touched.push(...[event.object, previous].filter((o) => s.view.matches(o)));
      }
      for (const obj of touched) for (const ref of s.mapper(obj)) this.queue.add(refKey(ref));
    };
  }

  private async work(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.next();
      if (key === undefined) return;
      try {
        await this.reconcileKey(key, signal);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async reconcileKey(key: string, signal: AbortSignal): Promise<void> {
    const ref = parseRefKey(key);
    const obj = this.store.get(ref);
    const log = this.log.child({ object: key });
    const ctx: ReconcileContext<T> = { controller: this, log, signal };
    const started = performance.now();
    log.debug({ exists: obj !== undefined }, 'reconciling');
    runtimeMetrics.activeWorkers.inc({ controller: this.name });
    const span = tracer.startSpan(`reconcile ${this.name}`, { attributes: { 'k8s.object': key } });
    try {
      const action = await otelContext.with(trace.setSpan(otelContext.active(), span), () =>
        obj ? this.opts.reconcile(obj, ctx) : this.opts.cleanup?.(ref, ctx));
      this.queue.forget(key);
      this.after(key, action);
      runtimeMetrics.reconcileTotal.inc({ controller: this.name, result: action ? 'requeue_after' : 'success' });
    } catch (err) {
      runtimeMetrics.reconcileErrors.inc({ controller: this.name });
      runtimeMetrics.reconcileTotal.inc({ controller: this.name, result: 'error' });
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      const policy: ErrorPolicy<T> = this.opts.errorPolicy ?? defaultErrorPolicy;
      const next = policy(err, obj, ctx);
      if (next === 'backoff') {
        log.warn({ err: (err as Error).message, failures: this.queue.backoff.failures(key) + 1 }, 'reconcile failed; retrying with backoff');
        if (!signal.aborted) this.queue.addRateLimited(key);
      } else {
        log.error({ err: (err as Error).message, requeueAfterMs: next?.requeueAfterMs }, next ? 'reconcile failed; looking again later' : 'reconcile failed and will not be retried until the object changes');
        this.queue.forget(key);
        this.after(key, next);
      }
    } finally {
      span.end();
      runtimeMetrics.activeWorkers.dec({ controller: this.name });
      runtimeMetrics.reconcileTime.observe({ controller: this.name }, (performance.now() - started) / 1000);
    }
  }

  private after(key: string, action: Action): void {
    if (action && action.requeueAfterMs !== undefined) this.queue.addAfter(key, action.requeueAfterMs);
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}
