// Kinds held in memory with a Kubernetes API server's list and watch semantics (resource
// versions, resuming a watch, 410 Gone after compaction, bookmarks), and the levers a test pulls:
// end every stream, make a stream go silent, fail the next calls. The runtime's watcher, store,
// cache and controller are tested on these streams, as kube-rs tests its reflector, beside the
// tests against a real API server.
import type { KubeList, KubeObject, WatchEvent } from '../../src/api/meta.ts';
import { KubeApiError } from '../../src/client/errors.ts';
import type { ListParams, WatchParams } from '../../src/client/resource.ts';
import type { ListWatchSource } from '../../src/runtime/cache.ts';
import type { ListWatch } from '../../src/runtime/watcher.ts';

interface Change<T> {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: T;
}

/** The resource versions of several kinds, as one API server shares one sequence. */
export class Revisions {
  value = 0;
  next(): number {
    return ++this.value;
  }
}

export class InMemoryApi<T extends KubeObject = KubeObject> implements ListWatch<T> {
  readonly apiVersion: string;
  readonly kind: string;
  private readonly objects = new Map<string, T>();
  private readonly history: Change<T>[] = [];
  private readonly streams = new Set<{ push: (event: WatchEvent<T>) => void; end: () => void }>();
  private readonly revisions: Revisions;
  /** Every list and watch call, in order. */
  readonly calls: { verb: 'list' | 'watch'; namespace?: string; params: ListParams | WatchParams }[] = [];
  /** Errors the next calls fail with, one per call. */
  readonly failNext: { list: unknown[]; watch: unknown[] } = { list: [], watch: [] };
  /** A watch from a resourceVersion older than this is refused with 410 Gone (history compacted). */
  compactedBefore = 0;

  constructor(apiVersion: string, kind: string, revisions = new Revisions()) {
    this.apiVersion = apiVersion;
    this.kind = kind;
    this.revisions = revisions;
  }

  /** Watch streams open now. */
  get openWatches(): number {
    return this.streams.size;
  }

  get resourceVersion(): string {
    return String(this.revisions.value);
  }

  /** Creates or replaces an object (ADDED or MODIFIED); returns it as stored. */
  put(object: T): T {
    const key = keyOf(object);
    const rv = this.revisions.next();
    const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.objects.set(key, stored);
    this.record({ rv, type, object: stored });
    return stored;
  }

  /** Deletes an object (DELETED). */
  remove(name: string, namespace?: string): void {
    const key = keyOf({ metadata: { name, namespace } });
    const object = this.objects.get(key);
    if (!object) return;
    this.objects.delete(key);
    const rv = this.revisions.next();
    this.record({ rv, type: 'DELETED', object: { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } } });
  }

  /** Sends a BOOKMARK at the current resourceVersion on every open stream. */
  bookmark(): void {
    for (const s of this.streams) s.push({ type: 'BOOKMARK', object: { apiVersion: this.apiVersion, kind: this.kind, metadata: { resourceVersion: this.resourceVersion } } as T });
  }

  /** Sends an ERROR event (a Status) on every open stream, as a server does for an expired watch. */
  error(code: number, reason: string, message: string): void {
    for (const s of this.streams) s.push({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message } as unknown as T });
  }

  /** Ends every open stream, as a server's watch timeout does. */
  closeStreams(): void {
    for (const s of [...this.streams]) s.end();
  }

  async list(namespace?: string, params: ListParams = {}): Promise<KubeList<T>> {
    this.calls.push({ verb: 'list', namespace, params });
    if (this.failNext.list.length > 0) throw this.failNext.list.shift();
    const items = [...this.objects.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace);
    return { apiVersion: this.apiVersion, kind: `${this.kind}List`, metadata: { resourceVersion: this.resourceVersion }, items: items.map(withoutTypeMeta) };
  }

  async watch(namespace: string | undefined, params: WatchParams = {}): Promise<AsyncGenerator<WatchEvent<T>>> {
    this.calls.push({ verb: 'watch', namespace, params });
    if (this.failNext.watch.length > 0) throw this.failNext.watch.shift();
    const from = Number(params.resourceVersion ?? this.resourceVersion);
    if (from < this.compactedBefore) throw new KubeApiError(410, 'Expired', `too old resource version: ${from} (${this.compactedBefore})`);
    const queue: WatchEvent<T>[] = this.history.filter((c) => c.rv > from && inNamespace(c.object, namespace)).map(({ type, object }) => ({ type, object }));
    let wake: (() => void) | undefined;
    let ended = false;
    const stream = {
      push: (event: WatchEvent<T>) => {
        if (ended) return;
        if (event.type !== 'BOOKMARK' && event.type !== 'ERROR' && !inNamespace(event.object, namespace)) return;
        queue.push(event);
        wake?.();
      },
      end: () => {
        ended = true;
        wake?.();
      },
    };
    this.streams.add(stream);
    params.signal?.addEventListener('abort', stream.end, { once: true });
    const streams = this.streams;
    return (async function* events() {
      try {
        for (;;) {
          while (queue.length > 0) yield queue.shift()!;
          if (ended || params.signal?.aborted) return;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        streams.delete(stream);
      }
    })();
  }

  private record(change: Change<T>): void {
    this.history.push(change);
    for (const s of this.streams) s.push({ type: change.type, object: change.object });
  }
}

/** A ListWatchSource over in-memory kinds (for a SharedCache). */
export function inMemorySource(...apis: InMemoryApi[]): ListWatchSource {
  return (apiVersion, kind) => {
    const api = apis.find((a) => a.apiVersion === apiVersion && a.kind === kind);
    if (!api) throw new Error(`no in-memory ${apiVersion} ${kind}`);
    return api;
  };
}

/** An object of a kind with the given name, namespace, labels and more fields. */
export function object<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, name: string, extra: Partial<Omit<T, 'metadata'>> & { metadata?: KubeObject['metadata'] } = {}): T {
  const { metadata, ...rest } = extra;
  return { apiVersion, kind, metadata: { name, namespace: 'default', uid: `uid-${name}`, ...metadata }, ...rest } as T;
}

function keyOf(o: Pick<KubeObject, 'metadata'>): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function inNamespace(o: KubeObject, namespace: string | undefined): boolean {
  return namespace === undefined || o.metadata.namespace === namespace;
}

/** List items come without apiVersion and kind, as from a real server. */
function withoutTypeMeta<T extends KubeObject>(o: T): T {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = o;
  return rest as T;
}
