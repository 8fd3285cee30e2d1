// The registry ties the catalogue of resources to their stores: one ResourceStore per served
// version, all sharing the watch cache, each with its kind's strategy.
import type { KubeObject } from '../../api/meta.ts';
import type { ResourceDefinition } from '../../api/resources.ts';
import { errors } from '../errors.ts';
import type { WatchCache } from '../storage/cache.ts';
import { keyPrefix, objectKey, type ResourceCatalog } from './catalog.ts';
import { ResourceStore, type NamespaceGate } from './store.ts';
import type { Strategy } from './strategy.ts';
import { namespaceStrategy } from './strategies/namespace.ts';
import { podStrategy } from './strategies/pod.ts';
import { configMapStrategy, secretStrategy } from './strategies/data.ts';
import { coreEventStrategy, defaultStrategy, eventsV1Strategy, nodeStrategy } from './strategies/simple.ts';
import { crdStrategy } from './strategies/crd.ts';
import { bindingStrategy, roleStrategy } from './strategies/rbac.ts';
import { certificateSigningRequestStrategy } from './strategies/certificates.ts';
import { endpointSliceStrategy } from './strategies/discovery.ts';
import { runtimeClassStrategy } from './strategies/node.ts';
import { serviceStrategy } from './strategies/service.ts';
import { DEFAULT_SERVICE_CLUSTER_IP_RANGE, DEFAULT_SERVICE_NODE_PORT_RANGE, ServiceAllocator, type ServiceRanges } from './service-allocator.ts';

const BUILTIN_STRATEGIES: Record<string, Strategy> = {
  '/namespaces': namespaceStrategy,
  '/pods': podStrategy,
  '/configmaps': configMapStrategy,
  '/secrets': secretStrategy,
  '/nodes': nodeStrategy,
  '/events': coreEventStrategy,
  'events.k8s.io/events': eventsV1Strategy,
  'apiextensions.k8s.io/customresourcedefinitions': crdStrategy,
  'rbac.authorization.k8s.io/roles': roleStrategy,
  'rbac.authorization.k8s.io/rolebindings': bindingStrategy,
  'rbac.authorization.k8s.io/clusterroles': roleStrategy,
  'rbac.authorization.k8s.io/clusterrolebindings': bindingStrategy,
  'certificates.k8s.io/certificatesigningrequests': certificateSigningRequestStrategy,
  'discovery.k8s.io/endpointslices': endpointSliceStrategy,
  'node.k8s.io/runtimeclasses': runtimeClassStrategy,
};

export class Registry {
  readonly catalog: ResourceCatalog;
  readonly cache: WatchCache;
  private readonly builtinGroups: Set<string>;
  private readonly stores = new Map<ResourceDefinition, ResourceStore>();
  private readonly namespaces: NamespaceGate;
  private readonly strategies: Record<string, Strategy>;

  constructor(catalog: ResourceCatalog, cache: WatchCache, builtin: ResourceDefinition[], serviceRanges?: Partial<ServiceRanges>) {
    this.catalog = catalog;
    this.cache = cache;
    const allocator = new ServiceAllocator(cache, {
      clusterIpRange: serviceRanges?.clusterIpRange ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE,
      nodePortRange: serviceRanges?.nodePortRange ?? DEFAULT_SERVICE_NODE_PORT_RANGE,
    });
    this.strategies = { ...BUILTIN_STRATEGIES, '/services': serviceStrategy(allocator) };
    this.builtinGroups = new Set(builtin.map((r) => `${r.group}/${r.plural}`));
    this.namespaces = {
      checkCreate: (namespace, plural, group, name) => {
        const ns = this.cache.get(objectKey({ group: '', plural: 'namespaces', namespaced: false }, undefined, namespace));
        if (!ns) throw errors.notFound('namespaces', '', namespace);
        if (ns.object.metadata.deletionTimestamp) {
          throw errors.forbidden(plural, group, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
        }
      },
    };
    catalog.onChange(() => {
      // Stores of definitions no longer served are dropped; new definitions get fresh stores on demand.
      const served = new Set(catalog.all());
      for (const def of this.stores.keys()) if (!served.has(def)) this.stores.delete(def);
    });
  }

  isBuiltin(r: Pick<ResourceDefinition, 'group' | 'plural'>): boolean {
    return this.builtinGroups.has(`${r.group}/${r.plural}`);
  }

  storeFor(def: ResourceDefinition): ResourceStore {
    let store = this.stores.get(def);
    if (!store) {
      const builtin = this.isBuiltin(def);
      const strategy = builtin ? this.strategies[`${def.group}/${def.plural}`] ?? defaultStrategy : defaultStrategy;
      store = new ResourceStore(def, strategy, this.cache, this.namespaces, !builtin);
      this.stores.set(def, store);
    }
    return store;
  }

  /** The store of a resource's storage version, for the server's own controllers. */
  storageStore(group: string, plural: string): ResourceStore | undefined {
    const versions = this.catalog.all().filter((r) => r.group === group && r.plural === plural && !r.storedAs);
    const def = versions.find((r) => r.version === r.storageVersion) ?? versions[0];
    return def ? this.storeFor(def) : undefined;
  }

  /** The store responsible for a storage key, e.g. "/core/pods/default/web-0". */
  storeForKey(key: string): ResourceStore | undefined {
    const [, group, plural] = key.split('/');
    return this.storageStore(group === 'core' ? '' : group, plural);
  }

  /** Resolves an owner or referent by apiVersion and kind to the object stored for it. */
  lookup(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const def = this.catalog.anyVersionOfKind(group, kind);
    if (!def) return undefined;
    return this.cache.get(objectKey(def, def.namespaced ? namespace : undefined, name))?.object;
  }

  /** One definition per stored resource (its storage version), for controllers that walk every kind. */
  storedResources(): ResourceDefinition[] {
    const byPrefix = new Map<string, ResourceDefinition>();
    for (const r of this.catalog.all()) {
      const prefix = keyPrefix(r);
      const known = byPrefix.get(prefix);
      // A resource stored as another is a view of it: the other one owns the storage.
      if (!r.storedAs && (!known || known.storedAs || r.version === r.storageVersion)) byPrefix.set(prefix, r);
    }
    return [...byPrefix.values()];
  }
}
