// Stable pod identities. Every pod of a role has a number, unique within the role (ZooKeeper's
// myid, a Kafka broker id). A number belongs to one pod for as long as that pod is wanted, so:
// - scaling or removing one role group never renumbers another group's pods;
// - scaling up takes the lowest numbers nobody holds, scaling down removes a group's highest
//   numbers first (never an arbitrary pod);
// - a number is not handed out again while a pod holding it still exists, even when that pod
//   is being deleted, so two pods never share an identity.
// The numbers live on the pods themselves, in the LABEL_POD_ID label.
import type { KubeObject } from '../api/meta.ts';
import { LABEL_ROLE_GROUP } from './labels.ts';
import { desiredReplicas, type Role } from './roles.ts';

/** The label holding a pod's number within its role. */
export const LABEL_POD_ID = 'granary.dev/pod-id';

export interface PodIdentity {
  roleGroup: string;
  /** 1, 2, ... unique within the role. */
  id: number;
}

/** A pod of the role as it exists now. */
export interface ExistingPod {
  name: string;
  roleGroup: string;
  /** Undefined when the pod carries no valid number. */
  id: number | undefined;
  /** Deletion has begun; the pod still holds its number until it is gone. */
  terminating: boolean;
}

export interface IdPlan {
  /** Every identity that should exist, by id: kept pods and pods to create. */
  desired: PodIdentity[];
  /** Existing pods that stay (including terminating ones, which come back under the same id). */
  keep: ExistingPod[];
  /** Pods to create, by id. */
  create: PodIdentity[];
  /** Pods to delete, highest id first; pods already terminating are never listed. */
  delete: ExistingPod[];
}

/** Reads a pod's group and number from its labels. */
export function existingPod(pod: KubeObject): ExistingPod {
  const labels = pod.metadata.labels ?? {};
  const raw = labels[LABEL_POD_ID];
  const id = raw !== undefined && /^[1-9][0-9]{0,8}$/.test(raw) ? Number(raw) : undefined;
  return {
    name: pod.metadata.name ?? '',
    roleGroup: labels[LABEL_ROLE_GROUP] ?? '',
    id,
    terminating: pod.metadata.deletionTimestamp !== undefined,
  };
}

/** The id plan for `role` given its pods now: `planPodIds` with each group's desired replicas. */
export function desiredPods<T>(role: Role<T>, existing: readonly ExistingPod[] = [], remembered: readonly PodIdentity[] = []): IdPlan {
  return planPodIds(existing, desiredReplicas(role), remembered);
}

/**
 * Decides which pods of one role to keep, create and delete so that each role group has
 * `replicas[group]` pods. `existing` must be the pods of this role only (one instance, one
 * component). Pods of groups not in `replicas`, pods without a valid number and all but one pod
 * claiming the same number are deleted.
 *
 * A terminating pod counts as one of its group's pods: when it is within the group's count, its
 * number is kept for its replacement, and no extra pod is created meanwhile.
 *
 * `remembered` are identities the role had before (the owner's status records them). One whose
 * pod is gone (restarted, crashed, deleted by hand) still belongs to its group: a group keeps the
 * lowest numbers among those its pods hold and those it remembers, so a pod restarted in the
 * middle of a scale-down comes back under its own number instead of leaving its place to a
 * higher one that is on its way out.
 */
export function planPodIds(existing: readonly ExistingPod[], replicas: Readonly<Record<string, number>>, remembered: readonly PodIdentity[] = []): IdPlan {
  const wanted = (group: string) => Object.hasOwn(replicas, group) && replicas[group] > 0;
  const held = new Set<number>();
  const byGroup = new Map<string, ExistingPod[]>();
  const toDelete: ExistingPod[] = [];

  // Who holds each number: running pods before terminating ones, wanted groups before
  // unwanted ones, then by name, so a duplicate is resolved the same way every time.
  const claimOrder = [...existing].sort((a, b) =>
    Number(a.terminating) - Number(b.terminating) || Number(wanted(b.roleGroup)) - Number(wanted(a.roleGroup)) || compare(a.name, b.name));
  for (const pod of claimOrder) {
    if (pod.id === undefined || held.has(pod.id) || !wanted(pod.roleGroup)) {
      if (pod.id !== undefined) held.add(pod.id);
      toDelete.push(pod);
      continue;
    }
    held.add(pod.id);
    const members = byGroup.get(pod.roleGroup) ?? [];
    members.push(pod);
    byGroup.set(pod.roleGroup, members);
  }

  const keep: ExistingPod[] = [];
  const create: PodIdentity[] = [];
  let nextFree = 1;
  for (const group of Object.keys(replicas).sort(compare)) {
    const members = byGroup.get(group) ?? [];
    const count = Math.max(0, Math.floor(replicas[group]));
    const absent = new Set(remembered.filter((r) => r.roleGroup === group && !held.has(r.id)).map((r) => r.id));
    const kept = new Set([...members.map((m) => m.id!), ...absent].sort((a, b) => a - b).slice(0, count));
    for (const m of members) (kept.has(m.id!) ? keep : toDelete).push(m);
    for (const id of absent) {
      if (!kept.has(id)) continue;
      held.add(id);
      create.push({ roleGroup: group, id });
    }
    for (let missing = count - kept.size; missing > 0; missing--) {
      while (held.has(nextFree)) nextFree++;
      held.add(nextFree);
      create.push({ roleGroup: group, id: nextFree });
    }
  }

  keep.sort((a, b) => a.id! - b.id!);
  create.sort((a, b) => a.id - b.id);
  const desired = [...keep.map((p) => ({ roleGroup: p.roleGroup, id: p.id! })), ...create].sort((a, b) => a.id - b.id);
  const deletions = toDelete
    .filter((p) => !p.terminating)
    .sort((a, b) => (b.id ?? 0) - (a.id ?? 0) || compare(a.name, b.name));
  return { desired, keep, create, delete: deletions };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
