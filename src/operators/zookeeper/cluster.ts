// The ZookeeperCluster controller: from the spec to running servers and back to status.
//
//   plan (plan.ts, no I/O) → role group ConfigMaps and the discovery ConfigMap → ask the
//   ensemble for its quorum → pods, all missing ones at once → wait until every server is
//   Running and Ready → remove servers beyond the replicas, one at a time → roll servers whose
//   configuration changed, one at a time, each only while ZooKeeper reports a quorum → status
//   (status.ts: Available from ZooKeeper itself, Progressing, Degraded).
//
// Membership changes (scaling) change every server's zoo.cfg, so they roll through the servers
// like any configuration change; new servers join the running leader meanwhile, and leaving
// servers go before the roll (nextRestart in plan.ts says why). Turning TLS on or off goes
// through stages (tls-stages.ts), each a roll begun only when the one before is done and the
// ensemble has a quorum. Deleting a cluster stops its
// servers, then removes their data directories with a short-lived pod per node unless
// spec.retainDataOnDelete says to keep them.
import type { ConfigMap, Node, Pod } from '../../api/kinds/core.ts';
import type { KubeClient } from '../../client/client.ts';
import type { ResourceApi } from '../../client/resource.ts';
import { isNotFound } from '../../client/errors.ts';
import type { Logger } from '../../common/log.ts';
import { conditionChanges, setCondition, type ConditionUpdate } from '../../runtime/conditions.ts';
import type { SharedCache } from '../../runtime/cache.ts';
import { Controller, generationChanged, type Action } from '../../runtime/controller.ts';
import { EventRecorder } from '../../runtime/events.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizer.ts';
import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_MANAGED_BY } from '../../runtime/labels.ts';
import {
  createMissingPods, deleteExcessPods, deleteIllegalPods, deletePod, isTerminating, ownedPods, waitForRunningAndReadyPods,
  waitForTerminatingPods, type PodContext,
} from '../../runtime/pods.ts';
import { chain, Continue, Requeue, type Step } from '../../runtime/reconcile.ts';
import { API_VERSION, MANAGER, SERVER_ROLE, type ZookeeperCluster } from './crd.ts';
import { serverNodes, type ServerNode } from './config.ts';
import { quorumHealth, type QuorumHealth } from './four-letter.ts';
import { FAST_REQUEUE_MS, nextRestart, nodesHoldingData, planCluster, type ClusterPlan } from './plan.ts';
import { CLEANUP_COMPONENT, cleanupPod } from './pods.ts';
import { clusterConditions, invalidSpecConditions } from './status.ts';
import type { OperatorClientTls } from './client-tls.ts';
import { secretClassesOf, tlsSettings } from './tls.ts';
import { SECRET_CLASS_API_VERSION, type SecretClass } from '../../runtime/secret-class.ts';

export const FINALIZER = 'zookeeper.granary.dev/cleanup';
/** How often a settled cluster's health is asked again. */
const HEALTH_REQUEUE_MS = 30_000;

export interface ClusterControllerOptions {
  client: KubeClient;
  cache?: SharedCache;
  log: Logger;
  namespace?: string;
  /** How the operator reaches TLS client ports (its quorum checks). */
  clientTls: OperatorClientTls;
}

export function clusterController({ client, cache, log, namespace, clientTls }: ClusterControllerOptions): Controller<ZookeeperCluster> {
  const managed = `${LABEL_MANAGED_BY}=${MANAGER}`;
  const controller: Controller<ZookeeperCluster> = new Controller<ZookeeperCluster>({
    name: 'zookeepercluster', client, cache, log, apiVersion: API_VERSION, kind: 'ZookeeperCluster', namespace,
    // Spec changes and the start of deletion; status writes (ours, mostly) are not.
    predicates: [generationChanged],
    reconcile: async (cluster) => reconciler.reconcile(cluster),
  })
    .owns('v1', 'Pod', { namespace, labelSelector: managed })
    .owns('v1', 'ConfigMap', { namespace, labelSelector: managed })
    // A node that comes, goes or changes readiness may let a waiting server be placed.
    .watches('v1', 'Node', () => controller.store.list().map((c) => ({ namespace: c.metadata.namespace, name: c.metadata.name! })))
    // A class's CA (trust bundle) that appears or changes: servers wait for it, or roll onto it.
    .watches(SECRET_CLASS_API_VERSION, 'SecretClass', (secretClass) => controller.store.list()
      .filter((c) => [...secretClassesOf(tlsSettings(c)), c.status?.tls?.serverSecretClass, c.status?.tls?.quorumSecretClass].includes(secretClass.metadata.name!))
      .map((c) => ({ namespace: c.metadata.namespace, name: c.metadata.name! })));
  const reconciler = new ClusterReconciler(client, controller, clientTls, log);
  return controller;
}

/**
 * One reconcile pass of a cluster: what it sees (its pods, the nodes and SecretClasses in the
 * controller's stores) goes into planCluster; the plan is carried out by ConfigMap writes, pod
 * steps that report their problems, and a status write.
 */
class ClusterReconciler {
  private readonly clusters: ResourceApi<ZookeeperCluster>;
  private readonly pods: ResourceApi<Pod>;
  private readonly configMaps: ResourceApi<ConfigMap>;
  private readonly events: EventRecorder;
  private readonly stores: Pick<Controller<ZookeeperCluster>, 'storeOf'>;
  private readonly clientTls: OperatorClientTls;
  private readonly log: Logger;

  constructor(client: KubeClient, stores: Pick<Controller<ZookeeperCluster>, 'storeOf'>, clientTls: OperatorClientTls, log: Logger) {
    this.clusters = client.resource<ZookeeperCluster>(API_VERSION, 'ZookeeperCluster');
    this.pods = client.resource<Pod>('v1', 'Pod');
    this.configMaps = client.resource<ConfigMap>('v1', 'ConfigMap');
    this.events = new EventRecorder(client, MANAGER, MANAGER, log);
    this.stores = stores;
    this.clientTls = clientTls;
    this.log = log;
  }

  async reconcile(cluster: ZookeeperCluster): Promise<Action> {
    if (cluster.metadata.deletionTimestamp) return this.finalize(cluster);
    if (!hasFinalizer(cluster, FINALIZER)) cluster = await addFinalizer(this.clusters, cluster, FINALIZER);
    const planned = planCluster(cluster, this.podsOf(cluster), this.nodes(), this.secretClasses());
    if (!planned.ok) {
      await this.writeStatus(cluster, {}, invalidSpecConditions(cluster, planned.problems));
      return undefined;
    }
    return this.carryOut(planned.plan);
  }

  private async carryOut(plan: ClusterPlan): Promise<Action> {
    const { cluster } = plan;
    for (const configMap of plan.configMaps) await this.configMaps.apply(configMap, { fieldManager: MANAGER, force: true });
    // Until its secret classes have a CA, servers would only wait for their certificates.
    const waitingForCertificates = plan.problems.some((p) => p.reason === 'SecretClassNotReady');
    const health = waitingForCertificates ? undefined : await this.quorumHealth(plan);
    const { action, problems: found } = await this.podSteps(plan, health, waitingForCertificates).report();
    const problems = [...plan.problems, ...found];

    // A TLS change moves on a stage only once every server runs the current one and there is a quorum.
    const nextTls = action === undefined && health?.healthy ? plan.nextTls : undefined;
    if (nextTls) {
      this.log.info({ cluster: `${cluster.metadata.namespace}/${cluster.metadata.name}`, from: plan.status.tls, to: nextTls }, 'next TLS stage');
      await this.events.publish(cluster, { type: 'Normal', reason: 'TlsStage', action: 'Roll', note: `TLS stage client ${nextTls.client}, quorum ${nextTls.quorum}: rolling every server onto it` });
    }
    await this.writeStatus(cluster, { ...plan.status, tls: nextTls ?? plan.status.tls },
      clusterConditions(cluster, { settled: action === undefined && !nextTls, health, problems, remaining: plan.pods.pods.length }));
    if (nextTls) return { requeueAfterMs: 1_000 };
    if (action) return action;
    return { requeueAfterMs: health && !health.healthy ? FAST_REQUEUE_MS : HEALTH_REQUEUE_MS };
  }

  /** The running ensemble's answer; each server is asked as its pod was built: mid-change (TLS turned on or off) they differ. */
  private async quorumHealth(plan: ClusterPlan): Promise<QuorumHealth | undefined> {
    if (!plan.ensemble) return undefined;
    return quorumHealth(await Promise.all(plan.ensemble.map(async (s) => ({ ...s, clientTls: await this.clientTls.forClasses(s.tls?.server, s.tls?.client) }))));
  }

  /** The pod steps of this pass: stopping, or creating, waiting for, rolling and removing servers. */
  private podSteps(plan: ClusterPlan, health: QuorumHealth | undefined, waitingForCertificates: boolean) {
    const ctx: PodContext = { ...plan.pods, podApi: this.pods, log: this.log, events: this.events };
    if (waitingForCertificates) return chain(ctx).then(async () => Requeue(FAST_REQUEUE_MS));
    if (plan.cluster.spec.stopped) return chain(ctx).then(deleteIllegalPods).then(deleteExcessPods).then(waitForTerminatingPods);
    if (plan.restartAllAtOnce) return chain(ctx).then(deleteIllegalPods).then(waitForTerminatingPods).then(this.restartEveryOutdatedServer(plan, plan.restartAllAtOnce));
    return chain(ctx).then(deleteIllegalPods).then(waitForTerminatingPods).then(createMissingPods)
      .then(waitForRunningAndReadyPods).then(deleteExcessPods).then(this.restartOutdatedServer(plan, health));
  }

  /** Restarts (deletes, for createMissingPods to recreate) the next server whose configuration is out of date. */
  private restartOutdatedServer(plan: ClusterPlan, health: QuorumHealth | undefined): Step<PodContext> {
    return async () => {
      const next = nextRestart(plan.outdated, health, plan.leaving);
      if (next === 'none' || next === 'later') return Continue;
      if (next === 'wait') return Requeue(FAST_REQUEUE_MS);
      const cluster = plan.cluster;
      this.log.info({ cluster: `${cluster.metadata.namespace}/${cluster.metadata.name}`, pod: next.metadata.name }, 'restarting a server to apply the new configuration');
      await this.events.publish(cluster, { type: 'Normal', reason: 'RollingRestart', action: 'Restart', note: `restarting ${next.metadata.name} to apply a new configuration (${health!.message})` });
      await deletePod(this.pods, next);
      return Requeue(FAST_REQUEUE_MS);
    };
  }

  /** Restarts every outdated server at once: a membership change one restart at a time could not keep, or regain, a quorum (membership.ts). */
  private restartEveryOutdatedServer(plan: ClusterPlan, why: string): Step<PodContext> {
    return async () => {
      const cluster = plan.cluster;
      this.log.info({ cluster: `${cluster.metadata.namespace}/${cluster.metadata.name}`, pods: plan.outdated.map((p) => p.metadata.name) }, 'restarting every outdated server at once');
      await this.events.publish(cluster, { type: 'Normal', reason: 'RollingRestart', action: 'Restart', note: `restarting ${plan.outdated.map((p) => p.metadata.name).join(', ')} at once: ${why}` });
      for (const pod of plan.outdated) await deletePod(this.pods, pod);
      return Requeue(FAST_REQUEUE_MS);
    };
  }

  /** Status is written only when it changed, so that a settled cluster causes no writes. */
  private async writeStatus(cluster: ZookeeperCluster, fields: Partial<NonNullable<ZookeeperCluster['status']>>, updates: ConditionUpdate[]): Promise<void> {
    let conditions = cluster.status?.conditions;
    for (const u of updates) conditions = setCondition(conditions, u);
    const status = { ...cluster.status, ...fields, observedGeneration: cluster.metadata.generation, conditions };
    if (JSON.stringify(status) === JSON.stringify(cluster.status)) return;
    for (const change of conditionChanges(cluster.status?.conditions, conditions)) void this.events.publish(cluster, change);
    await this.clusters.apply({ apiVersion: API_VERSION, kind: 'ZookeeperCluster', metadata: { name: cluster.metadata.name, namespace: cluster.metadata.namespace }, status },
      { fieldManager: MANAGER, force: true, subresource: 'status' });
  }

  /** Deletion: servers stopped, then their data removed (unless retained), then the finalizer. */
  private async finalize(cluster: ZookeeperCluster): Promise<Action> {
    if (!hasFinalizer(cluster, FINALIZER)) return undefined;
    const servers = this.podsOf(cluster).filter((p) => p.metadata.labels?.[LABEL_COMPONENT] === SERVER_ROLE);
    if (servers.length > 0) {
      for (const pod of servers) if (!isTerminating(pod)) await deletePod(this.pods, pod);
      return { requeueAfterMs: 1000 };
    }
    if (!cluster.spec.retainDataOnDelete) {
      const done = await this.removeData(cluster);
      if (!done) return { requeueAfterMs: 1000 };
    }
    try {
      await removeFinalizer(this.clusters, cluster, FINALIZER);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return undefined;
  }

  /** One pod per node that held servers removes the cluster's data directories there; true once all have. */
  private async removeData(cluster: ZookeeperCluster): Promise<boolean> {
    // Read afresh: a cleanup pod created a moment ago may not be in the watch cache yet.
    const listed = await this.pods.list(cluster.metadata.namespace, { labelSelector: `${LABEL_MANAGED_BY}=${MANAGER},${LABEL_INSTANCE}=${cluster.metadata.name},${LABEL_COMPONENT}=${CLEANUP_COMPONENT}` });
    const cleanupPods = ownedPods({ owner: cluster, pods: listed.items });
    let finished = true;
    for (const node of nodesHoldingData(cluster, this.nodes())) {
      const wanted = cleanupPod(cluster, node);
      const pod = cleanupPods.find((p) => p.metadata.name === wanted.metadata.name);
      if (!pod) {
        await this.pods.create(wanted, { fieldManager: MANAGER });
        finished = false;
      } else if (pod.status?.phase !== 'Succeeded') finished = false;
    }
    // Finished cleanup pods stay: the garbage collector removes them with the cluster.
    return finished;
  }

  /** The cluster's pods (those it controls), as the store has them. */
  private podsOf(cluster: ZookeeperCluster): Pod[] {
    return ownedPods({ owner: cluster, pods: this.stores.storeOf<Pod>('v1', 'Pod').byOwner(cluster.metadata.uid!) });
  }

  private nodes(): ServerNode[] {
    return serverNodes(this.stores.storeOf<Node>('v1', 'Node').list());
  }

  /** The SecretClasses by name: the servers' TLS uses some of them. */
  private secretClasses(): Map<string, SecretClass> {
    return new Map(this.stores.storeOf<SecretClass>(SECRET_CLASS_API_VERSION, 'SecretClass').list().map((c) => [c.metadata.name!, c]));
  }
}
