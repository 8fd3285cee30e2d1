// NodeRestriction admission, as Kubernetes': what the Node authorizer cannot see from the request
// line, checked on the object a node's write would store. A node may create and change only its
// own Node (and may not set or change labels under node-restriction.kubernetes.io/, which
// administrators use to steer workloads to trusted nodes), only its own Lease in kube-node-lease,
// and only the status of pods bound to it.
import type { KubeObject } from '../../api/meta.ts';
import type { ResourceAttributes } from './attributes.ts';
import { errors } from '../errors.ts';
import type { WriteCheck } from './escalation.ts';
import { NODE_LEASE_NAMESPACE } from './node-authorizer.ts';

/** Labels only administrators may set on a Node. */
const RESTRICTED_LABEL_PREFIX = 'node-restriction.kubernetes.io/';

type NodeObject = KubeObject;
type PodObject = KubeObject & { spec?: { nodeName?: string } };

/** The check a write by node `node` must pass; undefined when nothing needs checking. */
export function nodeRestriction(node: string, a: ResourceAttributes): WriteCheck | undefined {
  switch (`${a.apiGroup}/${a.resource}`) {
    case '/nodes':
      return (obj, old) => checkNode(node, obj as NodeObject, old as NodeObject | undefined);
    case 'coordination.k8s.io/leases':
      return (obj) => {
        if (obj.metadata.name !== node || obj.metadata.namespace !== NODE_LEASE_NAMESPACE) {
          throw errors.forbidden('leases', 'coordination.k8s.io', obj.metadata.name ?? '', `node ${JSON.stringify(node)} can only access node lease with the same name as the requesting node`);
        }
      };
    case '/pods':
      return (obj, old) => {
        const bound = (old as PodObject | undefined)?.spec?.nodeName;
        if (bound !== node || (obj as PodObject).spec?.nodeName !== node) {
          throw errors.forbidden('pods', '', obj.metadata.name ?? '', `node ${JSON.stringify(node)} can only update pod status for pods with spec.nodeName set to itself`);
        }
      };
    default:
      return undefined;
  }
}

function checkNode(node: string, obj: NodeObject, old: NodeObject | undefined): void {
  const name = obj.metadata.name ?? '';
  if (name !== node) throw errors.forbidden('nodes', '', name, `node ${JSON.stringify(node)} is not allowed to modify node ${JSON.stringify(name)}`);
  const restricted = (labels: Record<string, string> | undefined) =>
    Object.entries(labels ?? {}).filter(([k]) => k.startsWith(RESTRICTED_LABEL_PREFIX) || k.split('/')[0].endsWith(`.${RESTRICTED_LABEL_PREFIX.slice(0, -1)}`));
  const before = new Map(restricted(old?.metadata.labels));
  const after = new Map(restricted(obj.metadata.labels));
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort();
  if (changed.length > 0) {
    throw errors.forbidden('nodes', '', name, `node ${JSON.stringify(node)} is not allowed to modify labels: ${changed.join(', ')}`);
  }
}
