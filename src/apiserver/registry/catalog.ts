// The catalogue of served resources: built-in kinds plus those CustomResourceDefinitions add.
// It answers "what is served at this URL" and "which key prefix stores it", and tells listeners
// (discovery, OpenAPI) when the set changes.
import type { ResourceDefinition } from '../../api/resources.ts';

export interface GroupVersions {
  group: string;
  /** Served versions, preferred first. */
  versions: string[];
}

export class ResourceCatalog {
  private readonly resources = new Map<string, ResourceDefinition>();
  private readonly listeners = new Set<() => void>();
  private generation = 0;

  constructor(initial: ResourceDefinition[] = []) {
    for (const r of initial) this.resources.set(id(r.group, r.version, r.plural), r);
  }

  /** Bumped on every change; caches of derived documents compare against it. */
  version(): number {
    return this.generation;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Replaces every definition of one group+plural (a CRD's versions) at once. */
  replaceResource(group: string, plural: string, versions: ResourceDefinition[]): void {
    for (const [key, r] of this.resources) if (r.group === group && r.plural === plural) this.resources.delete(key);
    for (const r of versions) this.resources.set(id(r.group, r.version, r.plural), r);
    this.generation++;
    for (const l of this.listeners) l();
  }

  get(group: string, version: string, plural: string): ResourceDefinition | undefined {
    return this.resources.get(id(group, version, plural));
  }

  byKind(group: string, version: string, kind: string): ResourceDefinition | undefined {
    for (const r of this.resources.values()) if (r.group === group && r.version === version && r.kind === kind) return r;
    return undefined;
  }

  /** Any served version of group+kind (used to find owners and storage of a kind). */
  anyVersionOfKind(group: string, kind: string): ResourceDefinition | undefined {
    for (const r of this.resources.values()) if (r.group === group && r.kind === kind) return r;
    return undefined;
  }

  all(): ResourceDefinition[] {
    return [...this.resources.values()];
  }

  inGroupVersion(group: string, version: string): ResourceDefinition[] {
    return this.all().filter((r) => r.group === group && r.version === version);
  }

  /** Groups in a stable order (the legacy core group "" first), each with its versions, preferred first. */
  groups(): GroupVersions[] {
    const byGroup = new Map<string, Set<string>>();
    for (const r of this.resources.values()) {
      let versions = byGroup.get(r.group);
      if (!versions) byGroup.set(r.group, (versions = new Set()));
      versions.add(r.version);
    }
    return [...byGroup.entries()]
      .sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)))
      .map(([group, versions]) => ({ group, versions: [...versions].sort(compareKubeVersions) }));
  }
}

/** The storage key prefix of a resource: shared by all its versions (and by resources stored as it). */
export function keyPrefix(r: Pick<ResourceDefinition, 'group' | 'plural' | 'storedAs'>): string {
  const stored = r.storedAs ?? r;
  return `/${stored.group || 'core'}/${stored.plural}/`;
}

export function objectKey(r: Pick<ResourceDefinition, 'group' | 'plural' | 'namespaced' | 'storedAs'>, namespace: string | undefined, name: string): string {
  return `${keyPrefix(r)}${r.namespaced ? namespace ?? '' : ''}/${name}`;
}

function id(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

/**
 * Kubernetes' version priority: GA > beta > alpha, higher numbers first within each
 * (v2 > v1 > v1beta2 > v1beta1 > v1alpha1), then anything else alphabetically.
 */
export function compareKubeVersions(a: string, b: string): number {
  const rank = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return { tier: 3, major: 0, minor: 0 };
    const tier = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return { tier, major: Number(m[1]), minor: Number(m[3] ?? 0) };
  };
  const ra = rank(a);
  const rb = rank(b);
  if (ra.tier !== rb.tier) return ra.tier - rb.tier;
  if (ra.tier === 3) return a.localeCompare(b);
  if (ra.major !== rb.major) return rb.major - ra.major;
  return rb.minor - ra.minor;
}
