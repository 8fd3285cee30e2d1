// `npm run bench:zookeeper`: time from applying a three-server ZookeeperCluster to a healthy
// quorum, on three real agents (process runtime) with Debian's zookeeper package installed. A
// benchmark: prints numbers (the target is in docs/benchmarks.md), never fails on them.
// Each round creates a cluster, waits until it reports Available (ZooKeeper itself says one
// leader and a majority of followers), checks that with srvr, and deletes it.
import type { KubeObject } from '../src/api/meta.ts';
import { isAvailable } from '../src/operators/zookeeper/status.ts';
import type { ZookeeperCluster } from '../src/operators/zookeeper/crd.ts';
import { quorumHealth } from '../src/operators/zookeeper/four-letter.ts';
import { startZookeeperStack } from '../test/support/zookeeper-stack.ts';
import { fmt, summarise } from './support.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const stack = await startZookeeperStack({ runtime: 'process', subnet: '127.0.20' });
const clusters = stack.client.resource<ZookeeperCluster>('zookeeper.granary.dev/v1alpha1', 'ZookeeperCluster');
const samples: number[] = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const name = `bench-${round}`;
    const started = Date.now();
    await clusters.create({
      apiVersion: 'zookeeper.granary.dev/v1alpha1', kind: 'ZookeeperCluster', metadata: { name, namespace: 'default' },
      spec: { servers: { roleGroups: { default: { replicas: 3 } } } },
    } as ZookeeperCluster);
    let cluster: ZookeeperCluster;
    for (;;) {
      cluster = await clusters.get(name, 'default');
      if (isAvailable(cluster)) break;
      if (Date.now() - started > 300_000) throw new Error(`${name} was not available after 5 minutes: ${JSON.stringify(cluster.status)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const elapsed = Date.now() - started;
    const servers = cluster.status!.connectionString!.split(',').map((hostPort, i) => ({ id: i + 1, address: hostPort.split(':')[0], clientPort: Number(hostPort.split(':')[1]) }));
    const health = await quorumHealth(servers);
    if (!health.healthy) throw new Error(`${name} reported Available but srvr says: ${health.message}`);
    samples.push(elapsed);
    process.stdout.write(`round ${round}: apply → healthy quorum ${fmt(elapsed)} (${health.message})\n`);
    await clusters.delete(name, 'default');
    for (;;) {
      const left = await clusters.list('default');
      if (!left.items.some((c: KubeObject) => c.metadata.name === name)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const s = summarise(samples);
  process.stdout.write(`\nthree-server ZookeeperCluster, apply → healthy quorum over ${s.n} rounds: p50 ${fmt(s.p50)}, max ${fmt(s.max)} (target: within 20 s)\n`);
} finally {
  await stack.stop();
}
