// The ZookeeperCluster controller: from the spec to running servers and back to status.
//
//   validate → role group ConfigMaps and the discovery ConfigMap → pods, all missing ones at once
//   → wait until every server is Running and Ready → roll servers whose configuration changed,
//   one at a time, each only while ZooKeeper reports a quorum → remove servers beyond the
//   replicas, one at a time → status (Available from ZooKeeper itself, Progressing, Degraded).
//
// Membership changes (scaling) change every server's zoo.cfg, so they roll through the servers
// like any configuration change; new servers join the running leader meanwhile. Deleting a
// cluster stops its servers, then removes their data directories with a short-lived pod per node
// unless spec.retainDataOnDelete says to keep them.
import type { Condition, KubeObject } from '../../api/meta.ts';
import type { Pod } from '../../api/kinds/core.ts';
import type { KubeClient } from '../../client/client.ts';
import { isNotFound } from '../../client/errors.ts';
import type { Logger } from '../../common/log.ts';
import { setCondition, available, progressing, degraded, isConditionTrue } from '../../runtime/conditions.ts';
import { Controller, generationChanged, type Action } from '../../runtime/controller.ts';
import { EventRecorder } from '../../runtime/events.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizer.ts';
import { appLabels, LABEL_COMPONENT, LABEL_MANAGED_BY, resourceName } from '../../runtime/labels.ts';
import { existingPod } from '../../runtime/pod-identity.ts';
import {
  controllerReference, createMissingPods, deleteExcessPods, deleteIllegalPods, deletePod, isTerminating, ownedPods,
  waitForRunningAndReadyPods, waitForTerminatingPods, type PodContext, type PodProblem,
} from '../../runtime/pods.ts';
import { chain, Continue, Requeue, type StepResult } from '../../runtime/reconcile.ts';
import { API_VERSION, MANAGER, PRODUCT, SERVER_ROLE, serversRole, type ZookeeperCluster } from './crd.ts';
import {
  clusterDataDir, configHash, connectionString, effectiveRole, groupFiles, placementsToRecord, planServers, runningServers, serverImage,
  serverNodes, validateCluster, zookeeperVersion, type ServerPlan,
} from './config.ts';
import { quorumHealth, type QuorumHealth } from './four-letter.ts';
import { CONFIG_HASH_ANNOTATION, configMapName, GRANARY_TOLERATIONS, javaArgs, serverPod } from './pods.ts';

export const FINALIZER = 'zookeeper.granary.dev/cleanup';
const FAST_REQUEUE_MS = 2_000;
/** How often a settled cluster's health is asked again. */
const HEALTH_REQUEUE_MS = 30_000;

export interface ClusterControllerOptions {
  client: KubeClient;
  log: Logger;
  namespace?: string;
}

export function clusterController({ client, log, namespace }: ClusterControllerOptions): Controller<ZookeeperCluster> {
  const clusters = client.resource<ZookeeperCluster>(API_VERSION, 'ZookeeperCluster');
  const pods = client.resource<Pod & KubeObject>('v1', 'Pod');
  const configMaps = client.resource('v1', 'ConfigMap');
  const events = new EventRecorder(client, MANAGER, MANAGER, log);
  const managed = `${LABEL_MANAGED_BY}=${MANAGER}`;

  const controller: Controller<ZookeeperCluster> = new Controller<ZookeeperCluster>({
    name: 'zookeepercluster', client, log, apiVersion: API_VERSION, kind: 'ZookeeperCluster', namespace,
    // Spec changes and the start of deletion; status writes (ours, mostly) are not.
    predicates: [generationChanged],
    reconcile: async (cluster) => reconcile(cluster),
  })
    .owns('v1', 'Pod', { namespace, labelSelector: managed })
    .owns('v1', 'ConfigMap', { namespace, labelSelector: managed })
    // A node that comes, goes or changes readiness may let a waiting server be placed.
    .watches('v1', 'Node', () => controller.store.list().map((c) => ({ namespace: c.metadata.namespace, name: c.metadata.name! })));

  const podsOf = (cluster: ZookeeperCluster): Pod[] =>
    ownedPods({ owner: cluster, pods: controller.storeOf('v1', 'Pod').byOwner(cluster.metadata.uid!) as Pod[] });

  async function reconcile(cluster: ZookeeperCluster): Promise<Action> {
    if (cluster.metadata.deletionTimestamp) return finalize(cluster);
    if (!hasFinalizer(cluster, FINALIZER)) cluster = await addFinalizer(clusters, cluster, FINALIZER);
    const generation = cluster.metadata.generation;
    const validated = validateCluster(cluster);
    if (!validated.ok) {
      await writeStatus(cluster, {}, [
        available(false, 'InvalidSpec', 'the spec has errors, see Degraded', generation),
        progressing(false, 'InvalidSpec', 'nothing is changed until the spec is fixed', generation),
        degraded(true, 'InvalidSpec', validated.problems.join('; '), generation),
      ]);
      return undefined;
    }

    const nodes = serverNodes(controller.storeOf('v1', 'Node').list());
    const owned = podsOf(cluster);
    const { servers, unplaced } = planServers(cluster, nodes, owned);
    const name = cluster.metadata.name!;
    const ns = cluster.metadata.namespace!;
    const version = zookeeperVersion(cluster);
    const labels = (component?: string) => appLabels({ name: PRODUCT, instance: name, version, component, managedBy: MANAGER });
    const owner = [controllerReference(cluster)];

    const hashes: Record<string, string> = {};
    for (const [group, properties] of Object.entries(validated.groups)) {
      const data = groupFiles(properties, servers);
      hashes[group] = configHash([data, serverImage(cluster), javaArgs(cluster, group, properties), properties.env]);
      await configMaps.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: configMapName(cluster, group), namespace: ns, labels: labels(SERVER_ROLE), ownerReferences: owner }, data } as KubeObject, { fieldManager: MANAGER, force: true });
    }
    // Discovery: what clients read to find the ensemble. While stopped it names where the servers will be.
    const everyServer = cluster.spec.stopped ? planServers({ ...cluster, spec: { ...cluster.spec, stopped: false } }, nodes, owned).servers : servers;
    const connect = connectionString(everyServer);
    await configMaps.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: labels(), ownerReferences: owner }, data: { ZOOKEEPER: connect } } as KubeObject, { fieldManager: MANAGER, force: true });

    const serverById = new Map(servers.map((s) => [s.id, s]));
    const ctx: PodContext = {
      owner: cluster, product: PRODUCT, manager: MANAGER, version,
      roles: { [SERVER_ROLE]: effectiveRole(cluster) }, pods: owned, nodes,
      previousPlacements: { [SERVER_ROLE]: servers.map((s) => ({ roleGroup: s.roleGroup, id: s.id, node: s.node })) },
      podApi: pods as never,
      buildPod: (input) => {
        const server = serverById.get(input.id)!;
        return serverPod(cluster, server, validated.groups[input.roleGroup], hashes[input.roleGroup]);
      },
      quorum: !cluster.spec.stopped,
      requeueAfterMs: FAST_REQUEUE_MS,
      problems: [],
      log,
    };
    for (const u of unplaced) ctx.problems.push({ pod: `${SERVER_ROLE} ${u.id}`, reason: 'NoEligibleNode', message: `server ${u.id} (group ${u.roleGroup}) has no node: ${u.reason}` });

    let health: QuorumHealth | undefined;
    const serverPods = owned.filter((p) => p.metadata.labels?.[LABEL_COMPONENT] === SERVER_ROLE);
    // The ensemble as it runs, not as it will be: mid-change, its leader may be a server about to go.
    const checkHealth = async () => (health = await quorumHealth(runningServers(serverPods, nodes)));
    const rollOutdated = async (): Promise<StepResult> => {
      const staying = new Set(servers.map((s) => s.id));
      const outdated = owned.filter((p) => {
        const { roleGroup, id } = existingPod(p);
        return id !== undefined && staying.has(id) && p.metadata.annotations?.[CONFIG_HASH_ANNOTATION] !== hashes[roleGroup];
      });
      if (outdated.length === 0) return Continue;
      if (!(await checkHealth()).healthy) return Requeue(FAST_REQUEUE_MS);
      // The leader goes last: every other restart then costs no election.
      const order = (p: Pod) => (existingPod(p).id === health!.leader ? -1 : existingPod(p).id!);
      const next = outdated.sort((a, b) => order(b) - order(a))[0];
      log.info({ cluster: `${ns}/${name}`, pod: next.metadata.name }, 'restarting a server to apply the new configuration');
      await events.publish(cluster, { type: 'Normal', reason: 'RollingRestart', action: 'Restart', note: `restarting ${next.metadata.name} to apply a new configuration (${health!.message})` });
      await deletePod(pods as never, next);
      return Requeue(FAST_REQUEUE_MS);
    };

    const steps = cluster.spec.stopped
      ? chain(ctx).then(deleteIllegalPods).then(deleteExcessPods).then(waitForTerminatingPods)
      : chain(ctx).then(deleteIllegalPods).then(waitForTerminatingPods).then(createMissingPods)
        .then(waitForRunningAndReadyPods).then(rollOutdated).then(deleteExcessPods);
    const action = await steps.run();
    const settled = action === undefined;

    if (!cluster.spec.stopped && serverPods.length > 0) health ??= await checkHealth();
    const conditions = conditionsFor(cluster, { settled, health, problems: ctx.problems, stopped: cluster.spec.stopped === true, remaining: owned.length });
    await writeStatus(cluster, {
      version, connectionString: connect, servers: placementsToRecord(cluster.status?.servers, servers),
    }, conditions);
    if (ctx.problems.length > 0) {
      await events.publish(cluster, { type: 'Warning', reason: ctx.problems[0].reason, action: 'Reconcile', note: ctx.problems.map((p) => p.message).join('; ').slice(0, 1000) });
    }
    if (action) return action;
    return { requeueAfterMs: health && !health.healthy ? FAST_REQUEUE_MS : HEALTH_REQUEUE_MS };
  }

  /** Status is written only when it changed, so that a settled cluster causes no writes. */
  async function writeStatus(cluster: ZookeeperCluster, fields: Partial<NonNullable<ZookeeperCluster['status']>>, updates: ReturnType<typeof available>[]): Promise<void> {
    let conditions = cluster.status?.conditions as Condition[] | undefined;
    for (const u of updates) conditions = setCondition(conditions, u);
    const status = { ...cluster.status, ...fields, observedGeneration: cluster.metadata.generation, conditions };
    if (JSON.stringify(status) === JSON.stringify(cluster.status)) return;
    await clusters.apply({ apiVersion: API_VERSION, kind: 'ZookeeperCluster', metadata: { name: cluster.metadata.name, namespace: cluster.metadata.namespace }, status } as ZookeeperCluster,
      { fieldManager: MANAGER, force: true, subresource: 'status' });
  }

  /** Deletion: servers stopped, then their data removed (unless retained), then the finalizer. */
  async function finalize(cluster: ZookeeperCluster): Promise<Action> {
    if (!hasFinalizer(cluster, FINALIZER)) return undefined;
    const owned = podsOf(cluster);
    const servers = owned.filter((p) => p.metadata.labels?.[LABEL_COMPONENT] === SERVER_ROLE);
    if (servers.length > 0) {
      for (const pod of servers) if (!isTerminating(pod)) await deletePod(pods as never, pod);
      return { requeueAfterMs: 1000 };
    }
    if (!cluster.spec.retainDataOnDelete) {
      const done = await removeData(cluster);
      if (!done) return { requeueAfterMs: 1000 };
    }
    try {
      await removeFinalizer(clusters, cluster, FINALIZER);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return undefined;
  }

  /** One pod per node that held servers removes the cluster's data directories there; true once all have. */
  async function removeData(cluster: ZookeeperCluster): Promise<boolean> {
    const readyNodes = new Set(serverNodes(controller.storeOf('v1', 'Node').list()).filter((n) => n.ready).map((n) => n.name));
    const usedNodes = [...new Set((cluster.status?.servers ?? []).map((s) => s.node))].filter((n) => readyNodes.has(n)).sort();
    const dirs = [...new Set(Object.keys(serversRole(cluster).roleGroups).map((g) => `{{volumeroot}}/${clusterDataDir(cluster, g)}`))];
    // Read afresh: a cleanup pod created a moment ago may not be in the watch cache yet.
    const listed = await pods.list(cluster.metadata.namespace, { labelSelector: `${LABEL_MANAGED_BY}=${MANAGER},app.kubernetes.io/instance=${cluster.metadata.name},${LABEL_COMPONENT}=cleanup` });
    const cleanupPods = ownedPods({ owner: cluster, pods: listed.items });
    let finished = true;
    for (const node of usedNodes) {
      const podName = resourceName(cluster.metadata.name!, 'cleanup', node);
      const pod = cleanupPods.find((p) => p.metadata.name === podName);
      if (!pod) {
        await pods.create({
          apiVersion: 'v1', kind: 'Pod',
          metadata: {
            name: podName, namespace: cluster.metadata.namespace,
            labels: appLabels({ name: PRODUCT, instance: cluster.metadata.name!, component: 'cleanup', managedBy: MANAGER }),
            ownerReferences: [{ apiVersion: API_VERSION, kind: 'ZookeeperCluster', name: cluster.metadata.name!, uid: cluster.metadata.uid!, controller: true }],
          },
          spec: {
            nodeName: node, restartPolicy: 'OnFailure', tolerations: GRANARY_TOLERATIONS,
            containers: [{ name: 'remove-data', image: serverImage(cluster), command: ['/bin/rm', '-rf', '--', ...dirs] }],
          },
        } as Pod & KubeObject, { fieldManager: MANAGER });
        finished = false;
      } else if (pod.status?.phase !== 'Succeeded') finished = false;
    }
    // Finished cleanup pods stay: the garbage collector removes them with the cluster.
    return finished;
  }

  return controller;
}

interface Observed {
  settled: boolean;
  health?: QuorumHealth;
  problems: PodProblem[];
  stopped: boolean;
  remaining: number;
}

function conditionsFor(cluster: ZookeeperCluster, o: Observed): ReturnType<typeof available>[] {
  const generation = cluster.metadata.generation;
  const problems = o.problems.map((p) => p.message).join('; ');
  const result = [degraded(o.problems.length > 0, o.problems[0]?.reason ?? 'AsExpected', problems || 'no problems', generation)];
  if (o.stopped) {
    result.push(available(false, 'Stopped', 'the cluster is stopped (spec.stopped); its data is kept', generation));
    result.push(progressing(o.remaining > 0, o.remaining > 0 ? 'Stopping' : 'Stopped', o.remaining > 0 ? `${o.remaining} server(s) still stopping` : 'every server is stopped', generation));
    return result;
  }
  if (o.health) result.push(available(o.health.healthy, o.health.healthy ? 'QuorumHealthy' : 'NoQuorum', o.health.message, generation));
  else result.push(available(false, 'NoServers', 'no server is placed yet', generation));
  result.push(progressing(!o.settled, o.settled ? 'Settled' : 'Reconciling', o.settled ? 'every server runs the desired configuration' : 'creating, restarting or removing servers', generation));
  return result;
}

export function isAvailable(cluster: ZookeeperCluster): boolean {
  return isConditionTrue(cluster.status?.conditions as Condition[] | undefined, 'Available');
}

