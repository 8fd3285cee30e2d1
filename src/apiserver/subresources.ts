// Subresources that are more than a read or write of the object: binding a pod to a node, and
// a namespace's finalize.
import type { KubeObject } from '../api/meta.ts';
import { errors } from './errors.ts';
import { sendJson } from './http/codec.ts';
import type { SubresourceHandler } from './http/handler.ts';
import { timestamp } from './registry/store.ts';

type Binding = { metadata?: { name?: string }; target?: { kind?: string; name?: string } };
type Pod = KubeObject & { spec?: { nodeName?: string }; status?: { conditions?: { type: string }[] } };

/** POST pods/{name}/binding: sets spec.nodeName once, and records PodScheduled. */
export const podBinding: SubresourceHandler = async ({ info, store, body, opts, res, req }) => {
  if (req.method !== 'POST') throw errors.methodNotAllowed('pods/binding accepts POST only');
  const binding = (await body()) as Binding;
  const node = binding?.target?.name;
  if (!node) throw errors.invalid({ group: '', kind: 'Binding', name: info.name }, [{ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
  if (binding.target?.kind && binding.target.kind !== 'Node') {
    throw errors.invalid({ group: '', kind: 'Binding', name: info.name }, [{ reason: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: ${JSON.stringify(binding.target.kind)}: supported values: "Node"` }]);
  }
  for (let attempt = 0; ; attempt++) {
    const pod = structuredClone(store.get(info.namespace, info.name!)) as Pod;
    if (pod.metadata.deletionTimestamp) throw errors.conflict('pods', '', info.name!, 'pod is being deleted, cannot be assigned to a host');
    if (pod.spec?.nodeName) throw errors.conflict('pods', '', info.name!, `pod ${info.name} is already assigned to node "${pod.spec.nodeName}"`);
    pod.spec = { ...pod.spec, nodeName: node };
    const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    pod.status = { ...pod.status, conditions: [...conditions, { type: 'PodScheduled', status: 'True', lastTransitionTime: timestamp() } as { type: string }] };
    try {
      await store.bind(pod, opts);
      break;
    } catch (err) {
      if (attempt < 3 && (err as { reason?: string }).reason === 'Conflict') continue;
      throw err;
    }
  }
  sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
};

/** PUT namespaces/{name}/finalize: replaces spec.finalizers only. */
export const namespaceFinalize: SubresourceHandler = async ({ info, store, body, opts, res, req }) => {
  if (req.method !== 'PUT') throw errors.methodNotAllowed('namespaces/finalize accepts PUT only');
  const updated = await store.update(undefined, info.name!, (await body()) as KubeObject, opts, 'finalize');
  sendJson(res, 200, updated);
};
