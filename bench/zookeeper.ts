// `npm run bench:zookeeper`: time from applying a three-server ZookeeperCluster to a healthy
// quorum, on three real agents (process runtime) with Debian's zookeeper package installed, with
// TLS (the default: client and quorum TLS, clients authenticated by certificate) and in plain
// text; and what TLS costs a client: session set-up and a write and read round trip. A benchmark:
// prints numbers (the targets are in docs/benchmarks.md), never fails on them.
// Each round creates a cluster, waits until it reports Available (ZooKeeper itself says one
// leader and a majority of followers), checks that with srvr, and deletes it.
import type { KubeObject } from '../src/api/meta.ts';
import { isAvailable } from '../src/operators/zookeeper/status.ts';
import type { ZookeeperCluster } from '../src/operators/zookeeper/crd.ts';
import { quorumHealth, type ClientTls } from '../src/operators/zookeeper/four-letter.ts';
import { ZooKeeperSession } from '../src/operators/zookeeper/zk-client.ts';
import { requestCertificate } from '../src/runtime/certificate-requests.ts';
import { SECRET_CLASS_API_VERSION, signerName, type SecretClass } from '../src/runtime/secret-class.ts';
import { startZookeeperStack } from '../test/support/zookeeper-stack.ts';
import { fmt, summarise } from './support.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const OPERATIONS = Number(process.env.BENCH_OPERATIONS ?? 1000);
const CLIENT_CLASS = 'bench-clients';

const stack = await startZookeeperStack({ runtime: 'process', subnet: process.env.BENCH_SUBNET ?? '127.0.20' });
const clusters = stack.client.resource<ZookeeperCluster>('zookeeper.granary.dev/v1alpha1', 'ZookeeperCluster');
const modes = {
  tls: { clusterConfig: { authentication: { tls: { clientSecretClass: CLIENT_CLASS } } } },
  'plain text': { clusterConfig: { tls: { serverSecretClass: '', quorumSecretClass: '' } } },
} as const;
const report: string[] = [];

/** Session set-up and sequential write+read round trips against the cluster. */
async function clientLatency(hosts: string, tls: ClientTls | undefined): Promise<{ connect: number[]; roundTrip: number[] }> {
  const connect: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    const session = await ZooKeeperSession.connect(hosts.split(',')[i % 3], 10_000, tls);
    connect.push(performance.now() - started);
    session.close();
  }
  const session = await ZooKeeperSession.connect(hosts, 10_000, tls);
  const roundTrip: number[] = [];
  try {
    await session.mkdirp('/bench');
    for (let i = 0; i < OPERATIONS; i++) {
      const started = performance.now();
      await session.create(`/bench/n-${i}`, Buffer.from(String(i)));
      await session.getData(`/bench/n-${i}`);
      roundTrip.push(performance.now() - started);
    }
  } finally {
    session.close();
  }
  return { connect, roundTrip };
}

try {
  await stack.client.resource<SecretClass>(SECRET_CLASS_API_VERSION, 'SecretClass').create({ apiVersion: SECRET_CLASS_API_VERSION, kind: 'SecretClass', metadata: { name: CLIENT_CLASS }, spec: {} });
  for (const [mode, spec] of Object.entries(modes)) {
    const samples: number[] = [];
    let latency: { connect: number[]; roundTrip: number[] } | undefined;
    for (let round = 1; round <= ROUNDS; round++) {
      const name = `bench-${mode === 'tls' ? 'tls' : 'plain'}-${round}`;
      const started = Date.now();
      await clusters.create({
        apiVersion: 'zookeeper.granary.dev/v1alpha1', kind: 'ZookeeperCluster', metadata: { name, namespace: 'default' },
        spec: { ...spec, servers: { roleGroups: { default: { replicas: 3 } } } },
      } as ZookeeperCluster);
      let cluster: ZookeeperCluster;
      for (;;) {
        cluster = await clusters.get(name, 'default');
        if (isAvailable(cluster)) break;
        if (Date.now() - started > 300_000) throw new Error(`${name} was not available after 5 minutes: ${JSON.stringify(cluster.status)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const elapsed = Date.now() - started;
      let tls: ClientTls | undefined;
      if (mode === 'tls') {
        const discovery = await stack.client.resource('v1', 'ConfigMap').get(name, 'default') as unknown as { data: Record<string, string> };
        const issued = await requestCertificate(stack.client, {
          signerName: signerName(CLIENT_CLASS), commonName: 'bench', usages: ['digital signature', 'key encipherment', 'client auth'], namePrefix: 'bench-', approve: true,
        }, AbortSignal.timeout(30_000));
        tls = { ca: discovery.data['ca.crt'], cert: issued.certPem, key: issued.keyPem };
      }
      const servers = cluster.status!.connectionString!.split(',').map((hostPort, i) => ({ id: i + 1, address: hostPort.split(':')[0], clientPort: Number(hostPort.split(':')[1]) }));
      const health = await quorumHealth(servers, tls);
      if (!health.healthy) throw new Error(`${name} reported Available but srvr says: ${health.message}`);
      samples.push(elapsed);
      process.stdout.write(`${mode}, round ${round}: apply → healthy quorum ${fmt(elapsed)} (${health.message})\n`);
      if (round === ROUNDS) latency = await clientLatency(cluster.status!.connectionString!, tls);
      await clusters.delete(name, 'default');
      for (;;) {
        const left = await clusters.list('default');
        if (!left.items.some((c: KubeObject) => c.metadata.name === name)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const s = summarise(samples);
    const connect = summarise(latency!.connect);
    const trip = summarise(latency!.roundTrip);
    report.push(`${mode}: apply → healthy quorum over ${s.n} rounds p50 ${fmt(s.p50)}, max ${fmt(s.max)}; session set-up p50 ${fmt(connect.p50)} (n=${connect.n}); create+get round trip p50 ${fmt(trip.p50)}, p99 ${fmt(trip.p99)} (n=${trip.n})`);
  }
  process.stdout.write(`\nthree-server ZookeeperCluster (target: healthy quorum within 25 s with TLS, packages cached):\n${report.map((l) => `  ${l}`).join('\n')}\n`);
} finally {
  await stack.stop();
}
