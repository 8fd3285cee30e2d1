// CustomResourceDefinitions: decides NamesAccepted and Established, publishes the served versions
// in the catalogue (and so in discovery and OpenAPI), and on deletion removes every custom
// resource of the definition before releasing its cleanup finalizer.
import type { CustomResourceDefinition as Crd, CustomResourceDefinitionCondition } from '../../api/kinds/apiextensions.ts';
import { ApiError } from '../errors.ts';
import type { Registry } from '../registry/registry.ts';
import { CRD_CLEANUP_FINALIZER } from '../registry/strategies/crd.ts';
import { crdNamesStatus, crdResourceDefinitions } from '../crd/names.ts';
import type { Logger } from '../../common/log.ts';
import { KeyedLoop } from './work-queue.ts';
import { timestamp } from '../registry/store.ts';

const CRD_PREFIX = '/apiextensions.k8s.io/customresourcedefinitions/';
const RECHECK_MS = 500;

export class CrdController {
  private readonly registry: Registry;
  private readonly loop: KeyedLoop;
  private stopWatch?: () => void;

  constructor(registry: Registry, log: Logger) {
    this.registry = registry;
    this.loop = new KeyedLoop((name) => this.sync(name), (name, err) => log.warn({ crd: name, err: String(err) }, 'CRD reconcile failed; retrying'));
  }

  /** Publishes every stored CRD that was Established, so custom resources are served from the first request. */
  async start(): Promise<void> {
    const all = this.crds();
    for (const crd of all) if (isEstablished(crd) && !crd.metadata.deletionTimestamp) this.publish(crd);
    this.stopWatch = this.registry.cache.watch(CRD_PREFIX, this.registry.cache.currentRevision(), (event) => {
      this.loop.add(event.entry.object.metadata.name!);
      // A change to one CRD can free or take names another was waiting for.
      for (const other of this.crds()) if (!isEstablished(other)) this.loop.add(other.metadata.name!);
    });
    for (const crd of all) this.loop.add(crd.metadata.name!);
    await this.loop.idle();
  }

  stop(): void {
    this.stopWatch?.();
    this.loop.stop();
  }

  idle(): Promise<void> {
    return this.loop.idle();
  }

  private crds(): Crd[] {
    return this.registry.cache.list(CRD_PREFIX).map((e) => e.object as Crd);
  }

  private publish(crd: Crd): void {
    this.registry.catalog.replaceResource(crd.spec.group, crd.spec.names.plural, crdResourceDefinitions(crd));
  }

  private async sync(name: string) {
    const entry = this.registry.cache.get(`${CRD_PREFIX}/${name}`);
    const store = this.registry.storageStore('apiextensions.k8s.io', 'customresourcedefinitions')!;
    if (!entry) return;
    const crd = entry.object as Crd;
    if (crd.metadata.deletionTimestamp) return this.cleanUp(crd);
    const others = this.crds().filter((c) => c.metadata.name !== name);
    const { conditions, acceptedNames } = crdNamesStatus(crd, others);
    const storage = crd.spec.versions.find((v) => v.storage)?.name;
    const storedVersions = [...new Set([...(crd.status?.storedVersions ?? []), ...(storage ? [storage] : [])])];
    const status = { conditions: mergeConditions(crd.status?.conditions ?? [], conditions), acceptedNames, storedVersions };
    if (JSON.stringify(status) !== JSON.stringify(crd.status)) {
      const updated = await store.update(undefined, name, { ...crd, status }, { warnings: [], fieldManager: 'apiextensions-controller' }, 'status');
      if (isEstablished(updated as Crd)) this.publish(updated as Crd);
      return;
    }
    if (isEstablished(crd)) this.publish(crd);
  }

  private async cleanUp(crd: Crd) {
    const store = this.registry.storageStore('apiextensions.k8s.io', 'customresourcedefinitions')!;
    const resources = this.registry.storageStore(crd.spec.group, crd.spec.names.plural);
    let remaining = 0;
    if (resources) {
      for (const item of resources.listForWatch(undefined)) {
        remaining++;
        if (item.object.metadata.deletionTimestamp) continue;
        try {
          await resources.delete(item.object.metadata.namespace, item.object.metadata.name!, {}, { warnings: [] });
        } catch (err) {
          if (!(err instanceof ApiError && (err.reason === 'NotFound' || err.reason === 'Conflict'))) throw err;
        }
      }
    }
    if (remaining > 0) return { requeueAfterMs: RECHECK_MS };
    this.registry.catalog.replaceResource(crd.spec.group, crd.spec.names.plural, []);
    if (!(crd.metadata.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) return;
    const finalizers = crd.metadata.finalizers!.filter((f) => f !== CRD_CLEANUP_FINALIZER);
    try {
      await store.update(undefined, crd.metadata.name!, { ...crd, metadata: { ...crd.metadata, finalizers } }, { warnings: [], fieldManager: 'apiextensions-controller' });
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
    }
  }
}

function isEstablished(crd: Crd): boolean {
  return (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
}

/** Keeps lastTransitionTime of conditions whose status did not change. */
function mergeConditions(old: CustomResourceDefinitionCondition[], next: CustomResourceDefinitionCondition[]): CustomResourceDefinitionCondition[] {
  return next.map((c) => {
    const before = old.find((o) => o.type === c.type);
    return { ...c, lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : timestamp() };
  });
}
