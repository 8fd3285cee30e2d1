// The ZooKeeper operator as the CLI runs it: its CRDs, its controllers, the servers' metrics
// (metrics.ts, asked of the servers the leading process manages), the demo ensemble of
// `granary up` and a summary line per cluster.
import type { KubeObject } from '../../api/meta.ts';
import type { Pod } from '../../api/kinds/core.ts';
import { LABEL_COMPONENT, LABEL_ROLE_GROUP } from '../../runtime/labels.ts';
import type { Controller } from '../../runtime/controller.ts';
import type { Operator } from '../index.ts';
import { clusterController } from './cluster.ts';
import { isAvailable } from './status.ts';
import { zookeeperCommands } from './commands.ts';
import { API_VERSION, DEFAULT_ZOOKEEPER_VERSION, ZOOKEEPER_CRDS, type ZookeeperCluster } from './crd.ts';
import { znodeController } from './znode.ts';
import { runningServers, serverNodes } from './config.ts';
import { registerZookeeperMetrics, type ServerTarget } from './metrics.ts';
import { SERVER_ROLE } from './crd.ts';

/** The servers of every cluster the cluster controller of this process manages (none unless it leads). */
let clusters: Controller<ZookeeperCluster> | undefined;

function serverTargets(): ServerTarget[] {
  if (!clusters) return [];
  const nodes = serverNodes(clusters.storeOf('v1', 'Node').list());
  const targets: ServerTarget[] = [];
  for (const cluster of clusters.store.list()) {
    for (const pod of clusters.storeOf('v1', 'Pod').byOwner(cluster.metadata.uid!) as Pod[]) {
      if (pod.metadata.labels?.[LABEL_COMPONENT] !== SERVER_ROLE) continue;
      const [server] = runningServers([pod], nodes);
      if (!server) continue;
      targets.push({
        namespace: cluster.metadata.namespace!, cluster: cluster.metadata.name!, roleGroup: pod.metadata.labels?.[LABEL_ROLE_GROUP] ?? '',
        serverId: server.id, pod: pod.metadata.name!, address: server.address, clientPort: server.clientPort,
      });
    }
  }
  return targets;
}

registerZookeeperMetrics(serverTargets);

export const DEMO_CLUSTER: KubeObject = {
  apiVersion: API_VERSION, kind: 'ZookeeperCluster',
  metadata: { name: 'demo', namespace: 'default' },
  spec: { servers: { roleGroups: { default: { replicas: 3 } } } },
};

/** The same ensemble in `granary up --hybrid`: two servers on bare metal, one in a container. */
export function hybridDemoCluster(imageRegistry: string): KubeObject {
  return {
    ...DEMO_CLUSTER,
    spec: { imageRegistry, servers: { roleGroups: { metal: { replicas: 2 }, boxed: { replicas: 1, runtime: 'container' } } } },
  };
}

export const zookeeperOperator: Operator = {
  name: 'zookeeper',
  crds: ZOOKEEPER_CRDS,
  demo: [DEMO_CLUSTER],
  hybridDemo: (imageRegistry) => [hybridDemoCluster(imageRegistry)],
  hybridImages: [`zookeeper:${DEFAULT_ZOOKEEPER_VERSION}`],
  async run(client, log, signal) {
    const controller = clusterController({ client, log: log.child({ controller: 'zookeepercluster' }) });
    clusters = controller;
    await Promise.all([
      controller.run(signal).finally(() => (clusters = undefined)),
      znodeController({ client, log: log.child({ controller: 'zookeeperznode' }) }).run(signal),
      zookeeperCommands({ client, log: log.child({ controller: 'zookeeper-commands' }) }).run(signal),
    ]);
  },
  async summary(client) {
    const clusters = await client.resource<ZookeeperCluster>(API_VERSION, 'ZookeeperCluster').list();
    return clusters.items.map((c) => {
      const state = c.spec.stopped ? 'stopped' : isAvailable(c) ? 'available' : 'not available yet';
      return `ZookeeperCluster ${c.metadata.namespace}/${c.metadata.name}: ${state}${c.status?.connectionString ? `, connect to ${c.status.connectionString}` : ''}`;
    });
  },
};
