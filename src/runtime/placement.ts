// Sticky node placement for the pods of one role. Operators bind pods to nodes themselves
// (spec.nodeName): data of stateful products lives on the host, so a pod identity goes back to
// the node it ran on whenever it can, and replicas spread over distinct hosts when they can.
import type { KubeObject } from '../api/meta.ts';
import type { PodIdentity } from './pod-identity.ts';
import { compileLabelSelector, type LabelSelector } from './selector.ts';

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
  const nodeIndex = new Map(sortedNodes.map((n, i) => [n.name, i]));
  const requests = [...desired].sort((a, b) => a.id - b.id);
  const eligibleFor = eligibility(sortedNodes);
  const previousNode = new Map(previous.map((p) => [identityKey(p), p.node]));
  const load = new Int32Array(sortedNodes.length);
  const nodeOf = new Map<PlacementRequest, { node: number; sticky: boolean }>();
  const assign = (req: PlacementRequest, node: number, sticky: boolean) => {
    nodeOf.set(req, { node, sticky });
    load[node]++;
  };

  const unplaced: Unplaced[] = [];
  const open: PlacementRequest[] = [];
  for (const req of requests) {
    const eligible = eligibleFor(req.selector);
    if (typeof eligible === 'string') {
      unplaced.push({ roleGroup: req.roleGroup, id: req.id, reason: eligible });
      continue;
    }
    const before = nodeIndex.get(previousNode.get(identityKey(req)) ?? '');
    if (before !== undefined && eligible.members.has(before)) assign(req, before, true);
    else open.push(req);
  }

  // Empty nodes per selector, shared by the pods of a group like the eligibility itself.
  const emptyLists = new Map<LabelSelector | undefined, number[]>();
  const emptyFor = (req: PlacementRequest) => {
    let list = emptyLists.get(req.selector);
    if (!list) {
      list = (eligibleFor(req.selector) as Eligible).nodes.filter((n) => load[n] === 0);
      emptyLists.set(req.selector, list);
    }
    return list;
  };
  const spread = matchToEmptyNodes(open.map(emptyFor), sortedNodes.length);
  open.forEach((req, i) => {
    if (spread[i] >= 0) assign(req, spread[i], false);
  });
  for (const req of open) {
    if (nodeOf.has(req)) continue;
    const eligible = (eligibleFor(req.selector) as Eligible).nodes;
    let best = eligible[0];
    for (const n of eligible) if (load[n] < load[best]) best = n;
    assign(req, best, false);
  }

  const placed = requests.filter((r) => nodeOf.has(r)).map((r) => {
    const { node, sticky } = nodeOf.get(r)!;
    return { roleGroup: r.roleGroup, id: r.id, node: sortedNodes[node].name, sticky };
  });
  return { placed, unplaced };
}

/** Indexes of eligible nodes, ascending (so in name order). */
interface Eligible {
  nodes: number[];
  members: Set<number>;
}

/**
 * Per selector, the eligible nodes, or why there are none. Computed once per selector object,
 * since all pods of a role group share theirs.
 */
function eligibility(nodes: readonly NodeInfo[]): (selector: LabelSelector | undefined) => Eligible | string {
  const cache = new Map<LabelSelector | undefined, Eligible | string>();
  return (selector) => {
    let result = cache.get(selector);
    if (result === undefined) {
      result = computeEligible(nodes, selector);
      cache.set(selector, result);
    }
    return result;
  };
}

function computeEligible(nodes: readonly NodeInfo[], selector: LabelSelector | undefined): Eligible | string {
  const compiled = selector ? compileLabelSelector(selector) : undefined;
  if (compiled && !compiled.ok) return `the role group's node selector is invalid: ${compiled.problems.join('; ')}`;
  const usable = (n: NodeInfo) => n.ready && !n.unschedulable;
  const eligible: number[] = [];
  nodes.forEach((n, i) => {
    if (usable(n) && (!compiled || compiled.matches(n.labels))) eligible.push(i);
  });
  if (eligible.length > 0) return { nodes: eligible, members: new Set(eligible) };
  if (nodes.length === 0) return 'there are no nodes: register a node (start the granary agent on a host)';
  if (!nodes.some(usable)) return `none of the ${nodes.length} nodes is Ready and schedulable: check the nodes and their agents`;
  return 'no Ready, schedulable node matches the role group\'s node selector: label a node to match it or change the selector';
}

/**
 * A maximum matching of pods to distinct nodes (augmenting paths, Kuhn's algorithm), returning
 * each pod's node index or -1. Pods are tried in order and each pod's candidates in the order
 * given, and a free node is always taken before moving another pod, so the result is
 * deterministic and a pod only moves when that lets one more pod have a node of its own.
 * Pods given the same candidate array share a cursor past its taken nodes, so the common case
 * (enough nodes for everyone) takes linear time; the search uses an explicit stack, so
 * thousands of nodes cannot overflow the call stack.
 */
function matchToEmptyNodes(candidates: readonly number[][], nodeCount: number): Int32Array {
  const nodeOfPod = new Int32Array(candidates.length).fill(-1);
  const podOnNode = new Int32Array(nodeCount).fill(-1);
  const cursors = new Map<number[], number>();
  // Nodes from which a failed search found no free node stay hopeless until the matching
  // changes, so they stay marked until the next success: failures cost one search in total.
  const seen = new Uint32Array(nodeCount);
  let epoch = 1;

  const firstFree = (pod: number): number => {
    const list = candidates[pod];
    let i = cursors.get(list) ?? 0;
    while (i < list.length && podOnNode[list[i]] >= 0) i++;
    cursors.set(list, i);
    return i < list.length ? list[i] : -1;
  };
  const take = (pod: number, node: number) => {
    podOnNode[node] = pod;
    nodeOfPod[pod] = node;
  };

  for (let start = 0; start < candidates.length; start++) {
    // path[k] is a pod; via[k] the node of path[k-1] it would move to make room (k > 0).
    const path = [start];
    const via = [-1];
    const position = [0];
    let found = false;
    while (path.length > 0 && !found) {
      const top = path.length - 1;
      const pod = path[top];
      if (position[top] === 0) {
        const free = firstFree(pod);
        if (free >= 0) {
          take(pod, free);
          for (let k = top; k > 0; k--) take(path[k - 1], via[k]);
          found = true;
          break;
        }
      }
      const list = candidates[pod];
      while (position[top] < list.length && seen[list[position[top]]] === epoch) position[top]++;
      if (position[top] === list.length) {
        path.pop();
        via.pop();
        position.pop();
        continue;
      }
      const node = list[position[top]++];
      seen[node] = epoch;
      path.push(podOnNode[node]);
      via.push(node);
      position.push(0);
    }
    if (found) epoch++;
  }
  return nodeOfPod;
}

function identityKey(p: PodIdentity): string {
  return `${p.roleGroup}/${p.id}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
