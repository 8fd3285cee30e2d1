// The ZooKeeper operator as the CLI runs it: its CRDs, its controllers, the demo ensemble of
// `granary up` and a summary line per cluster.
import type { KubeObject } from '../../api/meta.ts';
import type { Operator } from '../index.ts';
import { clusterController } from './cluster.ts';
import { isAvailable } from './status.ts';
import { zookeeperCommands } from './commands.ts';
import { API_VERSION, DEFAULT_ZOOKEEPER_VERSION, ZOOKEEPER_CRDS, type ZookeeperCluster } from './crd.ts';
import { znodeController } from './znode.ts';

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
    await Promise.all([
      clusterController({ client, log: log.child({ controller: 'zookeepercluster' }) }).run(signal),
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
