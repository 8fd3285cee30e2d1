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
import { ZOOKEEPER_ALERT_RULES } from './alerts.ts';

/** The servers of every cluster the cluster controller of this process manages (none unless it leads). */
let clusters: Controller<ZookeeperCluster> | undefined;
/** How this process reaches TLS client ports (set while it runs). */
let operatorTls: OperatorClientTls | undefined;

function serverTargets(): ServerTarget[] {
  if (!clusters) return [];
  const nodes = serverNodes(clusters.storeOf('v1', 'Node').list());
  const targets: ServerTarget[] = [];
  for (const cluster of clusters.store.list()) {
    for (const pod of clusters.storeOf<Pod>('v1', 'Pod').byOwner(cluster.metadata.uid!)) {
      if (pod.metadata.labels?.[LABEL_COMPONENT] !== SERVER_ROLE) continue;
      const [server] = runningServers([pod], nodes);
      if (!server) continue;
      targets.push({
        namespace: cluster.metadata.namespace!, cluster: cluster.metadata.name!, roleGroup: pod.metadata.labels?.[LABEL_ROLE_GROUP] ?? '',
        serverId: server.id, pod: pod.metadata.name!, address: server.address, clientPort: server.clientPort,
        ...(server.tls && operatorTls ? { tls: () => operatorTls!.forClasses(server.tls!.server, server.tls!.client) } : {}),
      });
    }
  }
  return targets;
}

registerZookeeperMetrics(serverTargets);
import { OperatorClientTls } from './client-tls.ts';
import { writeDemoClient } from './demo-client.ts';
import { SECRET_CLASS_API_VERSION } from '../../runtime/secret-class.ts';

/** The class whose certificates may connect to the demo ensemble; `granary up` gives you one. */
export const DEMO_CLIENT_CLASS: KubeObject = {
  apiVersion: SECRET_CLASS_API_VERSION, kind: 'SecretClass', metadata: { name: 'zookeeper-clients' },
  spec: { ca: { autoGenerate: true }, certificateLifetimeSeconds: 30 * 86_400 },
};

/** Three servers, TLS on (the default), clients authenticated by certificates of DEMO_CLIENT_CLASS. */
export const DEMO_CLUSTER: KubeObject = {
  apiVersion: API_VERSION, kind: 'ZookeeperCluster',
  metadata: { name: 'demo', namespace: 'default' },
  spec: {
    clusterConfig: { authentication: { tls: { clientSecretClass: DEMO_CLIENT_CLASS.metadata.name } } },
    servers: { roleGroups: { default: { replicas: 3 } } },
  },
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
  demo: [DEMO_CLIENT_CLASS, DEMO_CLUSTER],
  demoAccess: (client, dataDir) => writeDemoClient(client, dataDir, DEMO_CLUSTER),
  hybridDemo: (imageRegistry) => [hybridDemoCluster(imageRegistry)],
  hybridImages: [`zookeeper:${DEFAULT_ZOOKEEPER_VERSION}`],
  alertRules: ZOOKEEPER_ALERT_RULES,
  async run(client, log, signal, context) {
    const cache = context?.cache;
    const clientTls = new OperatorClientTls(client, log.child({ part: 'client-tls' }));
    operatorTls = clientTls;
    const controller = clusterController({ client, cache, log: log.child({ controller: 'zookeepercluster' }), clientTls });
    clusters = controller;
    await Promise.all([
      controller.run(signal).finally(() => (clusters = undefined)),
      znodeController({ client, cache, log: log.child({ controller: 'zookeeperznode' }), clientTls }).run(signal),
      zookeeperCommands({ client, cache, log: log.child({ controller: 'zookeeper-commands' }), clientTls }).run(signal),
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
