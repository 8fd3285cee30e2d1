// The Node authorizer, as Kubernetes' (--authorization-mode=Node,RBAC): a node agent, user
// `system:node:NAME` in group `system:nodes`, may do what running its pods takes and nothing
// else — register and update its own Node and its Lease, post events, read the pods bound to it
// (a list or watch only with fieldSelector spec.nodeName=NAME), update their status and confirm
// their deletion, and read the ConfigMaps and Secrets those pods reference. The package
// repositories (cluster-scoped custom resources) and RuntimeClasses are readable by every node, and a node may
// create and read CertificateSigningRequests (to renew its certificate), and TokenReviews and
// SubjectAccessReviews (to check who calls its own endpoint). For anything else
// it has no opinion and RBAC decides. Which object a create names is not known here: the
// NodeRestriction admission check (node-restriction.ts) sees the body and refuses another node's.
import type { KubeObject } from '../../api/meta.ts';
import type { Decision, ResourceAttributes, Attributes } from './attributes.ts';
import type { NodeGraph } from './node-graph.ts';
import type { UserInfo } from './user.ts';

export const NODES_GROUP = 'system:nodes';
const NODE_USER_PREFIX = 'system:node:';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/**
 * Cluster-scoped resources every node reads: where its packages come from, the runtime classes
 * of its pods (Kubernetes' system:node role grants kubelets the same), and the secret classes of
 * its pods' certificate volumes (their trust bundles).
 */
const NODE_READABLE = new Set(['packages.granary.dev/packagerepositories', 'node.k8s.io/runtimeclasses', 'secrets.granary.dev/secretclasses']);

const READ = new Set(['get', 'list', 'watch']);

/** The user name Kubernetes gives a node's credential. */
export function nodeUsername(nodeName: string): string {
  return `${NODE_USER_PREFIX}${nodeName}`;
}

/** The node a user is, when it is one (user system:node:NAME in group system:nodes). */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.username.startsWith(NODE_USER_PREFIX) || !user.groups.includes(NODES_GROUP)) return undefined;
  const name = user.username.slice(NODE_USER_PREFIX.length);
  return name === '' ? undefined : name;
}

/** The node a pod is bound to, or undefined when there is no such pod (or it is not bound). */
export type PodNodeLookup = (namespace: string, name: string) => string | undefined;

export function podNodeLookup(lookup: (namespace: string, name: string) => KubeObject | undefined): PodNodeLookup {
  return (namespace, name) => (lookup(namespace, name) as { spec?: { nodeName?: string } } | undefined)?.spec?.nodeName || undefined;
}

const ALLOW: Decision = { allowed: true, reason: '' };

export class NodeAuthorizer {
  private readonly graph: NodeGraph;
  private readonly podNode: PodNodeLookup;

  constructor(graph: NodeGraph, podNode: PodNodeLookup) {
    this.graph = graph;
    this.podNode = podNode;
  }

  /**
   * Undefined when the user is not a node (no opinion). For a node, allowed or not, with the
   * reason Kubernetes gives when it is not (for the 403 should RBAC not allow it either).
   */
  authorize(user: UserInfo, a: Attributes): Decision | undefined {
    const node = nodeNameOf(user);
    if (node === undefined) return undefined;
    if (a.kind !== 'resource') return { allowed: false, reason: '' };
    switch (`${a.apiGroup}/${a.resource}`) {
      case '/nodes':
        return this.nodeObject(node, a);
      case 'coordination.k8s.io/leases':
        return this.lease(node, a);
      case '/events':
      case 'events.k8s.io/events':
        return a.subresource === '' && ['create', 'update', 'patch'].includes(a.verb) ? ALLOW : { allowed: false, reason: '' };
      case '/pods':
        return this.pod(node, a);
      case '/configmaps':
        return this.referenced(node, 'configmaps', a);
      case '/secrets':
        return this.referenced(node, 'secrets', a);
      case 'authentication.k8s.io/tokenreviews':
      case 'authorization.k8s.io/subjectaccessreviews':
        // The agent checks who scrapes its metrics or reads its logs, as a kubelet does (Kubernetes' node rules).
        return a.subresource === '' && a.verb === 'create' ? ALLOW : { allowed: false, reason: '' };
      case 'certificates.k8s.io/certificatesigningrequests':
        // Asking for its next client certificate and following the request (as Kubernetes' node rules).
        return a.subresource === '' && ['create', ...READ].includes(a.verb) ? ALLOW : { allowed: false, reason: '' };
      default:
        if (NODE_READABLE.has(`${a.apiGroup}/${a.resource}`) && a.subresource === '' && READ.has(a.verb)) return ALLOW;
        return { allowed: false, reason: '' };
    }
  }

  /** Its own Node and its status; creating one is checked by admission (the name is in the body). */
  private nodeObject(node: string, a: ResourceAttributes): Decision {
    const verbs = a.subresource === '' ? ['get', 'list', 'watch', 'update', 'patch', 'delete'] : a.subresource === 'status' ? ['get', 'update', 'patch'] : [];
    if (a.subresource === '' && a.verb === 'create') return ALLOW;
    if (!verbs.includes(a.verb)) return { allowed: false, reason: '' };
    if (a.name === node) return ALLOW;
    if (!a.name) return { allowed: false, reason: `node '${node}' can only ${a.verb} its own Node (fieldSelector metadata.name=${node})` };
    return { allowed: false, reason: `node '${node}' cannot ${a.verb} node '${a.name}'` };
  }

  /** Its own Lease in kube-node-lease. */
  private lease(node: string, a: ResourceAttributes): Decision {
    if (a.namespace !== NODE_LEASE_NAMESPACE || a.subresource !== '') return { allowed: false, reason: '' };
    if (a.verb === 'create') return ALLOW;
    if (!['get', 'list', 'watch', 'update', 'patch', 'delete'].includes(a.verb)) return { allowed: false, reason: '' };
    if (a.name === node) return ALLOW;
    return { allowed: false, reason: `can only access node lease with the same name as the requesting node` };
  }

  /**
   * Pods bound to it: get, delete (confirming a graceful deletion), status, eviction; a list or
   * watch only of its own (fieldSelector spec.nodeName=NAME), or of one pod bound to it.
   */
  private pod(node: string, a: ResourceAttributes): Decision {
    const noRelationship = { allowed: false, reason: `no relationship found between node '${node}' and this object` };
    if (a.subresource === '' && (a.verb === 'list' || a.verb === 'watch') && !a.name) {
      const own = a.fieldSelector?.some((r) => r.field === 'spec.nodeName' && r.operator === '=' && r.value === node);
      return own ? ALLOW : { allowed: false, reason: `can only list/watch pods with spec.nodeName field selector` };
    }
    const verbs = a.subresource === '' ? ['get', 'list', 'watch', 'delete'] : a.subresource === 'status' ? ['get', 'update', 'patch'] : a.subresource === 'eviction' ? ['create'] : [];
    if (!verbs.includes(a.verb) || !a.name) return { allowed: false, reason: '' };
    return this.podNode(a.namespace, a.name) === node ? ALLOW : noRelationship;
  }

  /** A ConfigMap or Secret, by name, that a pod bound to it references. */
  private referenced(node: string, kind: 'configmaps' | 'secrets', a: ResourceAttributes): Decision {
    if (a.subresource !== '' || !READ.has(a.verb) || !a.name || !a.namespace) return { allowed: false, reason: '' };
    if (this.graph.uses(node, kind, a.namespace, a.name)) return ALLOW;
    return { allowed: false, reason: `no relationship found between node '${node}' and this object` };
  }
}
