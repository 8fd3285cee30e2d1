// Discovery documents: the legacy per-group/per-version lists and the aggregated form
// (apidiscovery.k8s.io v2 and v2beta1) that kubectl 1.27+ asks for first.
import type { ResourceDefinition } from '../../api/resources.ts';
import type { ResourceCatalog } from '../registry/catalog.ts';

interface SubresourceShape { verbs: string[]; kind?: { group: string; version: string; kind: string } }

const SUBRESOURCES: Record<string, SubresourceShape> = {
  status: { verbs: ['get', 'patch', 'update'] },
  scale: { verbs: ['get', 'patch', 'update'], kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' } },
  binding: { verbs: ['create'], kind: { group: '', version: 'v1', kind: 'Binding' } },
  log: { verbs: ['get'] },
  eviction: { verbs: ['create'], kind: { group: 'policy', version: 'v1', kind: 'Eviction' } },
  token: { verbs: ['create'], kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' } },
  finalize: { verbs: ['update'] },
  approval: { verbs: ['get', 'patch', 'update'] },
};

export function apiVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupList(catalog: ResourceCatalog) {
  return {
    kind: 'APIGroupList', apiVersion: 'v1',
    groups: catalog.groups().filter((g) => g.group !== '').map((g) => apiGroupBody(g.group, g.versions)),
  };
}

export function apiGroup(catalog: ResourceCatalog, group: string) {
  const found = catalog.groups().find((g) => g.group === group);
  return found ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroupBody(group, found.versions) } : undefined;
}

function apiGroupBody(group: string, versions: string[]) {
  const gvs = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: gvs, preferredVersion: gvs[0] };
}

export function apiResourceList(catalog: ResourceCatalog, group: string, version: string) {
  const resources = catalog.inGroupVersion(group, version);
  if (resources.length === 0) return undefined;
  const list: object[] = [];
  for (const r of resources.sort((a, b) => a.plural.localeCompare(b.plural))) {
    list.push({
      name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs,
      ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories?.length ? { categories: r.categories } : {}),
    });
    for (const sub of r.subresources) {
      const shape = SUBRESOURCES[sub] ?? { verbs: ['get'] };
      list.push({
        name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced,
        ...(shape.kind ? { group: shape.kind.group, version: shape.kind.version } : {}),
        kind: shape.kind?.kind ?? r.kind, verbs: shape.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources: list };
}

/** The aggregated discovery document for either the legacy core group (/api) or all groups (/apis). */
export function aggregatedDiscovery(catalog: ResourceCatalog, which: 'api' | 'apis', apiVersion: 'v2' | 'v2beta1') {
  const groups = catalog.groups().filter((g) => (which === 'api' ? g.group === '' : g.group !== ''));
  return {
    kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${apiVersion}`, metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((version) => ({
        version,
        resources: catalog.inGroupVersion(g.group, version).sort((a, b) => a.plural.localeCompare(b.plural)).map(discoveryResource),
        freshness: 'Current',
      })),
    })),
  };
}

function discoveryResource(r: ResourceDefinition) {
  return {
    resource: r.plural,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
    ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
    ...(r.categories?.length ? { categories: r.categories } : {}),
    ...(r.subresources.length ? {
      subresources: r.subresources.map((sub) => {
        const shape = SUBRESOURCES[sub] ?? { verbs: ['get'] };
        return { subresource: sub, responseKind: shape.kind ?? { group: r.group, version: r.version, kind: r.kind }, verbs: shape.verbs };
      }),
    } : {}),
  };
}
