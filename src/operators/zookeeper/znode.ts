// The ZookeeperZnode controller: a znode of its own in a cluster's ensemble for a product that
// uses ZooKeeper (a Kafka, an HDFS), published as a ConfigMap named after the ZookeeperZnode:
// ZOOKEEPER (the connection string with the znode as chroot), ZOOKEEPER_HOSTS and
// ZOOKEEPER_CHROOT. Deleting the ZookeeperZnode removes the znode and everything under it.
import type { ConfigMap } from '../../api/kinds/core.ts';
import type { KubeClient } from '../../client/client.ts';
import { isNotFound } from '../../client/errors.ts';
import type { Logger } from '../../common/log.ts';
import { available, setCondition } from '../../runtime/conditions.ts';
import type { SharedCache } from '../../runtime/cache.ts';
import { Controller, type Action } from '../../runtime/controller.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizer.ts';
import { appLabels, LABEL_MANAGED_BY } from '../../runtime/labels.ts';
import { controllerReference } from '../../runtime/pods.ts';
import { API_VERSION, MANAGER, PRODUCT, type ZookeeperCluster, type ZookeeperZnode } from './crd.ts';
import { isAvailable } from './status.ts';
import { withZooKeeper } from './zk-client.ts';
import type { OperatorClientTls } from './client-tls.ts';
import type { ClientTls } from './four-letter.ts';

const FINALIZER = 'zookeeper.granary.dev/znode';
const WAIT_MS = 5_000;

/** The znode's path: unique per object, so a ZookeeperZnode recreated under the same name never sees old data. */
export function znodePath(znode: ZookeeperZnode): string {
  return `/znode-${znode.metadata.uid}`;
}

/** The discovery keys a znode's ConfigMap copies from its cluster's: how to connect (TLS or not) and the CA. */
const DISCOVERY_TLS_KEYS = ['ZOOKEEPER_TLS', 'ZOOKEEPER_CLIENT_AUTH', 'ZOOKEEPER_CLIENT_SECRET_CLASS', 'ZOOKEEPER_SERVER_SECRET_CLASS', 'ca.crt'];

export function znodeController({ client, cache, log, namespace, clientTls }: { client: KubeClient; cache?: SharedCache; log: Logger; namespace?: string; clientTls: OperatorClientTls }): Controller<ZookeeperZnode> {
  const znodes = client.resource<ZookeeperZnode>(API_VERSION, 'ZookeeperZnode');
  const clusters = client.resource<ZookeeperCluster>(API_VERSION, 'ZookeeperCluster');
  const configMaps = client.resource<ConfigMap>('v1', 'ConfigMap');
  const clusterOf = (z: ZookeeperZnode) => ({ namespace: z.spec.clusterRef.namespace ?? z.metadata.namespace, name: z.spec.clusterRef.name });

  const controller: Controller<ZookeeperZnode> = new Controller<ZookeeperZnode>({
    name: 'zookeeperznode', client, cache, log, apiVersion: API_VERSION, kind: 'ZookeeperZnode', namespace,
    reconcile: async (znode) => reconcile(znode),
  })
    .owns('v1', 'ConfigMap', { namespace, labelSelector: `${LABEL_MANAGED_BY}=${MANAGER}` })
    // The cluster's connection string or health changed: republish its znodes.
    .watches(API_VERSION, 'ZookeeperCluster', (cluster) => controller.store.list()
      .filter((z) => clusterOf(z).name === cluster.metadata.name && clusterOf(z).namespace === cluster.metadata.namespace)
      .map((z) => ({ namespace: z.metadata.namespace, name: z.metadata.name! })), { namespace });

  async function connectionOf(znode: ZookeeperZnode): Promise<{ cluster?: ZookeeperCluster; hosts?: string; tls?: ClientTls; why?: string }> {
    const ref = clusterOf(znode);
    let cluster: ZookeeperCluster;
    try {
      cluster = await clusters.get(ref.name, ref.namespace);
    } catch (err) {
      if (isNotFound(err)) return { why: `ZookeeperCluster ${ref.namespace}/${ref.name} does not exist` };
      throw err;
    }
    if (!isAvailable(cluster) || !cluster.status?.connectionString) return { cluster, why: `ZookeeperCluster ${ref.namespace}/${ref.name} has no quorum yet` };
    return { cluster, hosts: cluster.status.connectionString, tls: await clientTls.forCluster(cluster) };
  }

  async function reconcile(znode: ZookeeperZnode): Promise<Action> {
    const path = znodePath(znode);
    if (znode.metadata.deletionTimestamp) {
      if (!hasFinalizer(znode, FINALIZER)) return undefined;
      const { cluster, hosts, tls, why } = await connectionOf(znode);
      if (hosts) await withZooKeeper(hosts, (zk) => zk.removeRecursive(path), tls);
      // A cluster that is gone, or being deleted, takes the znode with it; anything else is waited for.
      else if (cluster && !cluster.metadata.deletionTimestamp) {
        log.info({ znode: znode.metadata.name, why }, 'waiting to remove the znode');
        return { requeueAfterMs: WAIT_MS };
      }
      await removeFinalizer(znodes, znode, FINALIZER).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
      return undefined;
    }
    if (!hasFinalizer(znode, FINALIZER)) znode = await addFinalizer(znodes, znode, FINALIZER);
    const { cluster, hosts, tls, why } = await connectionOf(znode);
    if (!hosts) {
      await writeStatus(znode, undefined, available(false, 'ClusterUnavailable', why!, znode.metadata.generation));
      return { requeueAfterMs: WAIT_MS };
    }
    await withZooKeeper(hosts, (zk) => zk.mkdirp(path), tls);
    const discovery = await configMaps.get(cluster!.metadata.name!, cluster!.metadata.namespace);
    const tlsData = Object.fromEntries(DISCOVERY_TLS_KEYS.filter((k) => discovery.data?.[k] !== undefined).map((k) => [k, discovery.data![k]]));
    await configMaps.apply({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: {
        name: znode.metadata.name, namespace: znode.metadata.namespace,
        labels: appLabels({ name: PRODUCT, instance: znode.spec.clusterRef.name, component: 'znode', managedBy: MANAGER }),
        ownerReferences: [controllerReference(znode)],
      },
      data: { ZOOKEEPER: `${hosts}${path}`, ZOOKEEPER_HOSTS: hosts, ZOOKEEPER_CHROOT: path, ...tlsData },
    }, { fieldManager: MANAGER, force: true });
    await writeStatus(znode, path, available(true, 'Created', `znode ${path} exists; ConfigMap ${znode.metadata.name} holds its connection string`, znode.metadata.generation));
    return undefined;
  }

  async function writeStatus(znode: ZookeeperZnode, path: string | undefined, condition: ReturnType<typeof available>): Promise<void> {
    const conditions = setCondition(znode.status?.conditions, condition);
    const status = { ...znode.status, ...(path ? { path } : {}), observedGeneration: znode.metadata.generation, conditions };
    if (JSON.stringify(status) === JSON.stringify(znode.status)) return;
    await znodes.apply({ apiVersion: API_VERSION, kind: 'ZookeeperZnode', metadata: { name: znode.metadata.name, namespace: znode.metadata.namespace }, status },
      { fieldManager: MANAGER, force: true, subresource: 'status' });
  }

  return controller;
}
