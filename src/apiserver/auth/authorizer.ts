// Authorization as Kubernetes' --authorization-mode=Node,RBAC, after system:masters: the Node
// authorizer (what a node agent's pods and node need) and RBAC (everyone, nodes too), each over
// an index the API server's watch cache keeps current.
import type { WatchCache } from '../storage/cache.ts';
import type { Attributes, Decision } from './attributes.ts';
import { NodeAuthorizer, type PodNodeLookup } from './node-authorizer.ts';
import { NodeGraph } from './node-graph.ts';
import { PolicyIndex } from './policy-index.ts';
import { RbacAuthorizer } from './rbac-authorizer.ts';
import { isPrivileged, type UserInfo } from './user.ts';

export class Authorizer {
  /** The RBAC objects, indexed (the escalation check reads them too). */
  readonly index = new PolicyIndex();
  readonly rbac = new RbacAuthorizer(this.index);
  private readonly graph = new NodeGraph();
  private readonly nodes: NodeAuthorizer;

  constructor(podNode: PodNodeLookup) {
    this.nodes = new NodeAuthorizer(this.graph, podNode);
  }

  /** Keeps the RBAC index and the node graph current from the watch cache; returns what stops that. */
  follow(cache: WatchCache): () => void {
    const stops = [this.index.follow(cache), this.graph.follow(cache)];
    return () => stops.forEach((stop) => stop());
  }

  /**
   * system:masters first (never refused), then the Node authorizer, then RBAC: allowed when either
   * allows. A node refused by both hears why the Node authorizer said no.
   */
  authorize(user: UserInfo, a: Attributes): Decision {
    if (isPrivileged(user)) return { allowed: true, reason: '' };
    const node = this.nodes.authorize(user, a);
    if (node?.allowed) return node;
    const rbac = this.rbac.authorize(user, a);
    if (rbac.allowed || !node?.reason) return rbac;
    return node;
  }
}
