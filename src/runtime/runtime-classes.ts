// The RuntimeClasses (node.k8s.io/v1) Granary defines, one per way a pod can run: its handler is
// what a node's runtime must run, its scheduling constraints make a real cluster place such pods
// on nodes with that runtime (Granary agents label themselves runtime.granary.dev/<runtime>; a
// kubelet node that runs Granary's container pods needs runtime.granary.dev/container=true).
import type { RuntimeClass } from '../api/kinds/node.ts';
import { RUNTIME_LABEL_PREFIX } from './labels.ts';
import { GRANARY_TOLERATIONS } from './pods.ts';
import type { GroupRuntime } from './roles.ts';

/** The RuntimeClass a pod of each kind names in spec.runtimeClassName. */
export const RUNTIME_CLASS_NAMES: Record<GroupRuntime, string> = { container: 'granary-container', package: 'granary-package' };

/** The handler of each RuntimeClass: containerd's runc for containers (as on a kubelet), Granary's package runtimes for packages. */
export const RUNTIME_HANDLERS: Record<GroupRuntime, string> = { container: 'runc', package: 'granary-package' };

export function granaryRuntimeClasses(): RuntimeClass[] {
  return (Object.keys(RUNTIME_CLASS_NAMES) as GroupRuntime[]).map((kind): RuntimeClass => ({
    apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass',
    metadata: { name: RUNTIME_CLASS_NAMES[kind], labels: { 'app.kubernetes.io/managed-by': 'granary' } },
    handler: RUNTIME_HANDLERS[kind],
    scheduling: { nodeSelector: { [`${RUNTIME_LABEL_PREFIX}${kind}`]: 'true' }, tolerations: GRANARY_TOLERATIONS },
  }));
}
