// NodeRestriction admission, as Kubernetes': what the Node authorizer cannot see from the request
// line, checked on the object a node's write would store. A node may create and change only its
// own Node, and on it only the labels a kubelet may set (none under node-restriction.kubernetes.io/,
// which administrators use to steer workloads to trusted nodes, and in the kubernetes.io and k8s.io
// namespaces only the kubelet's own: hostname, os, arch, zone, region, instance type,
// kubelet.kubernetes.io/ and node.kubernetes.io/; so no node-role labels); its taints and
// ownerReferences only when it registers. Beyond Kubernetes, its kubernetes.io/hostname label must
// be its own name, so that no node can pass for another in placement (spreading and anti-affinity
// go by that label). It may write only its own Lease in kube-node-lease, and the status only of
// pods bound to it.
import { isDeepStrictEqual } from 'node:util';
import type { ResourceAttributes } from './attributes.ts';
import { errors } from '../errors.ts';
import type { WriteCheck } from './escalation.ts';
import { NODE_LEASE_NAMESPACE } from './node-authorizer.ts';
import type { Node, Pod } from '../../api/kinds/core.ts';

/** Labels outside the kubernetes.io and k8s.io namespaces are the node's own; inside them, only these. */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname', 'kubernetes.io/os', 'kubernetes.io/arch', 'beta.kubernetes.io/os', 'beta.kubernetes.io/arch',
  'topology.kubernetes.io/zone', 'topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region', 'beta.kubernetes.io/instance-type', 'node.kubernetes.io/instance-type',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];
const HOSTNAME_LABEL = 'kubernetes.io/hostname';

const labelNamespace = (key: string) => (key.includes('/') ? key.slice(0, key.indexOf('/')) : '');
const inNamespace = (namespace: string, domain: string) => namespace === domain || namespace.endsWith(`.${domain}`);

/** Whether a node may set, change or remove this label on itself. */
function nodeMaySet(key: string): boolean {
  const namespace = labelNamespace(key);
  if (inNamespace(namespace, 'node-restriction.kubernetes.io')) return false;
  if (!inNamespace(namespace, 'kubernetes.io') && !inNamespace(namespace, 'k8s.io')) return true;
  return KUBELET_LABELS.has(key) || KUBELET_LABEL_NAMESPACES.some((allowed) => inNamespace(namespace, allowed));
}


/** The check a write by node `node` must pass; undefined when nothing needs checking. */
export function nodeRestriction(node: string, a: ResourceAttributes): WriteCheck | undefined {
  switch (`${a.apiGroup}/${a.resource}`) {
    case '/nodes':
      return (obj, old) => checkNode(node, obj as Node, old as Node | undefined);
    case 'coordination.k8s.io/leases':
      return (obj) => {
        if (obj.metadata.name !== node || obj.metadata.namespace !== NODE_LEASE_NAMESPACE) {
          throw errors.forbidden('leases', 'coordination.k8s.io', obj.metadata.name ?? '', `node ${JSON.stringify(node)} can only access node lease with the same name as the requesting node`);
        }
      };
    case '/pods':
      return (obj, old) => {
        const bound = (old as Pod | undefined)?.spec?.nodeName;
        if (bound !== node || (obj as Pod).spec?.nodeName !== node) {
          throw errors.forbidden('pods', '', obj.metadata.name ?? '', `node ${JSON.stringify(node)} can only update pod status for pods with spec.nodeName set to itself`);
        }
      };
    default:
      return undefined;
  }
}

function checkNode(node: string, obj: Node, old: Node | undefined): void {
  const name = obj.metadata.name ?? '';
  const refuse = (why: string) => errors.forbidden('nodes', '', name, why);
  if (name !== node) throw refuse(`node ${JSON.stringify(node)} is not allowed to modify node ${JSON.stringify(name)}`);
  const labels = obj.metadata.labels ?? {};
  const before = old?.metadata.labels ?? {};
  const changed = [...new Set([...Object.keys(labels), ...Object.keys(before)])]
    .filter((k) => !Object.hasOwn(labels, k) || !Object.hasOwn(before, k) || labels[k] !== before[k]);
  const forbidden = changed.filter((k) => !nodeMaySet(k)).sort();
  if (forbidden.length > 0) {
    throw refuse(old
      ? `node ${JSON.stringify(node)} is not allowed to modify labels: ${forbidden.join(', ')}`
      : `node ${JSON.stringify(node)} is not allowed to set the following labels: ${forbidden.join(', ')}`);
  }
  if (changed.includes(HOSTNAME_LABEL) && Object.hasOwn(labels, HOSTNAME_LABEL) && labels[HOSTNAME_LABEL] !== node) {
    throw refuse(`node ${JSON.stringify(node)} may set the ${HOSTNAME_LABEL} label only to its own name, not ${JSON.stringify(labels[HOSTNAME_LABEL])}`);
  }
  if (!old) return;
  if (!isDeepStrictEqual(obj.spec?.taints ?? [], old.spec?.taints ?? [])) throw refuse(`node ${JSON.stringify(node)} is not allowed to modify taints`);
  if (!isDeepStrictEqual(obj.metadata.ownerReferences ?? [], old.metadata.ownerReferences ?? [])) {
    throw refuse(`node ${JSON.stringify(node)} is not allowed to modify ownerReferences`);
  }
}
