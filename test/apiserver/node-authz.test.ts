// Node isolation end to end: node credentials (user system:node:NAME, group system:nodes) from
// writeNodeKubeconfig and `granary node-credential`, against `granary apiserver`, through our
// client and the real kubectl (oldest and newest installed). A node reaches its own Node and
// Lease, the pods bound to it and the ConfigMaps and Secrets those pods reference, and nothing of
// another node's; NodeRestriction refuses writes to another node's objects in the body.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { writeNodeKubeconfig } from '../../src/apiserver/auth/node-credentials.ts';
import { PACKAGE_REPOSITORY_CRD } from '../../src/agent/packages/repository-resource.ts';
import { KubeClient } from '../../src/client/client.ts';
import { isForbidden } from '../../src/client/errors.ts';
import type { KubeObject } from '../../src/api/meta.ts';
import { REPO_ROOT, startApiServer, type RunningApiServer } from '../support/apiserver.ts';
import { eventually } from '../support/eventually.ts';
import { Kubectl, KUBECTL_VERSIONS } from '../support/kubectl.ts';
import { apiError } from '../support/api-error.ts';

const NS = 'apps';
type PodObject = KubeObject & { spec: { nodeName?: string }; status?: { phase?: string } };

let server: RunningApiServer;
let admin: KubeClient;
let nodeA: KubeClient;
let kubeconfigA: string;
let kubeconfigB: string;

async function forbidden(promise: Promise<unknown>): Promise<string> {
  const err = await apiError(promise);
  assert.ok(isForbidden(err), `${err.code} ${err.message}`);
  return err.message;
}

function pod(name: string, nodeName: string | undefined, spec: Record<string, unknown> = {}): PodObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'x:1' }], ...spec } } as PodObject;
}

/** Reads a Secret as node-a: its name, or undefined when refused. */
async function nodeAReadsSecret(name: string): Promise<boolean> {
  try {
    await nodeA.resource('v1', 'Secret').get(name, NS);
    return true;
  } catch (err) {
    if (isForbidden(err)) return false;
    throw err;
  }
}

before(async () => {
  server = await startApiServer();
  admin = KubeClient.fromKubeconfig(server.kubeconfig);
  kubeconfigA = await writeNodeKubeconfig(server.dataDir, 'node-a', server.url);
  // The command line way, as an operator of a real host would: the server address from admin.kubeconfig.
  const { stdout } = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'src/cli/main.ts'), 'node-credential', '--data-dir', server.dataDir, '--node-name', 'node-b']);
  kubeconfigB = stdout.trim();
  nodeA = KubeClient.fromKubeconfig(kubeconfigA);

  await admin.resource('v1', 'Namespace').create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const data = (value: string) => ({ v: Buffer.from(value).toString('base64') });
  await admin.resource('v1', 'ConfigMap').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a-config', namespace: NS }, data: { k: 'v' } } as KubeObject);
  await admin.resource('v1', 'ConfigMap').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b-config', namespace: NS }, data: { k: 'v' } } as KubeObject);
  for (const name of ['a-secret', 'a-projected', 'b-secret', 'unused']) {
    await admin.resource('v1', 'Secret').create({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, data: data(name) } as KubeObject);
  }
  await admin.resource('v1', 'Pod').create(pod('pa', 'node-a', {
    volumes: [{ name: 'conf', configMap: { name: 'a-config' } }, { name: 'all', projected: { sources: [{ secret: { name: 'a-projected' } }] } }],
    containers: [{ name: 'c', image: 'x:1', env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'a-secret', key: 'v' } } }] }],
  }));
  await admin.resource('v1', 'Pod').create(pod('pb', 'node-b', {
    volumes: [{ name: 'conf', configMap: { name: 'b-config' } }, { name: 's', secret: { secretName: 'b-secret' } }],
  }));
});

after(async () => {
  await Promise.all([admin?.close(), nodeA?.close()]);
  assert.equal(await server.stop(), 0);
});

describe('a node credential', () => {
  test('is a kubeconfig readable by its owner only, for user system:node:NAME in group system:nodes', async () => {
    assert.equal(statSync(kubeconfigA).mode & 0o777, 0o600);
    assert.equal(kubeconfigB, join(server.dataDir, 'nodes', 'node-b.kubeconfig'));
    const who = await nodeA.request<{ status: { userInfo: { username: string; groups: string[] } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: { kind: 'SelfSubjectReview' } });
    assert.equal(who.status.userInfo.username, 'system:node:node-a');
    assert.deepEqual(who.status.userInfo.groups, ['system:nodes', 'system:authenticated']);
  });
});

describe('our client, as node-a', () => {
  test('registers and updates its own Node and Lease, and no other node\'s', async () => {
    const nodes = nodeA.resource<KubeObject & { status?: Record<string, unknown> }>('v1', 'Node');
    await nodes.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a' } } });
    const own = await nodes.get('node-a');
    await nodes.updateStatus({ ...own, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.2' }] } });
    await nodes.patch('node-a', undefined, { metadata: { labels: { rack: 'r1' } } });
    assert.equal((await nodes.get('node-a')).metadata.labels?.rack, 'r1');
    assert.deepEqual((await nodes.list(undefined, { fieldSelector: 'metadata.name=node-a' })).items.map((n) => n.metadata.name), ['node-a']);

    const impostor = await forbidden(nodes.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b' } }));
    assert.equal(impostor, 'nodes "node-b" is forbidden: node "node-a" is not allowed to modify node "node-b"');
    await admin.resource('v1', 'Node').create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b' } });
    assert.match(await forbidden(nodes.patch('node-b', undefined, { metadata: { labels: { mine: 'yes' } } })),
      /^nodes "node-b" is forbidden: User "system:node:node-a" cannot patch resource "nodes" in API group "" at the cluster scope: node 'node-a' cannot patch node 'node-b'$/);
    await forbidden(nodes.patch('node-b', undefined, { status: { phase: 'x' } }, 'merge', { subresource: 'status' }));
    await forbidden(nodes.delete('node-b'));
    await forbidden(nodes.list());
    assert.match(await forbidden(nodes.patch('node-a', undefined, { metadata: { labels: { 'node-restriction.kubernetes.io/trusted': 'yes' } } })),
      /node "node-a" is not allowed to modify labels: node-restriction.kubernetes.io\/trusted/);
    // As a kubelet may not: make itself a control-plane node, pass for another host, or shed the taints it was given.
    assert.match(await forbidden(nodes.patch('node-a', undefined, { metadata: { labels: { 'node-role.kubernetes.io/control-plane': '' } } })),
      /node "node-a" is not allowed to modify labels: node-role.kubernetes.io\/control-plane/);
    assert.match(await forbidden(nodes.patch('node-a', undefined, { metadata: { labels: { 'kubernetes.io/hostname': 'node-b' } } })),
      /may set the kubernetes.io\/hostname label only to its own name, not "node-b"/);
    await admin.resource('v1', 'Node').patch('node-a', undefined, { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } });
    assert.match(await forbidden(nodes.patch('node-a', undefined, { spec: { taints: [] } })), /node "node-a" is not allowed to modify taints/);
    assert.match(await forbidden(nodes.patch('node-a', undefined, [{ op: 'remove', path: '/spec/taints/0' }], 'json')), /not allowed to modify taints/);
    await nodes.patch('node-a', undefined, { metadata: { labels: { 'topology.kubernetes.io/zone': 'z1' } } });
    assert.equal((await nodes.get('node-a')).metadata.labels?.['topology.kubernetes.io/zone'], 'z1', 'kubelet labels stay its own');

    const leases = nodeA.resource('coordination.k8s.io/v1', 'Lease');
    const lease = (name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40 } });
    await leases.create(lease('node-a'));
    await leases.patch('node-a', 'kube-node-lease', { spec: { renewTime: new Date().toISOString().replace('Z', '000Z') } });
    assert.equal((await leases.get('node-a', 'kube-node-lease')).metadata.name, 'node-a');
    assert.match(await forbidden(leases.create(lease('node-b'))), /can only access node lease with the same name as the requesting node/);
    await admin.resource('coordination.k8s.io/v1', 'Lease').create(lease('node-b'));
    await forbidden(leases.patch('node-b', 'kube-node-lease', { spec: { holderIdentity: 'node-a' } }));
    await forbidden(leases.get('node-b', 'kube-node-lease'));
  });

  test('reads only the pods bound to it: by name, or listed with its own spec.nodeName', async () => {
    const pods = nodeA.resource<PodObject>('v1', 'Pod');
    assert.equal((await pods.get('pa', NS)).spec.nodeName, 'node-a');
    assert.equal(await forbidden(pods.get('pb', NS)),
      'pods "pb" is forbidden: User "system:node:node-a" cannot get resource "pods" in API group "" in the namespace "apps": no relationship found between node \'node-a\' and this object');
    assert.match(await forbidden(pods.list()), /cannot list resource "pods" in API group "" at the cluster scope: can only list\/watch pods with spec.nodeName field selector/);
    await forbidden(pods.list(NS));
    await forbidden(pods.list(undefined, { fieldSelector: 'spec.nodeName=node-b' }));
    assert.deepEqual((await pods.list(undefined, { fieldSelector: 'spec.nodeName=node-a' })).items.map((p) => p.metadata.name), ['pa']);
    const events = await pods.watch(undefined, { fieldSelector: 'spec.nodeName=node-a', timeoutSeconds: 1 });
    const seen: string[] = [];
    for await (const e of events) seen.push(`${e.type} ${e.object.metadata.name}`);
    assert.deepEqual(seen, ['ADDED pa']);
    await forbidden(pods.create(pod('made-by-node', 'node-a')));
  });

  test('updates the status of its own pods only, and may not touch their spec', async () => {
    const pods = nodeA.resource<PodObject>('v1', 'Pod');
    const patched = await pods.patch('pa', NS, { status: { phase: 'Running' } }, 'merge', { subresource: 'status' });
    assert.equal(patched.status?.phase, 'Running');
    await forbidden(pods.patch('pb', NS, { status: { phase: 'Failed' } }, 'merge', { subresource: 'status' }));
    await forbidden(pods.patch('pa', NS, { metadata: { labels: { a: 'b' } } }));
  });

  test('reads the ConfigMaps and Secrets its pods reference, one by one, and nothing else', async () => {
    assert.equal((await nodeA.resource<KubeObject & { data: Record<string, string> }>('v1', 'ConfigMap').get('a-config', NS)).data.k, 'v');
    for (const name of ['a-secret', 'a-projected']) assert.ok(await nodeAReadsSecret(name), name);
    const single = await nodeA.resource('v1', 'Secret').list(NS, { fieldSelector: 'metadata.name=a-secret' });
    assert.deepEqual(single.items.map((s) => s.metadata.name), ['a-secret'], 'a list or watch of just that one, as the agent does');
    assert.equal(await forbidden(nodeA.resource('v1', 'Secret').get('b-secret', NS)),
      'secrets "b-secret" is forbidden: User "system:node:node-a" cannot get resource "secrets" in API group "" in the namespace "apps": no relationship found between node \'node-a\' and this object');
    assert.equal(await nodeAReadsSecret('unused'), false);
    await forbidden(nodeA.resource('v1', 'ConfigMap').get('b-config', NS));
    await forbidden(nodeA.resource('v1', 'Secret').list(NS));
    await forbidden(nodeA.resource('v1', 'Secret').list(NS, { fieldSelector: 'metadata.name=b-secret' }));
    await forbidden(nodeA.resource('v1', 'Secret').list());
    await forbidden(nodeA.resource('v1', 'ConfigMap').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: NS } }));
    await forbidden(nodeA.resource('v1', 'Secret').patch('a-secret', NS, { data: { v: 'eA==' } }));
  });

  test('a Secret becomes readable when a pod using it is bound to the node, and stops being so when the pod is gone', async () => {
    await admin.resource('v1', 'Pod').create(pod('late', undefined, { volumes: [{ name: 's', secret: { secretName: 'unused' } }] }));
    assert.equal(await nodeAReadsSecret('unused'), false, 'a pod not bound to the node does not count');
    await admin.request('POST', `/api/v1/namespaces/${NS}/pods/late/binding`, {
      body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'late', namespace: NS }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' } },
    });
    await eventually('the Secret to be readable by node-a', async () => (await nodeAReadsSecret('unused')) || undefined);
    // Graceful deletion: the pod stays (and the Secret readable) until the node confirms.
    await admin.resource('v1', 'Pod').delete('late', NS);
    assert.ok(await nodeAReadsSecret('unused'), 'still in use while the pod stops');
    await forbidden(nodeA.resource('v1', 'Pod').delete('pb', NS, { gracePeriodSeconds: 0 }));
    const late = await nodeA.resource('v1', 'Pod').get('late', NS);
    await nodeA.resource('v1', 'Pod').delete('late', NS, { gracePeriodSeconds: 0, preconditions: { uid: late.metadata.uid } });
    await eventually('the Secret to be refused again', async () => (await nodeAReadsSecret('unused')) ? undefined : true);
  });

  test('reads the package repositories, cluster-scoped custom resources, and may not write them', async () => {
    await admin.resource('apiextensions.k8s.io/v1', 'CustomResourceDefinition').create(PACKAGE_REPOSITORY_CRD);
    const repositories = () => admin.resource('packages.granary.dev/v1alpha1', 'PackageRepository');
    await eventually('the PackageRepository kind to be served', async () => (await repositories().list()) && true);
    await repositories().create({ apiVersion: 'packages.granary.dev/v1alpha1', kind: 'PackageRepository', metadata: { name: 'main' }, spec: { http: { url: 'http://127.0.0.1:1/' } } } as KubeObject);
    const mine = nodeA.resource('packages.granary.dev/v1alpha1', 'PackageRepository');
    assert.deepEqual((await mine.list()).items.map((r) => r.metadata.name), ['main']);
    assert.equal((await mine.get('main')).metadata.name, 'main');
    await forbidden(mine.patch('main', undefined, { spec: { http: { url: 'http://127.0.0.1:2/' } } }));
  });
});

for (const version of KUBECTL_VERSIONS) {
  describe(`kubectl ${version}, as a node`, () => {
    let a: Kubectl;
    let b: Kubectl;
    before(() => {
      a = new Kubectl(version, kubeconfigA);
      b = new Kubectl(version, kubeconfigB);
    });

    test('another node\'s pod and Secret are forbidden; its own are there', async () => {
      const other = await a.run(['get', 'pod', 'pb', '-n', NS]);
      assert.notEqual(other.code, 0);
      assert.match(other.stderr, /Error from server \(Forbidden\): pods "pb" is forbidden: User "system:node:node-a" cannot get resource "pods" in API group "" in the namespace "apps": no relationship found between node 'node-a' and this object/);
      assert.match((await a.run(['get', 'pods', '-A'])).stderr, /Error from server \(Forbidden\): pods is forbidden: User "system:node:node-a" cannot list resource "pods"/);
      assert.match(await a.ok(['get', 'pods', '-A', '--field-selector', 'spec.nodeName=node-a', '-o', 'name']), /^pod\/pa$/m);
      assert.match(await b.ok(['get', 'pod', 'pb', '-n', NS, '-o', 'jsonpath={.spec.nodeName}']), /^node-b$/);
      assert.equal(await a.ok(['get', 'secret', 'a-secret', '-n', NS, '-o', 'jsonpath={.data.v}']), Buffer.from('a-secret').toString('base64'));
      assert.match((await a.run(['get', 'secret', 'b-secret', '-n', NS])).stderr, /secrets "b-secret" is forbidden: User "system:node:node-a"/);
      assert.match((await b.run(['get', 'secret', 'a-secret', '-n', NS])).stderr, /secrets "a-secret" is forbidden: User "system:node:node-b"/);
      assert.match((await a.run(['get', 'secrets', '-n', NS])).stderr, /secrets is forbidden/);
      assert.match((await a.run(['label', 'node', 'node-b', 'taken=yes'])).stderr, /nodes "node-b" is forbidden: User "system:node:node-a" cannot (get|patch) resource "nodes" in API group "" at the cluster scope: node 'node-a' cannot (get|patch) node 'node-b'/);
    });

    test('kubectl auth can-i answers for the node, with the Node authorizer\'s reason for a no', async () => {
      const canI = async (k: Kubectl, ...args: string[]) => (await k.run(['auth', 'can-i', ...args])).stdout.trim().replace(/^no - .*/, 'no');
      assert.equal(await canI(a, 'get', 'secret/a-secret', '-n', NS), 'yes');
      assert.equal((await a.run(['auth', 'can-i', 'get', 'secret/b-secret', '-n', NS])).stdout.trim(), 'no - no relationship found between node \'node-a\' and this object');
      assert.equal(await canI(b, 'get', 'secret/b-secret', '-n', NS), 'yes');
      assert.equal(await canI(a, 'get', 'pods/pa', '-n', NS), 'yes');
      assert.equal(await canI(a, 'get', 'pods/pb', '-n', NS), 'no');
      assert.equal(await canI(a, 'update', 'pods/pa', '--subresource=status', '-n', NS), 'yes');
      assert.equal(await canI(a, 'list', 'pods', '-A'), 'no');
      assert.equal(await canI(a, 'patch', 'nodes/node-a'), 'yes');
      assert.equal(await canI(a, 'patch', 'nodes/node-b'), 'no');
      assert.equal(await canI(a, 'update', 'leases.coordination.k8s.io/node-a', '-n', 'kube-node-lease'), 'yes');
      assert.equal(await canI(a, 'create', 'configmaps', '-n', NS), 'no');
      const who = await a.ok(['auth', 'whoami']);
      assert.match(who, /Username\s+system:node:node-a/);
      assert.match(who, /Groups\s+\[system:nodes system:authenticated\]/);
    });
  });
}
