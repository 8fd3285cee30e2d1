// Restart, Start and Stop for ZooKeeper clusters (command.zookeeper.granary.dev). A restart
// replaces the servers' pods, one at a time by default, each only once ZooKeeper reports a
// quorum again; Stop and Start set spec.stopped and wait until the cluster has followed.
import type { Pod } from '../../api/kinds/core.ts';
import type { KubeClient } from '../../client/client.ts';
import { sleep } from '../../client/client.ts';
import type { Logger } from '../../common/log.ts';
import type { SharedCache } from '../../runtime/cache.ts';
import { commandController, type CommandController } from '../../runtime/commands.ts';
import { EventRecorder } from '../../runtime/events.ts';
import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_MANAGED_BY } from '../../runtime/labels.ts';
import { ownedPods } from '../../runtime/pods.ts';
import { restartPods } from '../../runtime/restart.ts';
import { API_VERSION, MANAGER, PRODUCT, SERVER_ROLE, type ZookeeperCluster } from './crd.ts';
import { isAvailable } from './status.ts';
import { quorumHealth } from './four-letter.ts';
import type { OperatorClientTls } from './client-tls.ts';

const POLL_MS = 1000;

export function zookeeperCommands({ client, cache, log, namespace, clientTls }: { client: KubeClient; cache?: SharedCache; log: Logger; namespace?: string; clientTls: OperatorClientTls }): CommandController<ZookeeperCluster> {
  const clusters = client.resource<ZookeeperCluster>(API_VERSION, 'ZookeeperCluster');
  const pods = client.resource<Pod>('v1', 'Pod');
  const events = new EventRecorder(client, MANAGER, MANAGER, log);
  const serverPods = async (cluster: ZookeeperCluster): Promise<Pod[]> => {
    const list = await pods.list(cluster.metadata.namespace, {
      labelSelector: `${LABEL_MANAGED_BY}=${MANAGER},${LABEL_INSTANCE}=${cluster.metadata.name},${LABEL_COMPONENT}=${SERVER_ROLE}`,
    });
    return ownedPods({ owner: cluster, pods: list.items });
  };
  /** Waits until the cluster, read afresh, satisfies `done` for its current generation. */
  const waitFor = async (cluster: ZookeeperCluster, what: string, done: (c: ZookeeperCluster) => boolean | Promise<boolean>, signal: AbortSignal) => {
    for (;;) {
      signal.throwIfAborted();
      const current = await clusters.get(cluster.metadata.name!, cluster.metadata.namespace);
      if (current.status?.observedGeneration === current.metadata.generation && await done(current)) return;
      log.debug({ cluster: cluster.metadata.name, what }, 'waiting');
      await sleep(POLL_MS, signal);
    }
  };
  const setStopped = (cluster: ZookeeperCluster, stopped: boolean) =>
    clusters.patch(cluster.metadata.name!, cluster.metadata.namespace, { spec: { stopped } }, 'merge', { fieldManager: MANAGER });

  return commandController<ZookeeperCluster>({
    product: PRODUCT, client, cache, log, namespace, manager: MANAGER,
    target: { apiVersion: API_VERSION, kind: 'ZookeeperCluster' },
    handlers: {
      restart: async (cluster, run) => {
        if (cluster.spec.stopped) throw new Error(`${cluster.metadata.name} is stopped: start it instead of restarting it`);
        await restartPods({
          pods: () => serverPods(cluster), podApi: pods, since: run.since, rolling: run.rolling, signal: run.signal,
          onRestart: (pod) => void events.publish(cluster, {
            type: 'Normal', reason: run.rolling ? 'RollingRestart' : 'Restart', action: 'Restart', note: `restarting ${pod.metadata.name} for Restart command ${run.command.metadata.name}`,
          }),
          healthy: async () => {
            const current = await clusters.get(cluster.metadata.name!, cluster.metadata.namespace);
            const servers = (current.status?.connectionString ?? '').split(',').filter(Boolean).map((hostPort, i) => {
              const at = hostPort.lastIndexOf(':');
              return { id: i + 1, address: hostPort.slice(0, at), clientPort: Number(hostPort.slice(at + 1)) };
            });
            return servers.length > 0 && (await quorumHealth(servers, await clientTls.forCluster(current))).healthy;
          },
        });
      },
      stop: async (cluster, run) => {
        await setStopped(cluster, true);
        await waitFor(cluster, 'every server stopped', async (c) => c.spec.stopped === true && (await serverPods(c)).length === 0, run.signal);
      },
      start: async (cluster, run) => {
        await setStopped(cluster, false);
        await waitFor(cluster, 'a quorum', (c) => c.spec.stopped !== true && isAvailable(c), run.signal);
      },
    },
  });
}
