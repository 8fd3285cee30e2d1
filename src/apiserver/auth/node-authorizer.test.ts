import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/meta.ts';
import { requestInfo } from '../http/request-info.ts';
import { requestAttributes, type Attributes } from './attributes.ts';
import { NodeAuthorizer, nodeNameOf } from './node-authorizer.ts';
import { NodeGraph, podReferences } from './node-graph.ts';
import { nodeRestriction } from './node-restriction.ts';
import type { UserInfo } from './user.ts';

const nodeA: UserInfo = { username: 'system:node:a', groups: ['system:nodes', 'system:authenticated'] };

function attributes(method: string, path: string): Attributes {
  const url = new URL(path, 'https://x');
  return requestAttributes(requestInfo(method, url.pathname, url.searchParams), method, url.searchParams);
}

function pod(name: string, nodeName: string | undefined, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' }, spec: { nodeName, containers: [{ name: 'c' }], ...spec } } as KubeObject;
}

function setup(pods: KubeObject[]) {
  const graph = new NodeGraph();
  for (const p of pods) graph.put(p);
  const byName = new Map(pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const authorizer = new NodeAuthorizer(graph, (ns, name) => (byName.get(`${ns}/${name}`) as { spec?: { nodeName?: string } } | undefined)?.spec?.nodeName);
  const allowed = (method: string, path: string) => authorizer.authorize(nodeA, attributes(method, path))!.allowed;
  return { graph, authorizer, allowed };
}

test('only a user in system:nodes named system:node:NAME is a node', () => {
  assert.equal(nodeNameOf(nodeA), 'a');
  assert.equal(nodeNameOf({ username: 'system:node:a', groups: ['system:authenticated'] }), undefined);
  assert.equal(nodeNameOf({ username: 'a', groups: ['system:nodes'] }), undefined);
  const { authorizer } = setup([]);
  assert.equal(authorizer.authorize({ username: 'alice', groups: [] }, attributes('GET', '/api/v1/nodes/a')), undefined, 'no opinion about others');
});

test('a pod reaches every ConfigMap and Secret it names: volumes, projected sources, env, envFrom, pull secrets', () => {
  const refs = podReferences(pod('p', 'a', {
    volumes: [{ name: 'v1', configMap: { name: 'cm-vol' } }, { name: 'v2', secret: { secretName: 's-vol' } },
      { name: 'v3', projected: { sources: [{ configMap: { name: 'cm-proj' } }, { secret: { name: 's-proj' } }, { downwardAPI: {} }] } }],
    imagePullSecrets: [{ name: 's-pull' }],
    initContainers: [{ name: 'i', envFrom: [{ secretRef: { name: 's-envfrom' } }] }],
    containers: [{ name: 'c', env: [{ name: 'E', valueFrom: { configMapKeyRef: { name: 'cm-env', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'cm-envfrom' } }] }],
  }) as never);
  assert.deepEqual([...refs].sort(), ['configmaps/cm-env', 'configmaps/cm-envfrom', 'configmaps/cm-proj', 'configmaps/cm-vol',
    'secrets/s-envfrom', 'secrets/s-proj', 'secrets/s-pull', 'secrets/s-vol']);
});

test('a node reads a Secret only while a pod bound to it references it, by name only', () => {
  const mine = pod('mine', 'a', { volumes: [{ name: 'v', secret: { secretName: 'shared' } }] });
  const theirs = pod('theirs', 'b', { volumes: [{ name: 'v', secret: { secretName: 'other' } }, { name: 'w', secret: { secretName: 'shared' } }] });
  const { graph, allowed } = setup([mine, theirs]);
  assert.ok(allowed('GET', '/api/v1/namespaces/ns/secrets/shared'));
  assert.ok(allowed('GET', '/api/v1/namespaces/ns/secrets?fieldSelector=metadata.name%3Dshared&watch=true'), 'a watch of just that one');
  assert.ok(!allowed('GET', '/api/v1/namespaces/ns/secrets/other'), 'another node\'s pod uses it');
  assert.ok(!allowed('GET', '/api/v1/namespaces/ns/secrets'), 'never the collection');
  assert.ok(!allowed('GET', '/api/v1/namespaces/elsewhere/secrets/shared'), 'the namespace is part of the reference');
  assert.ok(!allowed('PUT', '/api/v1/namespaces/ns/secrets/shared'), 'read only');
  graph.remove(mine);
  assert.ok(!allowed('GET', '/api/v1/namespaces/ns/secrets/shared'), 'gone with the pod');
});

test('pods: its own by name, a list or watch only with its spec.nodeName, status and delete of its own', () => {
  const { allowed } = setup([pod('mine', 'a'), pod('theirs', 'b'), pod('pending', undefined)]);
  assert.ok(allowed('GET', '/api/v1/namespaces/ns/pods/mine'));
  assert.ok(!allowed('GET', '/api/v1/namespaces/ns/pods/theirs'));
  assert.ok(!allowed('GET', '/api/v1/namespaces/ns/pods/pending'));
  assert.ok(!allowed('GET', '/api/v1/namespaces/ns/pods/missing'));
  assert.ok(allowed('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Da&watch=true'));
  assert.ok(!allowed('GET', '/api/v1/pods'));
  assert.ok(!allowed('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Db'));
  assert.ok(!allowed('GET', '/api/v1/pods?fieldSelector=spec.nodeName!%3Db'));
  assert.ok(allowed('PATCH', '/api/v1/namespaces/ns/pods/mine/status'));
  assert.ok(!allowed('PATCH', '/api/v1/namespaces/ns/pods/theirs/status'));
  assert.ok(!allowed('PATCH', '/api/v1/namespaces/ns/pods/mine'), 'not the spec');
  assert.ok(allowed('DELETE', '/api/v1/namespaces/ns/pods/mine'));
  assert.ok(!allowed('DELETE', '/api/v1/namespaces/ns/pods/theirs'));
  assert.ok(!allowed('POST', '/api/v1/namespaces/ns/pods'));
});

test('its own Node and Lease, events, package repositories; nothing else', () => {
  const { allowed } = setup([]);
  assert.ok(allowed('GET', '/api/v1/nodes/a'));
  assert.ok(allowed('PUT', '/api/v1/nodes/a/status'));
  assert.ok(allowed('POST', '/api/v1/nodes'), 'the name is checked by NodeRestriction');
  assert.ok(!allowed('PATCH', '/api/v1/nodes/b'));
  assert.ok(!allowed('PUT', '/api/v1/nodes/b/status'));
  assert.ok(!allowed('GET', '/api/v1/nodes'));
  assert.ok(allowed('GET', '/api/v1/nodes?fieldSelector=metadata.name%3Da'));
  assert.ok(allowed('PATCH', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/a'));
  assert.ok(!allowed('PATCH', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/b'));
  assert.ok(!allowed('GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases/a'));
  assert.ok(allowed('POST', '/api/v1/namespaces/ns/events'));
  assert.ok(allowed('GET', '/apis/packages.granary.dev/v1alpha1/packagerepositories?watch=true'));
  assert.ok(!allowed('POST', '/apis/packages.granary.dev/v1alpha1/packagerepositories'));
  assert.ok(!allowed('GET', '/api/v1/namespaces/ns/configmaps'));
  assert.ok(!allowed('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles'));
  assert.ok(!allowed('GET', '/version'), 'discovery comes from RBAC');
});

test('NodeRestriction: its own Node without restricted labels, its own Lease, status of its own pods', () => {
  const check = (method: string, path: string) => nodeRestriction('a', attributes(method, path) as never)!;
  const node = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels } });
  check('POST', '/api/v1/nodes')(node('a', { 'kubernetes.io/hostname': 'a' }), undefined);
  assert.throws(() => check('POST', '/api/v1/nodes')(node('b'), undefined), /nodes "b" is forbidden: node "a" is not allowed to modify node "b"/);
  assert.throws(() => check('POST', '/api/v1/nodes')(node('a', { 'node-restriction.kubernetes.io/trusted': 'yes' }), undefined),
    /node "a" is not allowed to set the following labels: node-restriction.kubernetes.io\/trusted/);
  const labelled = node('a', { 'node-restriction.kubernetes.io/trusted': 'yes' });
  check('PUT', '/api/v1/nodes/a')({ ...labelled, metadata: { ...labelled.metadata, labels: { ...labelled.metadata.labels, other: 'x' } } }, labelled);
  // As a kubelet: no node-role or other kubernetes.io labels of its choosing, its own hostname only, taints only when registering.
  check('POST', '/api/v1/nodes')(node('a', { 'topology.kubernetes.io/zone': 'z', 'node.kubernetes.io/exclude-from-external-load-balancers': '', 'x.kubelet.kubernetes.io/y': '1', 'example.com/rack': 'r' }), undefined);
  assert.throws(() => check('POST', '/api/v1/nodes')(node('a', { 'node-role.kubernetes.io/control-plane': '' }), undefined),
    /node "a" is not allowed to set the following labels: node-role.kubernetes.io\/control-plane/);
  const plain = node('a', { 'kubernetes.io/hostname': 'a' });
  assert.throws(() => check('PATCH', '/api/v1/nodes/a')(node('a', { 'kubernetes.io/hostname': 'a', 'node-role.kubernetes.io/master': '' }), plain),
    /node "a" is not allowed to modify labels: node-role.kubernetes.io\/master/);
  assert.throws(() => check('PATCH', '/api/v1/nodes/a')(node('a', { 'kubernetes.io/hostname': 'b' }), plain), /may set the kubernetes.io\/hostname label only to its own name, not "b"/);
  assert.throws(() => check('POST', '/api/v1/nodes')(node('a', { 'kubernetes.io/hostname': 'b' }), undefined), /only to its own name/);
  const tainted = { ...plain, spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } };
  check('POST', '/api/v1/nodes')(tainted, undefined);
  assert.throws(() => check('PATCH', '/api/v1/nodes/a')(plain, tainted), /node "a" is not allowed to modify taints/);
  assert.throws(() => check('PATCH', '/api/v1/nodes/a/status')(tainted, plain), /not allowed to modify taints/);
  check('PUT', '/api/v1/nodes/a')({ ...tainted, metadata: { ...tainted.metadata, labels: { 'kubernetes.io/hostname': 'a', rack: '1' } } }, tainted);
  const lease = (name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' } });
  check('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases')(lease('a'), undefined);
  assert.throws(() => check('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases')(lease('b'), undefined), /can only access node lease with the same name/);
  const bound = pod('p', 'a');
  check('PUT', '/api/v1/namespaces/ns/pods/p/status')(bound, bound);
  assert.throws(() => check('PUT', '/api/v1/namespaces/ns/pods/q/status')(pod('q', 'b'), pod('q', 'b')), /can only update pod status for pods with spec.nodeName set to itself/);
});
