// Typed operations on one kind: get, list, create, update (and status), patch (merge, json,
// strategic, server-side apply), delete, and watch.
import type { Readable } from 'node:stream';
import type { KubeList, KubeObject, Status, WatchEvent } from '../api/meta.ts';
import type { KubeClient } from './client.ts';
import type { ApiResource } from './discovery.ts';
import { decodeWatchEvents } from './watch-stream.ts';

export interface ListParams {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface WatchParams extends ListParams {
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
  signal?: AbortSignal;
}

export interface DeleteParams {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export type PatchKind = 'merge' | 'json' | 'strategic';

const PATCH_CONTENT_TYPES: Record<PatchKind, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export class ResourceApi<T extends KubeObject = KubeObject> {
  readonly apiVersion: string;
  readonly kind: string;
  private readonly client: KubeClient;
  private resolved?: Promise<ApiResource>;

  constructor(client: KubeClient, apiVersion: string, kind: string) {
    this.client = client;
    this.apiVersion = apiVersion;
    this.kind = kind;
  }

  info(): Promise<ApiResource> {
    this.resolved ??= this.client.discovery.resolve(this.apiVersion, this.kind);
    this.resolved.catch(() => (this.resolved = undefined));
    return this.resolved;
  }

  /** The URL path of a collection or object (namespace ignored for cluster-scoped kinds). */
  async path(namespace?: string, name?: string, subresource?: string): Promise<string> {
    const r = await this.info();
    let path = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    if (r.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
    path += `/${r.plural}`;
    if (name !== undefined) path += `/${encodeURIComponent(name)}`;
    if (subresource) path += `/${subresource}`;
    return path;
  }

  async get(name: string, namespace?: string): Promise<T> {
    return this.client.request<T>('GET', await this.path(namespace, name));
  }

  async list(namespace?: string, params: ListParams = {}): Promise<KubeList<T>> {
    return this.client.request<KubeList<T>>('GET', await this.path(namespace), { query: { ...params } });
  }

  async create(obj: T, opts: { fieldManager?: string; dryRun?: boolean } = {}): Promise<T> {
    return this.client.request<T>('POST', await this.path(obj.metadata.namespace), {
      body: this.withType(obj), query: { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined },
    });
  }

  async update(obj: T, opts: { fieldManager?: string } = {}): Promise<T> {
    return this.client.request<T>('PUT', await this.path(obj.metadata.namespace, obj.metadata.name), { body: this.withType(obj), query: { fieldManager: opts.fieldManager } });
  }

  async updateStatus(obj: T, opts: { fieldManager?: string } = {}): Promise<T> {
    return this.client.request<T>('PUT', await this.path(obj.metadata.namespace, obj.metadata.name, 'status'), { body: this.withType(obj), query: { fieldManager: opts.fieldManager } });
  }

  async patch(name: string, namespace: string | undefined, patch: unknown, kind: PatchKind = 'merge', opts: { subresource?: string; fieldManager?: string } = {}): Promise<T> {
    return this.client.request<T>('PATCH', await this.path(namespace, name, opts.subresource), {
      body: patch, contentType: PATCH_CONTENT_TYPES[kind], query: { fieldManager: opts.fieldManager },
    });
  }

  /** Server-side apply of a partial object (apply configuration) as `fieldManager`. */
  async apply(obj: Partial<T> & { metadata: { name?: string; namespace?: string } }, opts: { fieldManager: string; force?: boolean; subresource?: string }): Promise<T> {
    return this.client.request<T>('PATCH', await this.path(obj.metadata.namespace, obj.metadata.name, opts.subresource), {
      body: { apiVersion: this.apiVersion, kind: this.kind, ...obj }, contentType: 'application/apply-patch+yaml',
      query: { fieldManager: opts.fieldManager, force: opts.force ? 'true' : undefined },
    });
  }

  async delete(name: string, namespace?: string, params: DeleteParams = {}): Promise<T | Status> {
    const { dryRun, ...rest } = params;
    return this.client.request<T | Status>('DELETE', await this.path(namespace, name), {
      body: { apiVersion: 'v1', kind: 'DeleteOptions', ...rest, ...(dryRun ? { dryRun: ['All'] } : {}) },
    });
  }

  /** Opens one watch stream. The caller resumes, relists and backs off; see runtime's watcher. */
  async watch(namespace: string | undefined, params: WatchParams = {}): Promise<AsyncGenerator<WatchEvent<T>>> {
    const { signal, ...query } = params;
    const body: Readable = await this.client.stream('GET', await this.path(namespace), { query: { ...query, watch: 'true' }, signal });
    return decodeWatchEvents<T>(body);
  }

  private withType(obj: T): T {
    return { ...obj, apiVersion: this.apiVersion, kind: this.kind };
  }
}
