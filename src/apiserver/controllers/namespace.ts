// Namespace deletion: once a namespace is marked for deletion, delete everything in it, wait for
// those objects to be gone (finalizers, graceful pod deletion), then release the namespace's own
// "kubernetes" finalizer so the namespace itself is removed.
import type { Namespace } from '../../api/kinds/core.ts';
import { ApiError } from '../errors.ts';
import type { Registry } from '../registry/registry.ts';
import { NAMESPACE_FINALIZER } from '../registry/strategies/namespace.ts';
import type { Logger } from '../../common/log.ts';
import { KeyedLoop } from './work-queue.ts';

const NAMESPACE_PREFIX = '/core/namespaces/';
const RECHECK_MS = 1000;

export class NamespaceController {
  private readonly registry: Registry;
  private readonly loop: KeyedLoop;
  private stopWatch?: () => void;

  constructor(registry: Registry, log: Logger) {
    this.registry = registry;
    this.loop = new KeyedLoop((name) => this.sync(name), (name, err) => log.warn({ namespace: name, err: String(err) }, 'namespace cleanup failed; retrying'));
  }

  start(): void {
    const namespaces = this.registry.storageStore('', 'namespaces')!;
    for (const entry of namespaces.listForWatch(undefined)) if (entry.object.metadata.deletionTimestamp) this.loop.add(entry.object.metadata.name!);
    this.stopWatch = this.registry.cache.watch(NAMESPACE_PREFIX, this.registry.cache.currentRevision(), (event) => {
      if (event.type !== 'DELETED' && event.entry.object.metadata.deletionTimestamp) this.loop.add(event.entry.object.metadata.name!);
    });
  }

  stop(): void {
    this.stopWatch?.();
    this.loop.stop();
  }

  private async sync(name: string) {
    const namespaces = this.registry.storageStore('', 'namespaces')!;
    const entry = this.registry.cache.get(`${NAMESPACE_PREFIX}/${name}`);
    const ns = entry?.object as Namespace | undefined;
    if (!ns?.metadata.deletionTimestamp || !(ns.spec?.finalizers ?? []).includes(NAMESPACE_FINALIZER)) return;
    let remaining = 0;
    for (const def of this.registry.storedResources()) {
      if (!def.namespaced) continue;
      const store = this.registry.storeFor(def);
      for (const item of store.listForWatch(name)) {
        remaining++;
        if (item.object.metadata.deletionTimestamp) continue;
        try {
          await store.delete(name, item.object.metadata.name!, {}, { warnings: [] });
        } catch (err) {
          if (!(err instanceof ApiError && (err.reason === 'NotFound' || err.reason === 'Conflict'))) throw err;
        }
      }
    }
    if (remaining > 0) return { requeueAfterMs: RECHECK_MS };
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER);
    await namespaces.update(undefined, name, { ...ns, spec: { ...ns.spec, finalizers } }, { warnings: [], fieldManager: 'namespace-controller' }, 'finalize');
  }
}
