// One ZooKeeper ensemble across both worlds, real parts only: two servers as systemd services
// on bare-metal agents (systemd as PID 1 in a namespace) and one in an OCI container on a third
// agent (containerd through CRI), the container image built by `granary image build` from the
// same Debian packages and pulled from Debian's docker-registry. ZooKeeper as a user gets it: TLS
// on the client port and the quorum, with certificates from the platform's "tls" SecretClass
// mounted into the container as into the services. Nodes on 127.0.12.21-23, the registry on
// 127.0.12.20.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../../src/api/kinds/core.ts';
import type { KubeObject } from '../../src/api/meta.ts';
import { pushImageLayout } from '../../src/agent/images/oci-layout.ts';
import type { ZookeeperCluster } from '../../src/operators/zookeeper/crd.ts';
import { serverState, type ClientTls } from '../../src/operators/zookeeper/four-letter.ts';
import { presentedCertificate } from '../support/net.ts';
import { ZooKeeperSession, withZooKeeper } from '../../src/operators/zookeeper/zk-client.ts';
import { containersUnavailable, startContainerHost, zookeeperImageLayout, type ContainerHost } from '../support/containers.ts';
import { eventually } from '../support/eventually.ts';
import { startSystemd, systemdUnavailable, type TestSystemd } from '../support/systemd.ts';
import { startZookeeperStack, type ZookeeperStack } from '../support/zookeeper-stack.ts';

const CLUSTER = 'hybrid';
const WAIT_MS = 240_000;

describe('one ZooKeeper ensemble on bare metal and in a container', { skip: systemdUnavailable() ?? containersUnavailable() }, () => {
  let systemd: TestSystemd;
  let host: ContainerHost;
  let stack: ZookeeperStack;
  /** A client of the cluster: it trusts the CA the discovery ConfigMap carries (no client authentication by default). */
  let tls: ClientTls;
  const clusters = () => stack.client.resource<ZookeeperCluster>('zookeeper.granary.dev/v1alpha1', 'ZookeeperCluster');
  const serverPods = async () => (await stack.client.resource<Pod & KubeObject>('v1', 'Pod').list('default', { labelSelector: `app.kubernetes.io/instance=${CLUSTER},app.kubernetes.io/component=server` })).items;
  const containerNode = () => stack.nodes.find((n) => n.runtime === 'container')!;
  const connect = async () => (await clusters().get(CLUSTER, 'default')).status!.connectionString!;
  const settled = async () => {
    let seen = '';
    try {
      return await eventually('three settled servers with a quorum', async () => {
        const cluster = await clusters().get(CLUSTER, 'default');
        const conditions = cluster.status?.conditions ?? [];
        const pods = await serverPods();
        seen = `${JSON.stringify(conditions)}\n${pods.map((p) => `${p.metadata.name} ${p.spec?.nodeName} ${JSON.stringify(p.status?.containerStatuses?.map((c) => c.state))}`).join('\n')}`;
        const is = (type: string, status: string) => conditions.some((c) => c.type === type && c.status === status && c.observedGeneration === cluster.metadata.generation);
        return is('Available', 'True') && is('Progressing', 'False') && pods.length === 3 && !pods.some((p) => p.metadata.deletionTimestamp) ? cluster : undefined;
      }, WAIT_MS, 500);
    } catch (err) {
      throw new Error(`${(err as Error).message}; last seen: ${seen}\n${stack.agentOutput().slice(-4000)}`);
    }
  };
  const containerServer = async () => {
    const pod = (await serverPods()).find((p) => p.spec?.nodeName === containerNode().name)!;
    const port = pod.spec!.containers[0].ports!.find((p) => p.name === 'client')!.containerPort;
    return { pod, address: containerNode().address, port, id: Number(pod.metadata.labels!['granary.dev/pod-id']) };
  };
  const pidListeningOn = (address: string, port: number): number | undefined => {
    const pid = /pid=(\d+)/.exec(execFileSync('ss', ['-Hltnp', `src ${address}:${port}`], { encoding: 'utf8' }))?.[1];
    return pid ? Number(pid) : undefined;
  };

  before(async () => {
    const started = await Promise.allSettled([startSystemd(), startContainerHost('127.0.12.20'), zookeeperImageLayout()] as const);
    // What did start is kept for after() to stop even when another part failed (it was left running).
    if (started[0].status === 'fulfilled') systemd = started[0].value;
    if (started[1].status === 'fulfilled') host = started[1].value;
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const layout = (started[2] as PromiseFulfilledResult<string>).value;
    await pushImageLayout(layout, host.registry.client, 'granary/zookeeper', '3.8.0');
    stack = await startZookeeperStack({ runtime: 'systemd', systemd, runtimes: ['systemd', 'systemd', 'container'], containerd: { socket: host.containerd.socket }, subnet: '127.0.12', firstHost: 21 });
  });
  after(async () => {
    await stack?.stop();
    await host?.stop();
    await systemd?.stop();
  });

  test('two servers on bare metal, one in a container: one leader, two followers; a znode written on bare metal is read in the container', async () => {
    await stack.kubectl.ok(['apply', '-f', '-'], { input: `
apiVersion: zookeeper.granary.dev/v1alpha1
kind: ZookeeperCluster
metadata: { name: ${CLUSTER} }
spec:
  imageRegistry: ${host.registry.address}
  # TLS as by default: client port and quorum, certificates of the "tls" SecretClass.
  servers:
    config: { tickTime: 500, heapMiB: 96 }
    roleGroups:
      metal: { replicas: 2 }
      boxed: { replicas: 1, runtime: container }
` });
    await settled();
    const discovery = (await stack.client.resource('v1', 'ConfigMap').get(CLUSTER, 'default') as unknown as { data: Record<string, string> }).data;
    assert.equal(discovery.ZOOKEEPER_TLS, 'true');
    tls = { ca: discovery['ca.crt'] };
    const pods = await serverPods();
    const boxed = pods.filter((p) => p.metadata.labels?.['app.kubernetes.io/role-group'] === 'boxed');
    assert.equal(boxed.length, 1);
    assert.equal(boxed[0].spec!.nodeName, containerNode().name, 'the container group runs on the container node');
    assert.match(boxed[0].spec!.containers[0].image!, /\/granary\/zookeeper:3\.8\.0$/);
    assert.doesNotMatch(JSON.stringify(boxed[0].spec), /\{\{/, 'the container pod is one a kubelet would run unchanged');
    assert.equal(boxed[0].spec!.runtimeClassName, 'granary-container');
    const containers = await host.cri.listContainers({ state: 'CONTAINER_RUNNING', labels: { 'io.kubernetes.pod.name': boxed[0].metadata.name! } });
    assert.equal(containers.length, 1, 'the server runs in a containerd container');
    const units = await systemd.run(['systemctl', 'list-units', '--no-legend', '--state=running', 'granary-*_zookeeper.service']);
    assert.equal(units.stdout.trim().split('\n').filter(Boolean).length, 2, `two servers run as systemd services: ${units.stdout}`);

    const addresses = (await connect()).split(',').map((hp) => { const [a, p] = hp.split(':'); return { address: a, port: Number(p) }; });
    const modes = (await Promise.all(addresses.map((s) => serverState(s.address, s.port, tls)))).map((s) => (s.serving ? s.mode : 'down')).sort();
    assert.deepEqual(modes, ['follower', 'follower', 'leader']);
    const metal = addresses.find((a) => a.address !== containerNode().address)!;
    const box = await containerServer();
    await withZooKeeper(`${metal.address}:${metal.port}`, (zk) => zk.mkdirp('/hybrid/hello', Buffer.from('written on bare metal')), tls);
    const read = await withZooKeeper(`${box.address}:${box.port}`, (zk) => eventually('the znode in the container', async () => (await zk.getData('/hybrid/hello'))?.toString()), tls);
    assert.equal(read, 'written on bare metal');

    // The containerised server speaks TLS only, with a certificate for its node's address whose key is on that node.
    const certificate = await presentedCertificate(box.address, box.port, tls);
    assert.match(certificate.subjectAltName ?? '', new RegExp(`IP Address:${box.address.replaceAll('.', '\\.')}(,|$)`));
    assert.ok(existsSync(join(containerNode().root, 'pods', box.pod.metadata.uid!, 'volumes', 'tls-server', 'tls.key')), 'the server key is on the container node');
    await assert.rejects(ZooKeeperSession.connect(`${box.address}:${box.port}`, 3_000), /could not connect/, 'a plain-text client gets no session');
  });

  test('the containerised server killed comes back with the same id and data', async () => {
    const box = await containerServer();
    const pid = pidListeningOn(box.address, box.port);
    assert.ok(pid, 'the container\'s java listens on the node\'s address (host network)');
    process.kill(pid, 'SIGKILL');
    await eventually('the server restarted in a new container', async () => {
      const now = pidListeningOn(box.address, box.port);
      return now !== undefined && now !== pid && (await serverState(box.address, box.port, tls)).serving ? true : undefined;
    }, WAIT_MS, 500);
    // The pod's status is written after the run starts (at once, on the runtime's run event), not with it.
    const again = await eventually('the restart counted in the pod\'s status', async () => {
      const now = await containerServer();
      return (now.pod.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? now : undefined;
    }, 30_000, 200);
    assert.equal(again.pod.metadata.uid, box.pod.metadata.uid, 'the same pod');
    const dataDir = join(containerNode().root, 'volumes', 'zookeeper', 'default', CLUSTER, `server-${box.id}`);
    assert.equal(readFileSync(join(dataDir, 'myid'), 'utf8').trim(), String(box.id), 'the same id, on the node');
    const read = await withZooKeeper(`${box.address}:${box.port}`, async (zk) => (await zk.getData('/hybrid/hello'))?.toString(), tls);
    assert.equal(read, 'written on bare metal', 'and the same data');
  });

  test('a rolling Restart across both kinds keeps a quorum; a client writing throughout loses nothing', async () => {
    const before = new Map((await serverPods()).map((p) => [p.metadata.name, p.metadata.uid]));
    const session = await ZooKeeperSession.connect(await connect(), 10_000, tls);
    const acknowledged: string[] = [];
    let attempts = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        const path = `/hybrid/roll/${String(attempts++).padStart(5, '0')}`;
        try {
          await session.mkdirp(path);
          acknowledged.push(path);
        } catch {
          // Not acknowledged (the client's server went away mid-write): only acknowledged writes count.
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await stack.kubectl.ok(['apply', '-f', '-'], { input: `apiVersion: command.zookeeper.granary.dev/v1alpha1\nkind: Restart\nmetadata: { name: roll }\nspec: { name: ${CLUSTER} }\n` });
      await stack.kubectl.ok(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'restart/roll', `--timeout=${WAIT_MS / 1000}s`], { timeoutMs: WAIT_MS + 10_000 });
    } finally {
      writing = false;
      await writer.finally(() => session.close());
    }
    for (const pod of await serverPods()) assert.notEqual(pod.metadata.uid, before.get(pod.metadata.name), `${pod.metadata.name} was restarted`);
    await settled();
    const written = new Set(await withZooKeeper(await connect(), (zk) => zk.children('/hybrid/roll'), tls));
    const lost = acknowledged.filter((p) => !written.has(p.split('/').pop()!));
    assert.ok(acknowledged.length > 10, `the client kept writing (${acknowledged.length} of ${attempts} acknowledged)`);
    assert.deepEqual(lost, [], 'every acknowledged write is there');
  });

  test('restarting the container node\'s agent leaves the container running and adopted', async () => {
    const readyCondition = (pod: Pod) => pod.status?.conditions?.find((c) => c.type === 'Ready');
    const box = await eventually('the container server Ready', async () => {
      const server = await containerServer();
      return readyCondition(server.pod)?.status === 'True' ? server : undefined;
    }, 60_000, 500);
    const [running] = await host.cri.listContainers({ state: 'CONTAINER_RUNNING', labels: { 'io.kubernetes.pod.name': box.pod.metadata.name! } });
    const pid = pidListeningOn(box.address, box.port);
    await stack.restartAgent(containerNode().name);
    await eventually('the agent back and the pod reported', async () => {
      const pod = (await containerServer()).pod;
      const lease = await stack.client.resource('coordination.k8s.io/v1', 'Lease').get(containerNode().name, 'kube-node-lease') as KubeObject & { spec?: { renewTime?: string } };
      return Date.parse(lease.spec?.renewTime ?? '') > Date.now() - 5000 && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
    }, 60_000, 500);
    const [still] = await host.cri.listContainers({ state: 'CONTAINER_RUNNING', labels: { 'io.kubernetes.pod.name': box.pod.metadata.name! } });
    assert.equal(still?.id, running.id, 'the same container');
    assert.equal(pidListeningOn(box.address, box.port), pid, 'the same process');
    assert.equal((await containerServer()).pod.status?.containerStatuses?.[0]?.restartCount, box.pod.status?.containerStatuses?.[0]?.restartCount, 'not restarted');
    assert.equal((await serverState(box.address, box.port, tls)).serving, true);
    // The adopted run keeps the readiness its pod reported (probed on at once), rather than
    // turning unready until its first probe passes.
    const after = readyCondition((await containerServer()).pod);
    assert.deepEqual([after?.status, after?.lastTransitionTime], ['True', readyCondition(box.pod)!.lastTransitionTime], 'Ready throughout the restart');
  });
});
