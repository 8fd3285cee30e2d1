import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../api/kinds/core.ts';
import type { ServerNode } from './config.ts';
import type { ZookeeperCluster } from './crd.ts';
import type { QuorumHealth } from './four-letter.ts';
import { nextRestart, nodesHoldingData, planCluster, type ClusterPlan } from './plan.ts';
import { CONFIG_HASH_ANNOTATION } from './pods.ts';
import { clientTlsNow, nextStages, targetStages, type TlsStages } from './tls-stages.ts';
import type { SecretClass } from '../../runtime/secret-class.ts';

const node = (name: string, address: string, ready = true, labels: Record<string, string> = {}): ServerNode => ({ name, address, labels, ready, unschedulable: false, volumeRoot: `/srv/${name}/volumes` });
const NODES = [node('n1', '10.0.0.1'), node('n2', '10.0.0.2'), node('n3', '10.0.0.3')];

/** A cluster with plain-text traffic unless `spec` says otherwise (TLS has tests of its own below). */
function cluster(spec: Partial<ZookeeperCluster['spec']> = {}, status?: ZookeeperCluster['status']): ZookeeperCluster {
  return {
    apiVersion: 'zookeeper.granary.dev/v1alpha1', kind: 'ZookeeperCluster',
    metadata: { name: 'zk', namespace: 'default', uid: 'u1', generation: 1 },
    spec: { servers: { roleGroups: { default: { replicas: 3 } } }, clusterConfig: { tls: { serverSecretClass: '', quorumSecretClass: '' } }, ...spec },
    ...(status ? { status } : {}),
  };
}

function planOf(c: ZookeeperCluster, pods: Pod[] = [], nodes = NODES, classes: ReadonlyMap<string, SecretClass> = new Map(), now?: number): ClusterPlan {
  const result = planCluster(c, pods, nodes, classes, now);
  assert.ok(result.ok, 'the spec is valid');
  return result.plan;
}

/** The pod createMissingPods would make for server `id` of the plan, with a config hash of its own choosing. */
async function serverPod(plan: ClusterPlan, id: number, hash?: string): Promise<Pod> {
  const server = plan.servers.find((s) => s.id === id)!;
  const template = await plan.pods.buildPod({
    owner: plan.cluster, role: 'server', roleGroup: server.roleGroup, id, node: server.node, name: `zk-server-default-${id}`, labels: {},
  });
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: `zk-server-default-${id}`, namespace: 'default', uid: `pod-${id}`,
      labels: { 'app.kubernetes.io/component': 'server', 'app.kubernetes.io/role-group': server.roleGroup, 'granary.dev/pod-id': String(id) },
      annotations: { ...template.metadata!.annotations, ...(hash ? { [CONFIG_HASH_ANNOTATION]: hash } : {}) },
      ownerReferences: [{ apiVersion: plan.cluster.apiVersion, kind: 'ZookeeperCluster', name: 'zk', uid: 'u1', controller: true }],
    },
    spec: { ...template.spec, nodeName: server.node },
  };
}

const health = (leader: number, healthy = true): QuorumHealth => ({ healthy, leader, followers: [], down: [], message: 'test' });

test('a new cluster: a ConfigMap per role group, the discovery ConfigMap, every server placed, nothing to ask yet', () => {
  const plan = planOf(cluster());
  assert.deepEqual(plan.configMaps.map((c) => c.metadata.name), ['zk-server-default', 'zk']);
  assert.match(plan.configMaps[0].data!['zoo.cfg'], /^server\.3=10.0.0.3\\:2888\\:3888;10.0.0.3\\:2181$/m);
  assert.deepEqual(plan.configMaps[1].data, { ZOOKEEPER: '10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181', ZOOKEEPER_TLS: 'false', ZOOKEEPER_CLIENT_AUTH: 'none' });
  for (const configMap of plan.configMaps) {
    assert.equal(configMap.metadata.ownerReferences?.[0].uid, 'u1');
    assert.equal(configMap.metadata.labels?.['app.kubernetes.io/managed-by'], 'zookeeper-operator');
  }
  assert.deepEqual(plan.status, {
    version: '3.8.0', connectionString: '10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181',
    servers: [1, 2, 3].map((id) => ({ roleGroup: 'default', id, node: `n${id}` })),
    members: [],
    tls: { client: 'plain', quorum: 'plain' },
  });
  assert.equal(plan.nextTls, undefined, 'a new cluster starts as its spec says, without stages');
  assert.equal(plan.ensemble, undefined, 'no server runs, so none is asked');
  assert.deepEqual(plan.outdated, []);
  assert.deepEqual(plan.problems, []);
  assert.equal(plan.pods.quorum, true);
});

test('planning is a function of its arguments: the same input gives the same plan', async () => {
  const pods = [await serverPod(planOf(cluster()), 1)];
  const a = planOf(cluster(), pods);
  const b = planOf(cluster(), pods);
  const comparable = (p: ClusterPlan) => ({ ...p, pods: { ...p.pods, buildPod: undefined, mayCreate: undefined }, creatable: creatable(p, [1, 2, 3]) });
  assert.deepEqual(comparable(a), comparable(b));
});

test('servers built from another configuration are outdated; the leader is restarted last, and only with a quorum', async () => {
  const before = planOf(cluster());
  const pods = await Promise.all([1, 2, 3].map((id) => serverPod(before, id)));
  const same = planOf(cluster(), pods);
  assert.deepEqual(same.outdated, [], 'pods built from the current plan are up to date');
  assert.deepEqual(same.ensemble, [1, 2, 3].map((id) => ({ id, address: `10.0.0.${id}`, clientPort: 2181 })));

  const changed = planOf(cluster({ servers: { config: { tickTime: 500 }, roleGroups: { default: { replicas: 3 } } } }), pods);
  assert.deepEqual(changed.outdated.map((p) => p.metadata.name), ['zk-server-default-1', 'zk-server-default-2', 'zk-server-default-3']);
  assert.equal(nextRestart(changed.outdated, health(3), []), changed.outdated[1], 'the highest id that does not lead');
  assert.equal(nextRestart(changed.outdated, health(2), []), changed.outdated[2]);
  assert.equal(nextRestart([changed.outdated[2]], health(3), []), changed.outdated[2], 'the leader when it is the last one');
  assert.equal(nextRestart(changed.outdated, health(3, false), []), 'wait');
  assert.equal(nextRestart(changed.outdated, undefined, []), 'wait');
  assert.equal(nextRestart([], health(1), []), 'none');
});

test('a stopped cluster wants no servers and asks none, but discovery names where they will be', async () => {
  const running = planOf(cluster());
  const pods = [await serverPod(running, 1)];
  const stopped = planOf(cluster({ stopped: true }), pods);
  assert.deepEqual(stopped.servers, []);
  assert.equal(stopped.ensemble, undefined);
  assert.equal(stopped.pods.quorum, false);
  assert.equal(stopped.pods.roles.server.roleGroups.default.replicas, 0);
  assert.deepEqual(stopped.configMaps.at(-1)!.data, { ZOOKEEPER: '10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181', ZOOKEEPER_TLS: 'false', ZOOKEEPER_CLIENT_AUTH: 'none' });
});

test('servers no node fits are problems of the plan; invalid specs give every problem and no plan', () => {
  const plan = planOf(cluster({ servers: { roleGroups: { default: { replicas: 3, selector: { matchLabels: { disk: 'ssd' } } } } } }));
  assert.deepEqual(plan.problems.map((p) => [p.pod, p.reason]), [['server 1', 'NoEligibleNode'], ['server 2', 'NoEligibleNode'], ['server 3', 'NoEligibleNode']]);
  const invalid = planCluster(cluster({ version: 'latest', servers: { roleGroups: {} } }), [], NODES);
  assert.ok(!invalid.ok);
  assert.equal(invalid.problems.length, 2);
  assert.match(invalid.problems.join('\n'), /spec\.version: "latest" is not a ZooKeeper version/);
});

test('data is removed on the ready nodes the status says held servers', () => {
  const c = cluster({}, { servers: [{ roleGroup: 'default', id: 1, node: 'n2' }, { roleGroup: 'default', id: 2, node: 'n1' }, { roleGroup: 'default', id: 3, node: 'n3' }] });
  assert.deepEqual(nodesHoldingData(c, [node('n1', '10.0.0.1'), node('n2', '10.0.0.2'), node('n3', '10.0.0.3', false)]).map((n) => n.name), ['n1', 'n2']);
});

test('a hybrid ensemble: container groups go to container nodes with kubelet-ready pods, package groups to bare metal; one server list', async () => {
  const nodes = [node('metal-1', '10.0.0.1'), node('metal-2', '10.0.0.2'), node('box-1', '10.0.0.3', true, { 'runtime.granary.dev/container': 'true' })];
  const hybrid = cluster({
    imageRegistry: 'registry.example:5000',
    servers: { roleGroups: { metal: { replicas: 2 }, boxed: { replicas: 1, runtime: 'container' } } },
  });
  const result = planCluster(hybrid, [], nodes);
  assert.ok(result.ok);
  const { plan } = result;
  const byGroup = (g: string) => plan.servers.filter((s) => s.roleGroup === g);
  assert.deepEqual(byGroup('boxed').map((s) => s.node), ['box-1']);
  assert.deepEqual(byGroup('metal').map((s) => s.node).sort(), ['metal-1', 'metal-2']);
  const boxed = byGroup('boxed')[0];
  const pod = await plan.pods.buildPod({ role: 'server', roleGroup: 'boxed', id: boxed.id, node: 'box-1' } as never);
  const text = JSON.stringify(pod);
  assert.doesNotMatch(text, /\{\{/, 'no placeholder only Granary\'s agent expands');
  assert.equal(pod.spec.hostNetwork, true);
  assert.equal(pod.spec.containers[0].image, 'registry.example:5000/granary/zookeeper:3.8.0');
  assert.equal(pod.spec.volumes!.find((v) => v.name === 'data')!.hostPath!.path, `/srv/box-1/volumes/zookeeper/default/zk/server-${boxed.id}`);
  assert.deepEqual(pod.spec.containers[0].volumeMounts!.map((m) => m.mountPath), ['/etc/zookeeper/granary', '/var/lib/zookeeper', '/var/log/zookeeper']);
  const boxedConfig = plan.configMaps.find((c) => c.metadata.name === 'zk-server-boxed')!;
  assert.match(boxedConfig.data!['zoo.cfg'], /^dataDir=\/var\/lib\/zookeeper$/m);
  // Every server, in a container or not, is in both groups' server lists.
  for (const group of ['metal', 'boxed']) {
    const zoo = plan.configMaps.find((c) => c.metadata.name === `zk-server-${group}`)!.data!['zoo.cfg'];
    for (const s of plan.servers) assert.match(zoo, new RegExp(`^server\\.${s.id}=${s.address.replaceAll('.', '\\.')}`, 'm'));
  }
  const metal = await plan.pods.buildPod({ role: 'server', roleGroup: 'metal', id: byGroup('metal')[0].id, node: 'metal-1' } as never);
  assert.equal(metal.spec.containers[0].image, 'zookeeper:3.8.0', 'bare metal runs the package');

  const noRegistry = planCluster(cluster({ servers: { roleGroups: { boxed: { replicas: 1, runtime: 'container' } } } }), [], nodes);
  assert.equal(noRegistry.ok, false);
  assert.match((noRegistry as { problems: string[] }).problems.join(), /spec\.imageRegistry: role groups boxed run in containers/);
  // Without a container node, a container group's server has nowhere to go.
  const unplaced = planCluster(hybrid, [], nodes.slice(0, 2));
  assert.ok(unplaced.ok);
  assert.equal(unplaced.plan.problems[0]?.reason, 'NoEligibleNode');
});

const secretClass = (name: string, bundle: string, lifetime?: number): SecretClass => ({
  apiVersion: 'secrets.granary.dev/v1alpha1', kind: 'SecretClass', metadata: { name },
  spec: lifetime ? { certificateLifetimeSeconds: lifetime } : {}, status: { trustBundle: bundle, issuer: `${bundle}-issuer` },
});

test('TLS by default: TLS-only client port per server, TLS quorum, certificate volumes, discovery with the CA', async () => {
  const tlsCluster = cluster({ clusterConfig: { authentication: { tls: { clientSecretClass: 'zk-clients' } } } });
  const classes = new Map([['tls', secretClass('tls', 'CA-1')], ['zk-clients', secretClass('zk-clients', 'CLIENT-CA')]]);
  const plan = planOf(tlsCluster, [], NODES, classes);
  const files = plan.configMaps[0].data!;
  assert.match(files['zoo.cfg'], /^server\.3=10.0.0.3\\:2888\\:3888$/m, 'no plain client address in the server list');
  assert.doesNotMatch(files['zoo.cfg'], /^clientPort=/m);
  assert.match(files['zoo-2.cfg'], /^secureClientPort=2181$/m);
  assert.match(files['zoo-2.cfg'], /^secureClientPortAddress=10.0.0.2$/m);
  assert.match(files['zoo-2.cfg'], /^sslQuorum=true$/m);
  assert.match(files['zoo-2.cfg'], /^ssl.clientAuth=need$/m);
  assert.match(files['zoo-2.cfg'], /^ssl.trustStore.location=\{\{configroot\}\}\/tls-client\/truststore.p12$/m, 'clients are checked against the client class');
  assert.match(files['zoo-2.cfg'], /^ssl.quorum.keyStore.location=\{\{configroot\}\}\/tls-quorum\/keystore.p12$/m);
  assert.deepEqual(plan.configMaps[1].data, {
    ZOOKEEPER: '10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181', ZOOKEEPER_TLS: 'true', ZOOKEEPER_CLIENT_AUTH: 'tls',
    ZOOKEEPER_CLIENT_SECRET_CLASS: 'zk-clients', ZOOKEEPER_SERVER_SECRET_CLASS: 'tls', 'ca.crt': 'CA-1',
  });
  const pod = await serverPod(plan, 2);
  assert.deepEqual(pod.spec!.volumes!.filter((v) => v.csi).map((v) => [v.name, v.csi!.driver, v.csi!.volumeAttributes!.secretClass]),
    [['tls-server', 'secrets.granary.dev', 'tls'], ['tls-quorum', 'secrets.granary.dev', 'tls'], ['tls-client', 'secrets.granary.dev', 'zk-clients']]);
  assert.ok(pod.spec!.containers[0].args!.at(-1)!.endsWith('/zoo-2.cfg'));
  assert.match(pod.spec!.containers[0].readinessProbe!.exec!.command![2], /openssl s_client .*-connect 10.0.0.2:2181 -CAfile tls-server\/ca.crt -cert tls-client\/tls.crt/);
  assert.deepEqual(plan.problems, []);

  // A class without a CA yet is a problem (servers would only wait); a new CA makes every server outdated.
  assert.deepEqual(planOf(tlsCluster, [], NODES, new Map([['tls', secretClass('tls', 'CA-1')]])).problems.map((p) => p.reason), ['SecretClassNotReady']);
  const pods = await Promise.all([1, 2, 3].map((id) => serverPod(plan, id)));
  assert.deepEqual(planOf(tlsCluster, pods, NODES, classes).outdated, []);
  const rotated = new Map([...classes, ['tls', secretClass('tls', 'CA-1 CA-2')]]);
  assert.equal(planOf(tlsCluster, pods, NODES, rotated).outdated.length, 3);
});

/** Pods of every server as the plan builds them: the servers after a finished roll. */
const rolled = (plan: ClusterPlan) => Promise.all([1, 2, 3].map((id) => serverPod(plan, id)));
const zooCfg = (plan: ClusterPlan, id: number) => plan.configMaps[0].data![`zoo-${id}.cfg`] ?? plan.configMaps[0].data!['zoo.cfg'];

test('turning TLS on for a running plain-text ensemble: three rolls through the unified stages, discovery switching once every server takes TLS', async () => {
  const classes = new Map([['tls', secretClass('tls', 'CA-1')]]);
  const plain = cluster();
  let pods = await rolled(planOf(plain));
  // The spec turns TLS on (the default); the status says the servers run plain text.
  const on = (stages: NonNullable<ZookeeperCluster['status']>['tls']) => cluster({ clusterConfig: {} }, { tls: stages });
  const stage0 = planOf(on({ client: 'plain', quorum: 'plain' }), pods, NODES, classes);
  assert.deepEqual(stage0.status.tls, { client: 'plain', quorum: 'plain' });
  assert.deepEqual(stage0.outdated, [], 'nothing changes before the first stage is recorded');
  assert.equal(stage0.configMaps[1].data!.ZOOKEEPER_TLS, 'false');
  assert.deepEqual(stage0.nextTls, { client: 'unified', quorum: 'unified-plain', serverSecretClass: 'tls', quorumSecretClass: 'tls' });

  // Stage 1: ports take both; peers still connect in plain text; clients still told plain text.
  const stage1 = planOf(on(stage0.nextTls), pods, NODES, classes);
  assert.equal(stage1.outdated.length, 3, 'every server rolls onto stage 1');
  const cfg1 = zooCfg(stage1, 2);
  assert.match(cfg1, /^portUnification=true$/m);
  assert.match(cfg1, /^sslQuorum=false$/m);
  assert.match(cfg1, /^client.portUnification=true$/m);
  assert.match(cfg1, /^server\.2=10.0.0.2\\:2888\\:3888;10.0.0.2\\:2181$/m, 'the plain client port stays, taking TLS too');
  assert.doesNotMatch(cfg1, /^secureClientPort=/m);
  assert.equal(stage1.configMaps[1].data!.ZOOKEEPER_TLS, 'false', 'clients keep plain text while a server takes only that');
  assert.equal(stage1.nextTls!.quorum, 'unified-tls');
  const pod1 = await serverPod(stage1, 2);
  assert.deepEqual(pod1.spec!.volumes!.filter((v) => v.csi).map((v) => v.name), ['tls-server', 'tls-quorum']);
  assert.equal(pod1.metadata.annotations!['zookeeper.granary.dev/client-tls'], 'unified');
  pods = await rolled(stage1);
  const stage1Done = planOf(on(stage0.nextTls), pods, NODES, classes);
  assert.deepEqual(stage1Done.outdated, []);
  assert.equal(stage1Done.configMaps[1].data!.ZOOKEEPER_TLS, 'true', 'every server takes TLS: clients are told to use it');
  assert.equal(stage1Done.configMaps[1].data!['ca.crt'], 'CA-1');

  // Stage 2: peers connect with TLS, still taking both; the client port becomes TLS only.
  const stage2 = planOf(on(stage1.nextTls), pods, NODES, classes);
  assert.equal(stage2.outdated.length, 3);
  assert.match(zooCfg(stage2, 2), /^sslQuorum=true$/m);
  assert.match(zooCfg(stage2, 2), /^portUnification=true$/m);
  assert.match(zooCfg(stage2, 2), /^secureClientPort=2181$/m);
  assert.doesNotMatch(zooCfg(stage2, 2), /^client.portUnification=/m);
  assert.equal(stage2.configMaps[1].data!.ZOOKEEPER_TLS, 'true');
  assert.deepEqual(stage2.nextTls, { client: 'tls', quorum: 'tls', serverSecretClass: 'tls', quorumSecretClass: 'tls' });

  // Stage 3: TLS only; the end.
  pods = await rolled(stage2);
  const stage3 = planOf(on(stage2.nextTls), pods, NODES, classes);
  assert.equal(stage3.outdated.length, 3);
  assert.doesNotMatch(zooCfg(stage3, 2), /^portUnification=/m);
  assert.match(zooCfg(stage3, 2), /^sslQuorum=true$/m);
  assert.equal(stage3.nextTls, undefined);
  // The same servers as a cluster made with TLS from the start.
  const fresh = planOf(cluster({ clusterConfig: {} }), [], NODES, classes);
  assert.deepEqual(stage3.configMaps, fresh.configMaps);
});

test('turning TLS off walks back through the same stages, keeping the classes in use until plain text', async () => {
  const classes = new Map([['tls', secretClass('tls', 'CA-1')]]);
  let pods = await rolled(planOf(cluster({ clusterConfig: {} }), [], NODES, classes));
  const full = { client: 'tls', quorum: 'tls', serverSecretClass: 'tls', quorumSecretClass: 'tls' } as const;
  const off = (stages: NonNullable<ZookeeperCluster['status']>['tls']) => cluster({}, { tls: stages });
  const stage0 = planOf(off(full), pods, NODES, classes);
  assert.deepEqual(stage0.outdated, []);
  assert.deepEqual(stage0.nextTls, { client: 'unified', quorum: 'unified-tls', serverSecretClass: 'tls', quorumSecretClass: 'tls' });
  const stage1 = planOf(off(stage0.nextTls), pods, NODES, classes);
  assert.equal(stage1.outdated.length, 3);
  assert.match(zooCfg(stage1, 1), /^portUnification=true$/m);
  assert.match(zooCfg(stage1, 1), /^client.portUnification=true$/m);
  assert.equal(stage1.configMaps[1].data!.ZOOKEEPER_TLS, 'true', 'clients keep TLS while a server takes only that');
  pods = await rolled(stage1);
  assert.equal(planOf(off(stage0.nextTls), pods, NODES, classes).configMaps[1].data!.ZOOKEEPER_TLS, 'false', 'every server takes plain text: clients are told to use it');
  const stage2 = planOf(off(stage1.nextTls), pods, NODES, classes);
  assert.deepEqual(stage2.status.tls, { client: 'plain', quorum: 'unified-plain', quorumSecretClass: 'tls' });
  assert.match(zooCfg(stage2, 1), /^sslQuorum=false$/m);
  assert.match(zooCfg(stage2, 1), /^ssl.quorum.keyStore.location=/m, 'quorum certificates stay while TLS peers may connect');
  pods = await rolled(stage2);
  const stage3 = planOf(off(stage2.nextTls), pods, NODES, classes);
  assert.deepEqual(stage3.status.tls, { client: 'plain', quorum: 'plain' });
  assert.equal(stage3.nextTls, undefined);
  assert.deepEqual(stage3.configMaps, planOf(cluster(), [], NODES, classes).configMaps);
  assert.equal((await serverPod(stage3, 1)).spec!.volumes!.some((v) => v.csi), false);
});

test('TLS stages: no servers, no stages; a stopped cluster starts as its spec says; a quorum class with another CA changes where peers connect in plain text', async () => {
  const classes = new Map([['tls', secretClass('tls', 'CA-1')]]);
  const recorded = { tls: { client: 'plain', quorum: 'plain' } } as const;
  // Status says plain text, but no server runs: the servers are made with TLS at once.
  assert.equal(planOf(cluster({ clusterConfig: {} }, recorded), [], NODES, classes).nextTls, undefined);
  const pods = await rolled(planOf(cluster()));
  assert.equal(planOf(cluster({ clusterConfig: {}, stopped: true }, recorded), pods, NODES, classes).nextTls, undefined);
  // A cluster from before stages (no status.tls) runs what its spec says.
  assert.equal(planOf(cluster({ clusterConfig: {} }), pods, NODES, classes).nextTls, undefined);

  // Quorum class A → B: down to unified-plain, switch there, up again; the client class switches in one roll.
  const walk: TlsStages[] = [];
  let at: TlsStages = { client: 'tls', quorum: 'tls', serverSecretClass: 'a', quorumSecretClass: 'a' };
  const target: TlsStages = { client: 'tls', quorum: 'tls', serverSecretClass: 'b', quorumSecretClass: 'b' };
  for (let next = nextStages(at, target); next; next = nextStages(at, target)) walk.push(at = next);
  assert.deepEqual(walk.map((w) => `${w.quorum}/${w.quorumSecretClass} ${w.client}/${w.serverSecretClass}`),
    ['unified-tls/a tls/b', 'unified-plain/a tls/b', 'unified-plain/b tls/b', 'unified-tls/b tls/b', 'tls/b tls/b']);
  // The operator's own clients follow the stage: plain text until the tls stage when turning on, TLS until plain when turning off.
  const on = (client: 'plain' | 'unified' | 'tls') => cluster({ clusterConfig: {} }, { tls: { client, quorum: 'plain', serverSecretClass: 'tls' } });
  assert.deepEqual([clientTlsNow(on('plain')), clientTlsNow(on('unified')), clientTlsNow(on('tls'))], [{}, {}, { server: 'tls', client: undefined }]);
  const off = (client: 'unified' | 'tls') => cluster({}, { tls: { client, quorum: 'plain', serverSecretClass: 'tls' } });
  assert.deepEqual([clientTlsNow(off('tls')), clientTlsNow(off('unified'))], [{ server: 'tls', client: undefined }, { server: 'tls', client: undefined }]);
  assert.deepEqual(clientTlsNow(cluster({ clusterConfig: {} })), { server: 'tls', client: undefined }, 'no stages recorded: as the spec says');
  // A change of mind mid-way turns back from where the servers are.
  assert.deepEqual(nextStages({ client: 'unified', quorum: 'unified-tls', serverSecretClass: 'a', quorumSecretClass: 'a' }, targetStages({})),
    { client: 'plain', quorum: 'unified-plain', quorumSecretClass: 'a' });
});

test('servers are restarted for new certificates once 60% of the shortest lifetime has passed since their pod was made', async () => {
  const classes = new Map([['tls', secretClass('tls', 'CA', 100)]]);
  const plan = planOf(cluster({ clusterConfig: {} }), [], NODES, classes);
  const created = Date.parse('2026-01-01T00:00:00Z');
  const pods = await Promise.all([1, 2, 3].map((id) => serverPod(plan, id)));
  pods[0].metadata.creationTimestamp = new Date(created).toISOString();
  pods[1].metadata.creationTimestamp = new Date(created + 30_000).toISOString();
  pods[2].metadata.creationTimestamp = new Date(created + 30_000).toISOString();
  const outdated = (now: number) => planOf(cluster({ clusterConfig: {} }), pods, NODES, classes, now).outdated.map((p) => p.metadata.name);
  assert.deepEqual(outdated(created + 59_000), []);
  assert.deepEqual(outdated(created + 60_000), ['zk-server-default-1']);
  assert.deepEqual(outdated(created + 90_000), ['zk-server-default-1', 'zk-server-default-2', 'zk-server-default-3']);
  const next = nextRestart(planOf(cluster({ clusterConfig: {} }), pods, NODES, classes, created + 90_000).outdated, health(2), []);
  assert.equal((next as Pod).metadata.name, 'zk-server-default-1', 'the oldest first, so that none waits until its certificates expire');
  // Plain text: no certificates, no such restarts.
  assert.deepEqual(planOf(cluster(), pods, NODES, classes, created + 3_600_000).outdated.length, 3, 'the plain-text pods differ in configuration, not age');
});

test('client authentication needs a TLS client port', () => {
  const result = planCluster(cluster({ clusterConfig: { tls: { serverSecretClass: '' }, authentication: { tls: { clientSecretClass: 'c' } } } }), [], NODES);
  assert.ok(!result.ok);
  assert.match(result.problems.join(), /authentication.tls needs TLS on the client port/);
});

test('a server restarted in the middle of a scale-down keeps its id; the servers beyond the replicas are the ones that go', async () => {
  const five = cluster({ servers: { roleGroups: { default: { replicas: 5 } } } });
  const fivePlan = planOf(five, [], [...NODES, node('n4', '10.0.0.4'), node('n5', '10.0.0.5')]);
  const pods = await Promise.all([1, 2, 3, 4, 5].map((id) => serverPod(fivePlan, id)));
  const recorded = { servers: fivePlan.status.servers };
  // Scaled to three; server 2 was deleted to restart it and is not back yet.
  const three = cluster({ servers: { roleGroups: { default: { replicas: 3 } } } }, recorded);
  const plan = planOf(three, pods.filter((p) => p.metadata.name !== 'zk-server-default-2'), [...NODES, node('n4', '10.0.0.4'), node('n5', '10.0.0.5')]);
  assert.deepEqual(plan.servers.map((s) => s.id), [1, 2, 3]);
  assert.equal(plan.servers.find((s) => s.id === 2)?.node, 'n2');
  assert.deepEqual(plan.outdated.map((p) => p.metadata.name).sort(), ['zk-server-default-1', 'zk-server-default-3']);
});

test('a scale-down removes the leaving servers, highest id first, before any staying server restarts with the smaller server list', async () => {
  const fiveNodes = [...NODES, node('n4', '10.0.0.4'), node('n5', '10.0.0.5')];
  const five = cluster({ servers: { roleGroups: { default: { replicas: 5 } } } });
  const fivePlan = planOf(five, [], fiveNodes);
  const pods = await Promise.all([1, 2, 3, 4, 5].map((id) => serverPod(fivePlan, id)));
  assert.deepEqual(planOf(five, pods, fiveNodes).leaving, [], 'nothing leaves an ensemble of its own size');
  const three = cluster({ servers: { roleGroups: { default: { replicas: 3 } } } }, { servers: fivePlan.status.servers });

  // After the scale-up server 5 leads (ties go to the highest id). Restarting server 1 with
  // server.1-3 only would leave it ignoring its leader, never serving again.
  const scaledDown = planOf(three, pods, fiveNodes);
  assert.deepEqual(scaledDown.outdated.map((p) => p.metadata.name), ['zk-server-default-1', 'zk-server-default-2', 'zk-server-default-3']);
  assert.deepEqual(scaledDown.leaving.map((p) => p.metadata.name), ['zk-server-default-5', 'zk-server-default-4']);
  assert.equal(nextRestart(scaledDown.outdated, health(5), scaledDown.leaving), 'later');
  assert.equal(nextRestart(scaledDown.outdated, health(3), scaledDown.leaving), 'later', 'whoever leads');

  const oneLeft = planOf(three, pods.filter((p) => p.metadata.name !== 'zk-server-default-5'), fiveNodes);
  assert.deepEqual(oneLeft.leaving.map((p) => p.metadata.name), ['zk-server-default-4']);
  assert.equal(nextRestart(oneLeft.outdated, health(4), oneLeft.leaving), 'later');

  // A leaving server already terminating is waited for by the pod steps, not counted again.
  const terminating = pods.slice(0, 4).map((p) => p.metadata.name === 'zk-server-default-4' ? { ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } } : p);
  assert.deepEqual(planOf(three, terminating, fiveNodes).leaving, []);

  const staying = planOf(three, pods.slice(0, 3), fiveNodes);
  assert.deepEqual(staying.leaving, []);
  assert.equal((nextRestart(staying.outdated, health(3), staying.leaving) as Pod).metadata.name, 'zk-server-default-2', 'then the roll, the leader last');
});

/** `pod` as the agent reports it: Running, and Ready when it serves. */
const reported = (pod: Pod, ready: boolean): Pod => ({ ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
const replicas = (n: number, status?: ZookeeperCluster['status']) => cluster({ servers: { roleGroups: { default: { replicas: n } } } }, status);
const creatable = (plan: ClusterPlan, ids: number[]) => ids.filter((id) => plan.pods.mayCreate!({ roleGroup: 'default', id }));

test('growing from one server: it restarts with the new list first, then newcomers come fewer than a majority at a time, so none elects without the data', async () => {
  const one = planOf(replicas(1));
  assert.deepEqual(creatable(one, [1]), [1], 'a new cluster creates every server');
  const pod1 = reported(await serverPod(one, 1), true);
  assert.deepEqual(planOf(replicas(1), [pod1]).status.members, [1], 'a server that served is a member');

  // Scaled to three: server 1 runs standalone and takes no part in elections; 2 and 3 alone would elect.
  const grown = planOf(replicas(3, { members: [1] }), [pod1]);
  assert.match(grown.restartAllAtOnce ?? '', /fewer than a majority of the 3/);
  assert.deepEqual(grown.outdated.map((p) => p.metadata.name), ['zk-server-default-1']);
  assert.deepEqual(creatable(grown, [2, 3]), [], 'no newcomer while server 1 runs the old list');

  const restarting = planOf(replicas(3, { members: [1] }), []);
  assert.equal(restarting.restartAllAtOnce, undefined);
  assert.deepEqual(creatable(restarting, [1, 2, 3]), [1], 'server 1 comes back first');

  const back = reported(await serverPod(restarting, 1), false);
  const joining = planOf(replicas(3, { members: [1] }), [back]);
  assert.deepEqual(creatable(joining, [2, 3]), [2], 'one newcomer: with server 1 a quorum, without it none');
  const pod2 = reported(await serverPod(joining, 2), false);
  assert.deepEqual(creatable(planOf(replicas(3, { members: [1] }), [back, pod2]), [3]), [], 'the next waits until it serves');
  const serving = planOf(replicas(3, { members: [1] }), [reported(back, true), reported(pod2, true)]);
  assert.deepEqual([serving.status.members, creatable(serving, [3])], [[1, 2], [3]]);
});

test('growing from a majority (3 → 5) lets the newcomers join the running leader: no restart at once', async () => {
  const fiveNodes = [...NODES, node('n4', '10.0.0.4'), node('n5', '10.0.0.5')];
  const three = planOf(replicas(3), [], fiveNodes);
  const pods = await Promise.all([1, 2, 3].map(async (id) => reported(await serverPod(three, id), true)));
  const five = planOf(replicas(5, { members: [1, 2, 3] }), pods, fiveNodes);
  assert.equal(five.restartAllAtOnce, undefined);
  assert.deepEqual(creatable(five, [4, 5]), [4, 5]);
});

test('shrinking below a majority (3 → 1): once the others are gone, the staying server restarts with the new list, not waiting for a quorum that cannot come', async () => {
  const three = planOf(replicas(3));
  const pods = await Promise.all([1, 2, 3].map(async (id) => reported(await serverPod(three, id), true)));
  const shrinking = planOf(replicas(1, { members: [1, 2, 3] }), pods);
  assert.equal(shrinking.restartAllAtOnce, undefined, 'leaving servers go first, one at a time');
  assert.deepEqual(shrinking.leaving.map((p) => p.metadata.name), ['zk-server-default-3', 'zk-server-default-2']);
  const alone = planOf(replicas(1, { members: [1, 2, 3] }), [reported(pods[0], false)]);
  assert.match(alone.restartAllAtOnce ?? '', /fewer than a majority of the 3 they ran with/);
  assert.deepEqual(alone.status.members, [1]);
  // Pods built before the ensemble size was recorded are not guessed at.
  const unannotated = { ...pods[0], metadata: { ...pods[0].metadata, annotations: { [CONFIG_HASH_ANNOTATION]: 'old' } } };
  assert.equal(planOf(replicas(1), [reported(unannotated, false)]).restartAllAtOnce, undefined);
  // 3 → 2 keeps a majority: the usual roll, one at a time with a quorum.
  assert.equal(planOf(replicas(2, { members: [1, 2, 3] }), pods.slice(0, 2)).restartAllAtOnce, undefined);
});
