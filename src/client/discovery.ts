// Resolves apiVersion + kind to the resource the server serves it as (plural, scope), from the
// server's discovery documents. Cached per group-version; a kind not found refreshes once, since a
// CustomResourceDefinition may have just been established.
import type { KubeClient } from './client.ts';
import { KubeApiError, isNotFound } from './errors.ts';

export interface ApiResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: string[];
  subresources: string[];
}

interface ResourceListDoc { resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[] }

export class Discovery {
  private readonly client: KubeClient;
  private readonly byGroupVersion = new Map<string, Promise<ApiResource[]>>();

  constructor(client: KubeClient) {
    this.client = client;
  }

  async resolve(apiVersion: string, kind: string): Promise<ApiResource> {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt === 1) this.byGroupVersion.delete(apiVersion);
      const found = (await this.groupVersion(apiVersion)).find((r) => r.kind === kind);
      if (found) return found;
    }
    throw new KubeApiError(404, 'NotFound', `the server does not serve kind ${kind} in ${apiVersion}; is its CustomResourceDefinition installed (granary install)?`);
  }

  /** Forgets everything, e.g. after CRDs were installed. */
  invalidate(): void {
    this.byGroupVersion.clear();
  }

  private groupVersion(apiVersion: string): Promise<ApiResource[]> {
    let pending = this.byGroupVersion.get(apiVersion);
    if (!pending) {
      pending = this.fetch(apiVersion);
      this.byGroupVersion.set(apiVersion, pending);
      pending.catch(() => this.byGroupVersion.delete(apiVersion));
    }
    return pending;
  }

  private async fetch(apiVersion: string): Promise<ApiResource[]> {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    let doc: ResourceListDoc;
    try {
      doc = await this.client.request<ResourceListDoc>('GET', path);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    const subresources = new Map<string, string[]>();
    for (const r of doc.resources) {
      const slash = r.name.indexOf('/');
      if (slash > 0) {
        const parent = r.name.slice(0, slash);
        subresources.set(parent, [...(subresources.get(parent) ?? []), r.name.slice(slash + 1)]);
      }
    }
    return doc.resources.filter((r) => !r.name.includes('/')).map((r) => ({
      group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced, verbs: r.verbs, subresources: subresources.get(r.name) ?? [],
    }));
  }
}
