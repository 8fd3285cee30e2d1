// A controller: watches one primary kind (and, optionally, the kinds it owns or depends on),
// keeps them in local stores, and reconciles primary objects one key at a time through a work
// queue — de-duplicated, bounded in concurrency, requeued after a delay on request, backed off
// per key on error, and never retried after a terminal ReconcileError.
import { context as otelContext, trace, SpanStatusCode } from '@opentelemetry/api';
import type { KubeObject } from '../api/meta.ts';
import type { KubeClient } from '../client/client.ts';
import type { ResourceApi } from '../client/resource.ts';
import type { Logger } from '../common/log.ts';
import { createLogger } from '../common/log.ts';
import { WorkQueue } from './queue.ts';
import { Store, keyOf, parseRefKey, refKey, type ObjectRef } from './store.ts';
import { watcher, type WatcherOptions } from './watcher.ts';
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

export interface ControllerOptions<T extends KubeObject> {
  name: string;
  client: KubeClient;
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  concurrency?: number;
  /** All must pass for a change of a primary object to be queued (deletions always are). */
  predicates?: Predicate<T>[];
  watcher?: Pick<WatcherOptions, 'silenceTimeoutMs' | 'serverTimeoutSeconds' | 'onRestart'>;
  reconcile: (obj: T, ctx: ReconcileContext<T>) => Promise<Action>;
  /** Called when a primary object is gone from the store (after deletion). */
  cleanup?: (ref: ObjectRef, ctx: ReconcileContext<T>) => Promise<void>;
  log?: Logger;
}

interface Secondary {
  api: ResourceApi<KubeObject>;
  store: Store<KubeObject>;
  mapper: (obj: KubeObject) => ObjectRef[];
  namespace?: string;
  labelSelector?: string;
}

const tracer = trace.getTracer('granary-runtime');

export class Controller<T extends KubeObject> {
  readonly name: string;
  readonly client: KubeClient;
  readonly api: ResourceApi<T>;
  readonly store = new Store<T>();
  readonly queue: WorkQueue;
  readonly log: Logger;
  private readonly opts: ControllerOptions<T>;
  private readonly secondaries = new Map<string, Secondary>();

  constructor(opts: ControllerOptions<T>) {
    this.opts = opts;
    this.name = opts.name;
    this.client = opts.client;
    this.api = opts.client.resource<T>(opts.apiVersion, opts.kind);
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
    const id = `${apiVersion}/${kind}`;
    this.secondaries.set(id, { api: this.client.resource(apiVersion, kind), store: new Store(), mapper, ...opts });
    return this;
  }

  /** The local store of an owned or watched kind, typed as the caller names the kind (e.g. storeOf<Pod>('v1', 'Pod')). */
  storeOf<K extends KubeObject = KubeObject>(apiVersion: string, kind: string): Store<K> {
    const s = this.secondaries.get(`${apiVersion}/${kind}`);
    if (!s) throw new Error(`controller ${this.name} does not watch ${apiVersion} ${kind}`);
    return s.store as Store<KubeObject> as Store<K>;
  }

  /** Queues a primary object for reconcile (e.g. from outside events). */
  enqueue(ref: ObjectRef): void {
    this.queue.add(refKey(ref));
  }

  /** Runs until `signal` aborts; then lets running reconciles finish. */
  async run(signal: AbortSignal): Promise<void> {
    // Registered first: an abort while the stores fill must still shut the queue down.
    void aborted(signal).then(() => this.queue.shutdown());
    const informers = [this.informPrimary(signal), ...[...this.secondaries.values()].map((s) => this.informSecondary(s, signal))];
    await Promise.all([this.store.ready, ...[...this.secondaries.values()].map((s) => s.store.ready)].map((p) => Promise.race([p, aborted(signal)])));
    const workers = Array.from({ length: this.opts.concurrency ?? 4 }, () => this.work(signal));
    await Promise.all(workers);
    await Promise.allSettled(informers);
  }

  private async informPrimary(signal: AbortSignal): Promise<void> {
    const predicates = this.opts.predicates ?? [];
    // Objects of a (re)list become visible in the store only at InitDone; reconciling them earlier
    // would read the state from before the relist.
    let listed: string[] = [];
    const selectors = { namespace: this.opts.namespace, labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector };
    for await (const event of watcher(this.api, { ...selectors, ...this.opts.watcher }, signal)) {
      const previous = event.type === 'Apply' ? this.store.get(refOf(event.object)) : undefined;
      const vanished = this.store.apply(event);
      switch (event.type) {
        case 'Init':
          listed = [];
          break;
        case 'InitApply':
          listed.push(keyOf(event.object));
          break;
        case 'InitDone':
          for (const key of [...listed, ...vanished.map(keyOf)]) this.queue.add(key);
          listed = [];
          break;
        case 'Apply':
          if (predicates.every((p) => p(previous, event.object))) this.queue.add(keyOf(event.object));
          break;
        case 'Delete':
          this.queue.add(keyOf(event.object));
          break;
      }
    }
  }

  private async informSecondary(s: Secondary, signal: AbortSignal): Promise<void> {
    let listed: KubeObject[] = [];
    let before = new Map<string, string | undefined>();
    let synced = false;
    for await (const event of watcher(s.api, { namespace: s.namespace, labelSelector: s.labelSelector, ...this.opts.watcher }, signal)) {
      const previous = event.type === 'Apply' || event.type === 'Delete' ? s.store.get(refOf(event.object)) : undefined;
      if (event.type === 'Init') before = new Map(s.store.list().map((o) => [keyOf(o), o.metadata.resourceVersion]));
      const vanished = s.store.apply(event);
      const touched: KubeObject[] = [];
      switch (event.type) {
        case 'Init':
          listed = [];
          break;
        case 'InitApply':
          listed.push(event.object);
          break;
        case 'InitDone':
          // The primary's own initial list reconciles everything once; a relist reports what changed unseen.
          if (synced) touched.push(...listed.filter((o) => before.get(keyOf(o)) !== o.metadata.resourceVersion), ...vanished);
          synced = true;
          listed = [];
          break;
        default:
          touched.push(event.object, ...(previous ? [previous] : []));
      }
      for (const obj of touched) for (const ref of s.mapper(obj)) this.queue.add(refKey(ref));
    }
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
      if (action && action.requeueAfterMs !== undefined) {
        this.queue.addAfter(key, action.requeueAfterMs);
        runtimeMetrics.reconcileTotal.inc({ controller: this.name, result: 'requeue_after' });
      } else {
        runtimeMetrics.reconcileTotal.inc({ controller: this.name, result: 'success' });
      }
    } catch (err) {
      runtimeMetrics.reconcileErrors.inc({ controller: this.name });
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      // A terminal ReconcileError (bad user input) is not retried until the object changes.
      if (isTerminal(err)) {
        runtimeMetrics.reconcileTotal.inc({ controller: this.name, result: 'error' });
        log.error({ err: (err as Error).message }, 'reconcile failed and will not be retried until the object changes');
        this.queue.forget(key);
      } else {
        runtimeMetrics.reconcileTotal.inc({ controller: this.name, result: 'error' });
        log.warn({ err: (err as Error).message, failures: this.queue.backoff.failures(key) + 1 }, 'reconcile failed; retrying with backoff');
        if (!signal.aborted) this.queue.addRateLimited(key);
      }
    } finally {
      span.end();
      runtimeMetrics.activeWorkers.dec({ controller: this.name });
      runtimeMetrics.reconcileTime.observe({ controller: this.name }, (performance.now() - started) / 1000);
    }
  }
}

function refOf(obj: KubeObject): ObjectRef {
  return { namespace: obj.metadata.namespace, name: obj.metadata.name! };
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}
