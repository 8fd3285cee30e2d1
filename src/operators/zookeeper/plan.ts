// What a ZookeeperCluster should be, decided without I/O from the cluster, its pods and the
// nodes: the servers and where they run, each role group's ConfigMap and the discovery
// ConfigMap, the pod set the runtime's pod steps work on, the ensemble to ask about its quorum,
// the servers whose configuration is out of date and the status fields. cluster.ts carries a
// plan out; everything here is a function of its arguments, so tests call it directly.
import type { ConfigMap, Pod } from '../../api/kinds/core.ts';
import { appLabels, LABEL_COMPONENT } from '../../runtime/labels.ts';
import { existingPod } from '../../runtime/pod-identity.ts';
import { controllerReference, excessPods, type PodProblem, type PodSet } from '../../runtime/pods.ts';
import { MANAGER, PRODUCT, SERVER_ROLE, type ServerPlacement, type ZookeeperCluster } from './crd.ts';
import {
  configHash, connectionString, effectiveRole, groupFiles, placementsToRecord, planServers, runningServers, serverImage, serverPaths,
  validateCluster, zookeeperVersion, type ServerAddress, type ServerNode, type ServerPlan,
} from './config.ts';
import type { QuorumHealth } from './four-letter.ts';
import { planMembership } from './membership.ts';
import { CONFIG_HASH_ANNOTATION, configMapName, javaArgs, podClientStage, serverPod } from './pods.ts';
import type { SecretClass } from '../../runtime/secret-class.ts';
import { RESTART_AT_LIFETIME_FRACTION, secretClassesOf, shortestLifetimeSeconds, tlsSettings, type TlsSettings } from './tls.ts';
import { clientsUseTls, currentStages, nextStages, stageSettings, targetStages, type TlsStages } from './tls-stages.ts';

/** Delay of the pod steps' requeues while servers are created, started or removed. */
export const FAST_REQUEUE_MS = 2_000;

export interface ClusterPlan {
  cluster: ZookeeperCluster;
  /** The servers that should run, each placed on a node with its ports. */
  servers: ServerPlan[];
  /** One ConfigMap per role group (zoo.cfg, log4j.properties), then the discovery ConfigMap. */
  configMaps: ConfigMap[];
  /** What the runtime's pod steps work on (pods built from `servers`). */
  pods: PodSet;
  /** The servers running now, to ask whether they have a quorum; undefined while there are none or the cluster is stopped. */
  ensemble?: ServerAddress[];
  /** Pods of servers that stay but were built from an older configuration, to be restarted one at a time. */
  outdated: Pod[];
  /** Pods of servers beyond the replicas (a scale-down), removed before any outdated server restarts. */
  leaving: Pod[];
  /** Why every outdated server restarts at once rather than one at a time (membership.ts); undefined: one at a time. */
  restartAllAtOnce?: string;
  /** What planning found wrong (servers no node fits). */
  problems: PodProblem[];
  /** The status fields the plan decides; `tls`: the TLS stages the servers are built with now. */
  status: { version: string; connectionString: string; servers: ServerPlacement[]; members: number[]; tls: TlsStages };
  /** The next TLS stages (tls-stages.ts), to move to once every server runs the current ones and there is a quorum; undefined: the servers are where the spec wants them. */
  nextTls?: TlsStages;
}

export type PlanResult = { ok: true; plan: ClusterPlan } | { ok: false; problems: string[] };

/**
 * The plan for `cluster`, given its pods (those it controls), the nodes servers may run on and the
 * SecretClasses (by name) its TLS uses; or every problem of its spec. `now` decides which servers
 * are due for new certificates.
 */
export function planCluster(cluster: ZookeeperCluster, pods: readonly Pod[], nodes: readonly ServerNode[], classes: ReadonlyMap<string, SecretClass> = new Map(), now = Date.now()): PlanResult {
  const validated = validateCluster(cluster);
  if (!validated.ok) return { ok: false, problems: validated.problems };
  const { servers, unplaced } = planServers(cluster, nodes, pods);
  const serverPods = pods.filter((p) => p.metadata.labels?.[LABEL_COMPONENT] === SERVER_ROLE);
  // What the servers are built with now: a step of the way from what they ran to what the spec wants.
  const wanted = tlsSettings(cluster);
  const target = targetStages(wanted);
  const stages = currentStages(cluster, target, serverPods.length > 0 && !cluster.spec.stopped);
  const tls = stageSettings(stages, wanted.client);
  const name = cluster.metadata.name!;
  const namespace = cluster.metadata.namespace!;
  const version = zookeeperVersion(cluster);
  const labels = (component?: string) => appLabels({ name: PRODUCT, instance: name, version, component, managedBy: MANAGER });
  const ownerReferences = [controllerReference(cluster)];

  // A new CA (or trust bundle) of a class the servers use restarts them, one at a time.
  const trust = secretClassesOf(tls).map((name) => [name, classes.get(name)?.status?.issuer ?? null, classes.get(name)?.status?.trustBundle ?? null]);
  const hashes: Record<string, string> = {};
  const configMaps: ConfigMap[] = [];
  for (const [group, properties] of Object.entries(validated.groups)) {
    const data = groupFiles(properties, servers, serverPaths(cluster, group), tls, group);
    hashes[group] = configHash([data, serverImage(cluster, group), javaArgs(cluster, group, properties), properties.env, trust]);
    configMaps.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: configMapName(cluster, group), namespace, labels: labels(SERVER_ROLE), ownerReferences }, data });
  }
  // Discovery: what clients read to find the ensemble. While stopped it names where the servers will be.
  const everyServer = cluster.spec.stopped ? planServers({ ...cluster, spec: { ...cluster.spec, stopped: false } }, nodes, pods).servers : servers;
  const connect = connectionString(everyServer);
  const useTls = clientsUseTls(target.client, serverPods.map(podClientStage));
  configMaps.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: labels(), ownerReferences }, data: { ZOOKEEPER: connect, ...discoveryTls(useTls ? tls : {}, classes) } });

  const serverById = new Map(servers.map((s) => [s.id, s]));
  const podSet: PodSet = {
    owner: cluster, product: PRODUCT, manager: MANAGER, version,
    roles: { [SERVER_ROLE]: effectiveRole(cluster) }, pods, nodes,
    previousPlacements: { [SERVER_ROLE]: servers.map((s) => ({ roleGroup: s.roleGroup, id: s.id, node: s.node })) },
    buildPod: (input) => serverPod(cluster, serverById.get(input.id)!, validated.groups[input.roleGroup], hashes[input.roleGroup], tls, servers.length),
    quorum: !cluster.spec.stopped,
    requeueAfterMs: FAST_REQUEUE_MS,
  };
  // The servers running now: a pod being deleted is not asked; with none left there is no ensemble to ask.
  const running = cluster.spec.stopped ? [] : runningServers(serverPods, nodes);
  const outdated = outdatedServers(pods, servers, hashes, shortestLifetimeSeconds(tls, classes), now);
  const leaving = excessPods(podSet);
  const membership = planMembership({ servers: servers.map((s) => s.id), pods: serverPods, outdated, leaving, members: cluster.status?.members ?? [] });
  podSet.mayCreate = (pod) => membership.creatable.has(pod.id);
  return {
    ok: true,
    plan: {
      cluster, servers, configMaps,
      pods: podSet,
      // The ensemble as it runs, not as it will be: mid-change, its leader may be a server about to go.
      ensemble: running.length > 0 ? running : undefined,
      outdated, leaving,
      restartAllAtOnce: membership.restartAllAtOnce,
      problems: [
        ...unplaced.map((u) => ({ pod: `${SERVER_ROLE} ${u.id}`, reason: 'NoEligibleNode', message: `server ${u.id} (group ${u.roleGroup}) has no node: ${u.reason}` })),
        ...secretClassesOf(tls).filter((c) => !classes.get(c)?.status?.trustBundle)
          .map((c) => ({ pod: SERVER_ROLE, reason: 'SecretClassNotReady', message: `SecretClass ${c} does not exist or has no CA yet: servers wait for their certificates` })),
      ],
      status: { version, connectionString: connect, servers: placementsToRecord(cluster.status?.servers, servers), members: membership.members, tls: stages },
      nextTls: nextStages(stages, target),
    },
  };
}

/**
 * Pods of servers that stay whose configuration hash is not their group's current one, or whose
 * certificates are due: ZooKeeper reads them at start only, so a server is restarted (and gets new
 * ones) once its pod has lived RESTART_AT_LIFETIME_FRACTION of the shortest certificate lifetime.
 */
function outdatedServers(pods: readonly Pod[], servers: readonly ServerPlan[], hashes: Readonly<Record<string, string>>, lifetimeSeconds: number | undefined, now: number): Pod[] {
  const staying = new Set(servers.map((s) => s.id));
  const certificatesDue = (p: Pod) => lifetimeSeconds !== undefined && p.metadata.creationTimestamp !== undefined
    && now - Date.parse(p.metadata.creationTimestamp) >= lifetimeSeconds * 1000 * RESTART_AT_LIFETIME_FRACTION;
  return pods.filter((p) => {
    const { roleGroup, id } = existingPod(p);
    return id !== undefined && staying.has(id) && (p.metadata.annotations?.[CONFIG_HASH_ANNOTATION] !== hashes[roleGroup] || certificatesDue(p));
  });
}

/** What the discovery ConfigMap says about TLS: whether clients must use it, which CA to trust, whether they need a certificate. */
function discoveryTls(tls: TlsSettings, classes: ReadonlyMap<string, SecretClass>): Record<string, string> {
  if (!tls.server) return { ZOOKEEPER_TLS: 'false', ZOOKEEPER_CLIENT_AUTH: 'none' };
  return {
    ZOOKEEPER_TLS: 'true',
    ZOOKEEPER_CLIENT_AUTH: tls.client ? 'tls' : 'none',
    ...(tls.client ? { ZOOKEEPER_CLIENT_SECRET_CLASS: tls.client } : {}),
    ZOOKEEPER_SERVER_SECRET_CLASS: tls.server,
    'ca.crt': classes.get(tls.server)?.status?.trustBundle ?? '',
  };
}

/**
 * What to do about outdated servers: nothing when there are none; nothing yet while servers beyond
 * the replicas still run ('later': they are removed first); wait while the ensemble has no quorum;
 * else restart this one. The leader goes last: every other restart then costs no election.
 *
 * Why removals come first: ZooKeeper's leader election counts only votes for members of a server's
 * own configuration, and after a scale-up the leader is usually the highest id (a tie on the zxid
 * goes to the highest id), i.e. a server a scale-down removes. A staying server restarted with the
 * smaller server list would ignore that leader and never serve again, its readiness check would
 * fail, and the roll (and the removals behind it) would wait forever. Removed first, one at a time
 * while the others are Ready, the leaving servers hand the lead to a staying one; as long as the
 * new size is a majority of the old, the staying servers keep a quorum of their old configuration,
 * and each one restarted with the new list votes in both, so every restart ends in a quorum. And
 * no two quorums can form: the servers already on the new list are a minority of the old one's.
 */
export function nextRestart(outdated: readonly Pod[], health: QuorumHealth | undefined, leaving: readonly Pod[]): 'none' | 'later' | 'wait' | Pod {
  if (outdated.length === 0) return 'none';
  if (leaving.length > 0) return 'later';
  if (!health?.healthy) return 'wait';
  // Then the oldest pod first: servers restarted for their certificates come due again in turn,
  // and none may wait behind them until its own certificates expire.
  const isLeader = (p: Pod) => existingPod(p).id === health.leader;
  const created = (p: Pod) => Date.parse(p.metadata.creationTimestamp ?? '') || 0;
  return [...outdated].sort((a, b) => Number(isLeader(a)) - Number(isLeader(b)) || created(a) - created(b) || existingPod(b).id! - existingPod(a).id!)[0];
}

/** The ready nodes that held the cluster's servers, where its data directories are removed on deletion. */
export function nodesHoldingData(cluster: ZookeeperCluster, nodes: readonly ServerNode[]): ServerNode[] {
  const held = new Set((cluster.status?.servers ?? []).map((s) => s.node));
  return nodes.filter((n) => n.ready && held.has(n.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
}
