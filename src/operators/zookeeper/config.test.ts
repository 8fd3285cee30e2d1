import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../api/kinds/core.ts';
import { connectionString, groupFiles, PACKAGE_PATHS, planServers, runningServers, validateCluster, type ServerNode } from './config.ts';
import type { ZookeeperCluster } from './crd.ts';
import { ZOOKEEPER_CATALOGUE } from './properties.ts';

const node = (name: string, address: string, ready = true, labels: Record<string, string> = {}): ServerNode => ({ name, address, labels, ready, unschedulable: false, volumeRoot: `/srv/${name}/volumes` });
const NODES = [node('n1', '10.0.0.1'), node('n2', '10.0.0.2'), node('n3', '10.0.0.3')];

function cluster(spec: Partial<ZookeeperCluster['spec']> = {}, status?: ZookeeperCluster['status']): ZookeeperCluster {
  return {
    apiVersion: 'zookeeper.granary.dev/v1alpha1', kind: 'ZookeeperCluster',
    metadata: { name: 'zk', namespace: 'default', uid: 'u1', generation: 1 },
    spec: { servers: { roleGroups: { default: { replicas: 3 } } }, ...spec },
    ...(status ? { status } : {}),
  };
}

function pod(id: number, nodeName: string, clientPort = 2181): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `zk-server-default-${id}`, labels: { 'app.kubernetes.io/role-group': 'default', 'granary.dev/pod-id': String(id) } },
    spec: { nodeName, containers: [{ name: 'zookeeper', ports: [{ name: 'client', containerPort: clientPort }] }] },
  } as Pod;
}

test('three servers on three nodes: one each, at the default ports of their node\'s address', () => {
  const { servers, unplaced } = planServers(cluster(), NODES, []);
  assert.deepEqual(unplaced, []);
  assert.deepEqual(servers.map((s) => [s.id, s.address, s.clientPort, s.quorumPort, s.electionPort]), [
    [1, '10.0.0.1', 2181, 2888, 3888], [2, '10.0.0.2', 2181, 2888, 3888], [3, '10.0.0.3', 2181, 2888, 3888],
  ]);
  assert.equal(connectionString(servers), '10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181');
});

test('servers sharing a node take the next ports, in id order', () => {
  const { servers } = planServers(cluster({ servers: { config: { clientPort: 3000 }, roleGroups: { default: { replicas: 5 } } } }), NODES, []);
  const byNode = new Map<string, number[]>();
  for (const s of servers) byNode.set(s.node, [...(byNode.get(s.node) ?? []), s.clientPort]);
  for (const ports of byNode.values()) assert.deepEqual(ports, Array.from({ length: ports.length }, (_, i) => 3000 + i));
  assert.equal(new Set(servers.map((s) => `${s.address}:${s.clientPort}`)).size, 5, 'no two servers share an address and port');
});

test('a server keeps the node its pod or the status names; a stopped cluster wants none', () => {
  const fromPods = planServers(cluster(), NODES, [pod(1, 'n3'), pod(2, 'n1')]).servers;
  assert.equal(fromPods.find((s) => s.id === 1)!.node, 'n3');
  assert.equal(fromPods.find((s) => s.id === 2)!.node, 'n1');
  const fromStatus = planServers(cluster({}, { servers: [{ roleGroup: 'default', id: 3, node: 'n1' }] }), NODES, []).servers;
  assert.equal(fromStatus.find((s) => s.id === 3)!.node, 'n1');
  assert.deepEqual(planServers(cluster({ stopped: true }), NODES, [pod(1, 'n1')]).servers, []);
});

test('zoo.cfg lists every server with its quorum, election and client address; data goes to the host volume', () => {
  const validated = validateCluster(cluster({ servers: { config: { tickTime: 500 }, roleGroups: { default: { replicas: 3, configOverrides: { 'zoo.cfg': { maxClientCnxns: '100' } } } } } }));
  assert.ok(validated.ok);
  const { servers } = planServers(cluster(), NODES, []);
  const zoo = groupFiles(validated.groups.default, servers, PACKAGE_PATHS)['zoo.cfg'];
  assert.match(zoo, /^server\.1=10.0.0.1\\:2888\\:3888;10.0.0.1\\:2181$/m);
  assert.match(zoo, /^server\.3=10.0.0.3\\:2888\\:3888;10.0.0.3\\:2181$/m);
  assert.match(zoo, /^dataDir=\{\{dataroot\}\}\/zookeeper$/m);
  assert.match(zoo, /^tickTime=500$/m, 'role config');
  assert.match(zoo, /^maxClientCnxns=100$/m, 'group override');
  assert.match(zoo, /^autopurge\.purgeInterval=24$/m, 'recommended value');
  assert.match(zoo, /^admin\.enableServer=false$/m, 'no admin server fighting over port 8080');
  assert.ok(ZOOKEEPER_CATALOGUE.find({ file: 'zoo.cfg' }, '4lw.commands.whitelist'), 'srvr is allowed for the operator');
});

test('invalid specs are refused with every problem named', () => {
  const result = validateCluster(cluster({
    version: 'latest',
    servers: { roleGroups: { Bad_Name: { replicas: 1 }, ok: { config: { dataDir: '../etc' }, configOverrides: { 'zoo.cfg': { tickTime: 'soon' } } } } },
  }));
  assert.equal(result.ok, false);
  const problems = (result as { problems: string[] }).problems.join('\n');
  assert.match(problems, /Bad_Name/);
  assert.match(problems, /spec\.version: "latest"/);
  assert.match(problems, /dataDir: "\.\.\/etc" must be a relative path/);
  const overrides = validateCluster(cluster({ servers: { roleGroups: { default: { configOverrides: { 'zoo.cfg': { tickTime: 'soon' } } } } } }));
  assert.equal(overrides.ok, false);
  assert.match((overrides as { problems: string[] }).problems.join('\n'), /tickTime/);
});

test('the running servers are read from the pods: node address and client port', () => {
  assert.deepEqual(runningServers([pod(2, 'n2', 2182), pod(1, 'n1'), pod(3, 'gone')], NODES), [
    { id: 1, address: '10.0.0.1', clientPort: 2181 }, { id: 2, address: '10.0.0.2', clientPort: 2182 },
  ]);
});
