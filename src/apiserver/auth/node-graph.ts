// What each node may reach through the pods bound to it: for every pod with spec.nodeName set, the
// ConfigMaps and Secrets it references (volumes, projected volume sources, env valueFrom, envFrom,
// image pull secrets). The Node authorizer asks it whether a node has a pod that uses an object.
// Like the RBAC index it follows the watch cache, so a pod bound to a node makes its references
// readable by that node as soon as the server has stored the pod.
import type { Pod, PodSpec } from '../../api/kinds/core.ts';
import type { KubeObject } from '../../api/meta.ts';
import { keyPrefix } from '../registry/catalog.ts';
import type { WatchCache } from '../storage/cache.ts';

export type ReferencedKind = 'configmaps' | 'secrets';

/** Every ConfigMap and Secret a pod reads, as `configmaps/NAME` and `secrets/NAME`. */
export function podReferences(pod: Pod): Set<string> {
  const refs = new Set<string>();
  const add = (kind: ReferencedKind, name: string | undefined) => {
    if (name) refs.add(`${kind}/${name}`);
  };
  const spec: Partial<PodSpec> = pod.spec ?? {};
  for (const v of spec.volumes ?? []) {
    add('configmaps', v.configMap?.name);
    add('secrets', v.secret?.secretName);
    for (const source of v.projected?.sources ?? []) {
      add('configmaps', source.configMap?.name);
      add('secrets', source.secret?.name);
    }
  }
  for (const s of spec.imagePullSecrets ?? []) add('secrets', s.name);
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c.env ?? []) {
      add('configmaps', e.valueFrom?.configMapKeyRef?.name);
      add('secrets', e.valueFrom?.secretKeyRef?.name);
    }
    for (const e of c.envFrom ?? []) {
      add('configmaps', e.configMapRef?.name);
      add('secrets', e.secretRef?.name);
    }
  }
  return refs;
}

const PODS_PREFIX = keyPrefix({ group: '', plural: 'pods' });

export class NodeGraph {
  /** pod key → its node and the objects it references ("namespace/kind/name"). */
  private readonly pods = new Map<string, { node: string; refs: string[] }>();
  /** "namespace/kind/name" → node → how many of the node's pods reference it. */
  private readonly users = new Map<string, Map<string, number>>();

  /** Records a pod (again); a pod not bound to a node reaches nothing. */
  put(pod: KubeObject): void {
    const key = podKey(pod);
    this.remove(pod);
    const p = pod as Pod;
    const node = p.spec?.nodeName;
    if (!node) return;
    const namespace = pod.metadata.namespace ?? '';
    const refs = [...podReferences(p)].map((r) => `${namespace}/${r}`);
    this.pods.set(key, { node, refs });
    for (const ref of refs) {
      let nodes = this.users.get(ref);
      if (!nodes) this.users.set(ref, (nodes = new Map()));
      nodes.set(node, (nodes.get(node) ?? 0) + 1);
    }
  }

  remove(pod: KubeObject): void {
    const key = podKey(pod);
    const known = this.pods.get(key);
    if (!known) return;
    this.pods.delete(key);
    for (const ref of known.refs) {
      const nodes = this.users.get(ref)!;
      const count = nodes.get(known.node)! - 1;
      if (count > 0) nodes.set(known.node, count);
      else nodes.delete(known.node);
      if (nodes.size === 0) this.users.delete(ref);
    }
  }

  /** Whether some pod bound to `node` references the ConfigMap or Secret `namespace/name`. */
  uses(node: string, kind: ReferencedKind, namespace: string, name: string): boolean {
    return (this.users.get(`${namespace}/${kind}/${name}`)?.get(node) ?? 0) > 0;
  }

  /** Loads the pods from the cache and keeps up with it; returns a function that stops following. */
  follow(cache: WatchCache): () => void {
    const revision = cache.currentRevision();
    for (const entry of cache.list(PODS_PREFIX)) this.put(entry.object);
    return cache.watch(PODS_PREFIX, revision, (event) => {
      if (event.type === 'DELETED') this.remove(event.entry.object);
      else this.put(event.entry.object);
    });
  }
}

function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}
