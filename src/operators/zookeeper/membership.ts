// Changing how many servers an ensemble has, without I/O. ZooKeeper's dynamic reconfiguration is
// not used: every server reads the server list at start, so a membership change is a rolling
// restart, and two changes cannot go one server at a time while keeping a quorum:
//
// - growing from servers that are fewer than a majority of the new list (1 → 2, 1 → 3, 2 → 5):
//   the new servers alone could be a majority of the new list and elect a leader without the data
//   (a single server runs standalone and takes no part in elections at all); the others would
//   then take that leader's empty history. So the servers that ran are restarted with the new
//   list first, all at once (they have no quorum of it without newcomers anyway), and newcomers
//   come in groups smaller than a majority, the next only once those are Ready: every quorum then
//   holds a server with the data, and elections pick the server with the newest data.
// - shrinking to fewer than a majority of the old list (3 → 1, 5 → 2): once the leaving servers
//   are gone (one at a time, each while the others serve, so the last ones to stay were a bare
//   majority that acknowledged every write together), the staying servers can never again form
//   a quorum of the list they run with; they are restarted with the new list, all at once.
//
// Newcomers are also never more than a majority minus one at a time otherwise, so that they can
// only ever join a running leader.
import type { Pod } from '../../api/kinds/core.ts';
import { existingPod } from '../../runtime/pod-identity.ts';
import { isPodReady, isPodRunning, isTerminating } from '../../runtime/pods.ts';

/** On a server pod: how many servers the list it was built with names. */
export const ENSEMBLE_SIZE_ANNOTATION = 'zookeeper.granary.dev/ensemble-size';

export function majority(servers: number): number {
  return Math.floor(servers / 2) + 1;
}

export interface MembershipInput {
  /** The ids of the servers the new list names. */
  servers: readonly number[];
  /** The cluster's server pods. */
  pods: readonly Pod[];
  /** Pods of staying servers built from an older configuration. */
  outdated: readonly Pod[];
  /** Pods of servers beyond the replicas, still to be removed. */
  leaving: readonly Pod[];
  /** Servers that have served (their data is the ensemble's), as the cluster's status recorded them. */
  members: readonly number[];
}

export interface Membership {
  /** Restart every outdated server at once, and why; undefined: one at a time, each while there is a quorum. */
  restartAllAtOnce?: string;
  /** The ids that may be created now (the others wait). */
  creatable: ReadonlySet<number>;
  /** Members from now on: those recorded that the list still names, and every server Ready now. */
  members: number[];
}

export function planMembership(input: MembershipInput): Membership {
  const named = new Set(input.servers);
  const live = input.pods.filter((p) => !isTerminating(p));
  const idOf = (p: Pod) => existingPod(p).id!;
  const members = new Set([...input.members.filter((id) => named.has(id)), ...live.filter(isPodReady).map(idOf).filter((id) => named.has(id))]);
  const outdated = new Set(input.outdated.filter((p) => !isTerminating(p)).map(idOf));
  const size = input.servers.length;
  const liveIds = new Set(live.map(idOf));
  const newcomers = input.servers.filter((id) => !liveIds.has(id) && !members.has(id)).sort((a, b) => a - b);
  const liveMembers = live.filter((p) => members.has(idOf(p)));
  const readyMembers = liveMembers.filter(isPodReady).length;

  let restartAllAtOnce: string | undefined;
  if (newcomers.length > 0 && members.size > 0 && readyMembers < majority(size) && liveMembers.some((p) => outdated.has(idOf(p)))) {
    restartAllAtOnce = `the ${liveMembers.length} running server(s) are fewer than a majority of the ${size} to come: they restart with the new server list before any new server starts`;
  }
  const builtFor = live.map((p) => Number(p.metadata.annotations?.[ENSEMBLE_SIZE_ANNOTATION]));
  if (input.leaving.length === 0 && live.length > 0 && input.servers.every((id) => liveIds.has(id)) && builtFor.every((n) => Number.isInteger(n) && n > 0)
    && live.length < majority(Math.max(...builtFor)) && live.some((p) => outdated.has(idOf(p)))) {
    restartAllAtOnce = `the ${live.length} staying server(s) are fewer than a majority of the ${Math.max(...builtFor)} they ran with and can never form a quorum of it: they restart with the new server list`;
  }

  // Newcomers join a leader the members elected (enough of them serving), or members that all run
  // the new list; never so many at once that they could elect one of their own.
  const creatable = new Set(input.servers.filter((id) => members.has(id)));
  const membersOnNewList = [...members].every((id) => live.some((p) => idOf(p) === id && isPodRunning(p) && !outdated.has(id)));
  if (members.size === 0) {
    for (const id of newcomers) creatable.add(id);
  } else if (readyMembers >= majority(size) || membersOnNewList) {
    const unreadyNewcomers = live.filter((p) => !members.has(idOf(p)) && !isPodReady(p)).length;
    for (const id of newcomers.slice(0, Math.max(0, majority(size) - 1 - unreadyNewcomers))) creatable.add(id);
  }
  return { restartAllAtOnce, creatable, members: [...members].sort((a, b) => a - b) };
}
