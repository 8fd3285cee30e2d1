// Sticky node placement for the pods of one role. Operators bind pods to nodes themselves
// (spec.nodeName): data of stateful products lives on the host, so a pod identity goes back to
// the node it ran on whenever it can, and replicas spread over distinct hosts when they can.
import type { KubeObject } from '../api/meta.ts';
import type { PodIdentity } from './pod-identity.ts';
import { selectorMatches, validateLabelSelector, type LabelSelector } from './selector.ts';

export interface NodeInfo {
  name: string;
  labels: Readonly<Record<string, string>>;
  /** The node's Ready condition is True. */
  ready: boolean;
  /** Cordoned (spec.unschedulable): no new pods. */
  unschedulable: boolean;
}

/** A pod identity to place, with its role group's node selector (absent: any node). */
export interface PlacementRequest extends PodIdentity {
  selector?: LabelSelector;
}

/** Where a pod identity ran (or runs) before. */
export interface PreviousPlacement extends PodIdentity {
  node: string;
}

export interface Placement extends PodIdentity {
  node: string;
  /** The identity kept the node it had before. */
  sticky: boolean;
}

export interface Unplaced extends PodIdentity {
  /** Why no node fits, for the user: says what to change. */
  reason: string;
}

export interface PlacementPlan {
  placed: Placement[];
  unplaced: Unplaced[];
}

export function nodeInfo(node: KubeObject): NodeInfo {
  const status = node.status as { conditions?: { type: string; status: string }[] } | undefined;
  const spec = node.spec as { unschedulable?: boolean } | undefined;
  return {
    name: node.metadata.name ?? '',
    labels: node.metadata.labels ?? {},
    ready: status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    unschedulable: spec?.unschedulable === true,
  };
}

/**
 * Chooses a node for every requested pod identity of one role. A node is eligible for a pod when
 * it is Ready, not cordoned and matches the pod's selector.
 *
 * 1. A pod keeps its previous node while that node is eligible (even when another pod of the
 *    role is there too: moving would lose the data on the host).
 * 2. The other pods go to eligible nodes holding no pod of the role, as many of them as at all
 *    possible (a maximum matching, so one group's choice never crowds out another group that
 *    has fewer eligible nodes).
 * 3. Pods that still have no node share: each takes the eligible node with the fewest pods of
 *    the role.
 * Ties go to the node whose name sorts first; pods are handled by id. The same input always
 * gives the same plan. Pods with no eligible node are returned in `unplaced` with the reason.
 */
export function placePods(desired: readonly PlacementRequest[], nodes: readonly NodeInfo[], previous: readonly PreviousPlacement[]): PlacementPlan {
  const sortedNodes = [...nodes].sort((a, b) => compare(a.name, b.name));
  const requests = [...desired].sort((a, b) => a.id - b.id);
  const eligibleFor = eligibility(sortedNodes);
  const previousNode = new Map(previous.map((p) => [identityKey(p), p.node]));
  const load = new Map<string, number>();
  const nodeOf = new Map<PlacementRequest, { node: string; sticky: boolean }>();
  const assign = (req: PlacementRequest, node: string, sticky: boolean) => {
    nodeOf.set(req, { node, sticky });
    load.set(node, (load.get(node) ?? 0) + 1);
  };

  const unplaced: Unplaced[] = [];
  const open: PlacementRequest[] = [];
  for (const req of requests) {
    const eligible = eligibleFor(req.selector);
    if (typeof eligible === 'string') {
      unplaced.push({ roleGroup: req.roleGroup, id: req.id, reason: eligible });
      continue;
    }
    const before = previousNode.get(identityKey(req));
    if (before !== undefined && eligible.some((n) => n.name === before)) assign(req, before, true);
    else open.push(req);
  }

  const spread = matchToEmptyNodes(open, (req) => (eligibleFor(req.selector) as NodeInfo[]).filter((n) => !load.has(n.name)));
  for (const req of open) {
    const node = spread.get(req);
    if (node !== undefined) assign(req, node, false);
  }
  for (const req of open) {
    if (nodeOf.has(req)) continue;
    const eligible = eligibleFor(req.selector) as NodeInfo[];
    let best = eligible[0].name;
    for (const n of eligible) if ((load.get(n.name) ?? 0) < (load.get(best) ?? 0)) best = n.name;
    assign(req, best, false);
  }

  const placed = requests.filter((r) => nodeOf.has(r)).map((r) => ({ roleGroup: r.roleGroup, id: r.id, ...nodeOf.get(r)! }));
  return { placed, unplaced };
}

/**
 * Per selector, the eligible nodes in name order, or why there are none. Computed once per
 * selector object, since all pods of a role group share theirs.
 */
function eligibility(nodes: readonly NodeInfo[]): (selector: LabelSelector | undefined) => NodeInfo[] | string {
  const usable = nodes.filter((n) => n.ready && !n.unschedulable);
  const cache = new Map<LabelSelector | undefined, NodeInfo[] | string>();
  return (selector) => {
    let result = cache.get(selector);
    if (result === undefined) {
      result = computeEligible(usable, nodes.length, selector);
      cache.set(selector, result);
    }
    return result;
  };
}

function computeEligible(usable: NodeInfo[], total: number, selector: LabelSelector | undefined): NodeInfo[] | string {
  if (selector) {
    const problems = validateLabelSelector(selector);
    if (problems.length > 0) return `the role group's node selector is invalid: ${problems.join('; ')}`;
  }
  const eligible = selector ? usable.filter((n) => selectorMatches(selector, n.labels)) : usable;
  if (eligible.length > 0) return eligible;
  if (total === 0) return 'there are no nodes: register a node (start the granary agent on a host)';
  if (usable.length === 0) return `none of the ${total} nodes is Ready and schedulable: check the nodes and their agents`;
  return `no Ready, schedulable node matches the role group's node selector: label a node to match it or change the selector`;
}

/**
 * A maximum matching of pods to distinct nodes (augmenting paths, Kuhn's algorithm). Pods are
 * tried in the given order and nodes in the order `candidates` lists them, and a free node is
 * always taken before trying to move another pod, so the result is deterministic and a pod only
 * moves off a node when that lets one more pod have a node of its own.
 */
function matchToEmptyNodes<P>(pods: readonly P[], candidates: (pod: P) => NodeInfo[]): Map<P, string> {
  const candidateNames = new Map(pods.map((p) => [p, candidates(p).map((n) => n.name)]));
  const holder = new Map<string, P>();
  // Nodes from which a failed search found no free node stay hopeless until the matching
  // changes, so the set is only cleared after a success: failures cost one search in total.
  let visited = new Set<string>();
  const tryPlace = (pod: P): boolean => {
    const names = candidateNames.get(pod)!;
    for (const node of names) {
      if (holder.has(node) || visited.has(node)) continue;
      visited.add(node);
      holder.set(node, pod);
      return true;
    }
    for (const node of names) {
      if (visited.has(node)) continue;
      visited.add(node);
      if (tryPlace(holder.get(node)!)) {
        holder.set(node, pod);
        return true;
      }
    }
    return false;
  };
  for (const pod of pods) if (tryPlace(pod)) visited = new Set();
  return new Map([...holder].map(([node, pod]) => [pod, node]));
}

function identityKey(p: PodIdentity): string {
  return `${p.roleGroup}/${p.id}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
