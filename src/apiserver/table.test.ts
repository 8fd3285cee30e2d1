import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../api/meta.ts';
import type { PrinterColumn, ResourceDefinition } from '../api/resources.ts';
import { humanDuration, tableColumnsFor, toTable, type Table } from './table.ts';
import { ensurePki } from './pki.ts';
import { noKubectl } from '../../test/support/machine-limits.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

function resource(group: string, plural: string, kind: string, printerColumns?: PrinterColumn[]): ResourceDefinition {
  return {
    group, version: group ? 'v1alpha1' : 'v1', kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), namespaced: true,
    verbs: ['get', 'list'], subresources: [], storageVersion: 'v1', hasStatus: true, printerColumns,
  };
}

const PODS = resource('', 'pods', 'Pod');

function object(kind: string, name: string, rest: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '7', creationTimestamp: ago(1200), ...meta }, ...rest };
}

const cells = (def: ResourceDefinition, obj: KubeObject) => toTable(def, [obj], { now: NOW }).rows[0].cells;

function pod(status: Record<string, unknown>, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  return object('Pod', 'web-0', { spec: { containers: [{ name: 'app' }], ...spec }, status }, meta);
}

const running = (name: string, ready = true, restartCount = 0) => ({ name, ready, restartCount, state: { running: { startedAt: ago(600) } } });

test('ages read as Kubernetes prints them', () => {
  const cases: [number, string][] = [
    [-2.5, '<invalid>'], [-1.5, '0s'], [0, '0s'], [119, '119s'], [120, '2m'], [150, '2m30s'], [599, '9m59s'], [600, '10m'],
    [179 * 60 + 59, '179m'], [180 * 60, '3h'], [3 * 3600 + 5 * 60, '3h5m'], [8 * 3600 + 59 * 60, '8h'], [47 * 3600, '47h'],
    [48 * 3600, '2d'], [50 * 3600, '2d2h'], [8 * 86400, '8d'], [729 * 86400, '729d'], [730 * 86400, '2y'], [731 * 86400, '2y1d'],
    [8 * 365 * 86400 + 86400, '8y'],
  ];
  for (const [seconds, text] of cases) assert.equal(humanDuration(seconds * 1000), text, `${seconds}s`);
});

test('pod columns: NAME READY STATUS RESTARTS AGE, then IP NODE NOMINATED NODE READINESS GATES for -o wide', () => {
  const columns = tableColumnsFor(PODS);
  assert.deepEqual(columns.map((c) => [c.name, c.type, c.priority]), [
    ['Name', 'string', 0], ['Ready', 'string', 0], ['Status', 'string', 0], ['Restarts', 'string', 0], ['Age', 'string', 0],
    ['IP', 'string', 1], ['Node', 'string', 1], ['Nominated Node', 'string', 1], ['Readiness Gates', 'string', 1],
  ]);
  assert.equal(columns[0].format, 'name');
  assert.ok(columns.every((c) => c.description.length > 0));

  const bound = pod(
    { phase: 'Running', podIPs: [{ ip: '10.0.0.7' }], conditions: [{ type: 'Ready', status: 'True' }, { type: 'example.com/gate', status: 'True' }], containerStatuses: [running('app')] },
    { nodeName: 'node-1', readinessGates: [{ conditionType: 'example.com/gate' }, { conditionType: 'example.com/other' }] },
  );
  assert.deepEqual(cells(PODS, bound), ['web-0', '1/1', 'Running', '0', '20m', '10.0.0.7', 'node-1', '<none>', '1/2']);
  assert.deepEqual(cells(PODS, pod({ phase: 'Pending' })), ['web-0', '0/1', 'Pending', '0', '20m', '<none>', '<none>', '<none>', '<none>']);
});

test('pod STATUS follows the containers: waiting and terminated reasons, exit codes, signals', () => {
  const status = (p: KubeObject) => cells(PODS, p)[2];
  const waiting = (reason: string) => ({ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason } } });
  assert.equal(status(pod({ phase: 'Pending', containerStatuses: [waiting('ContainerCreating')] })), 'ContainerCreating');
  assert.equal(status(pod({ phase: 'Running', containerStatuses: [waiting('CrashLoopBackOff')] })), 'CrashLoopBackOff');
  assert.equal(status(pod({ phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 3 } } }] })), 'ExitCode:3');
  assert.equal(status(pod({ phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 137, signal: 9 } } }] })), 'Signal:9');
  assert.equal(status(pod({ phase: 'Failed', reason: 'Evicted' })), 'Evicted');
  assert.equal(status(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] })), 'SchedulingGated');

  // The first container's state wins over later ones.
  const two = pod({ phase: 'Running', containerStatuses: [waiting('ImagePullBackOff'), running('b')] }, { containers: [{ name: 'app' }, { name: 'b' }] });
  assert.deepEqual(cells(PODS, two).slice(1, 3), ['1/2', 'ImagePullBackOff']);

  // A container that completed while another still runs: Running if the pod is Ready, else NotReady.
  const done = { name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } };
  const mixed = (conditions: unknown[]) => pod({ phase: 'Running', conditions, containerStatuses: [done, running('b')] }, { containers: [{ name: 'a' }, { name: 'b' }] });
  assert.equal(status(mixed([{ type: 'Ready', status: 'True' }])), 'Running');
  assert.equal(status(mixed([])), 'NotReady');
});

test('completed and failed pods say so, and carry the Completed row condition', () => {
  const table = toTable(PODS, [
    pod({ phase: 'Succeeded', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
    pod({ phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }),
    pod({ phase: 'Running', containerStatuses: [running('app')] }),
  ], { now: NOW });
  assert.deepEqual(table.rows.map((r) => r.cells[2]), ['Completed', 'Error', 'Running']);
  assert.deepEqual(table.rows.map((r) => r.conditions?.map((c) => [c.type, c.status, c.reason])), [[['Completed', 'True', 'Succeeded']], [['Completed', 'True', 'Failed']], undefined]);
  assert.ok(!('conditions' in table.rows[2]));
});

test('init containers: progress, failures, and sidecars that count as containers', () => {
  const status = (p: KubeObject) => cells(PODS, p).slice(1, 3);
  const inits = { initContainers: [{ name: 'fetch' }, { name: 'config' }] };
  const doneInit = (name: string) => ({ name, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
  assert.deepEqual(status(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'fetch', state: { running: {} } }] }, inits)), ['0/1', 'Init:0/2']);
  assert.deepEqual(status(pod({ phase: 'Pending', initContainerStatuses: [doneInit('fetch'), { name: 'config', state: { waiting: { reason: 'PodInitializing' } } }] }, inits)), ['0/1', 'Init:1/2']);
  assert.deepEqual(status(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'fetch', restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, inits)), ['0/1', 'Init:CrashLoopBackOff']);
  assert.deepEqual(status(pod({ phase: 'Failed', initContainerStatuses: [{ name: 'fetch', state: { terminated: { exitCode: 2, reason: 'Error' } } }] }, inits)), ['0/1', 'Init:Error']);
  assert.deepEqual(status(pod({ phase: 'Failed', initContainerStatuses: [{ name: 'fetch', state: { terminated: { exitCode: 2 } } }] }, inits)), ['0/1', 'Init:ExitCode:2']);
  // Restarts of a failing init container count while the pod initialises.
  assert.equal(cells(PODS, pod({ phase: 'Pending', initContainerStatuses: [{ name: 'fetch', restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, inits))[3], '4');

  const withSidecar = { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] };
  const started = pod({
    phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }],
    initContainerStatuses: [{ name: 'proxy', started: true, ready: true, restartCount: 2, state: { running: {} } }],
    containerStatuses: [running('app')],
  }, withSidecar);
  assert.deepEqual(cells(PODS, started).slice(1, 4), ['2/2', 'Running', '2']);
});

test('restarts show how long ago the last one was; deleted pods show Terminating or Unknown', () => {
  const crashing = pod({
    phase: 'Running',
    containerStatuses: [{ name: 'app', restartCount: 5, ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(125) } } }],
  });
  assert.deepEqual(cells(PODS, crashing).slice(2, 4), ['CrashLoopBackOff', '5 (2m5s ago)']);

  const deleting = { deletionTimestamp: ago(5) };
  assert.equal(cells(PODS, pod({ phase: 'Running', containerStatuses: [running('app')] }, {}, deleting))[2], 'Terminating');
  assert.equal(cells(PODS, pod({ phase: 'Running', reason: 'NodeLost' }, {}, deleting))[2], 'Unknown');
  assert.equal(cells(PODS, pod({ phase: 'Succeeded', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, {}, deleting))[2], 'Completed');
});

test('nodes: STATUS from the Ready condition and cordoning, ROLES from labels, wide system info', () => {
  const NODES = resource('', 'nodes', 'Node');
  assert.deepEqual(tableColumnsFor(NODES).map((c) => `${c.name}:${c.priority}`), [
    'Name:0', 'Status:0', 'Roles:0', 'Age:0', 'Version:0', 'Internal-IP:1', 'External-IP:1', 'OS-Image:1', 'Kernel-Version:1', 'Container-Runtime:1',
  ]);
  const node = object('Node', 'host-1', {
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'Hostname', address: 'host-1' }, { type: 'InternalIP', address: '127.0.0.2' }],
      nodeInfo: { kubeletVersion: 'v1.33.0-granary', osImage: 'Debian GNU/Linux 13', kernelVersion: '6.12.0', containerRuntimeVersion: 'systemd://257' },
    },
  }, { labels: { 'node-role.kubernetes.io/zookeeper': '', 'node-role.kubernetes.io/hdfs': '', 'kubernetes.io/role': 'edge', other: 'x' } });
  assert.deepEqual(cells(NODES, node), ['host-1', 'Ready,SchedulingDisabled', 'edge,hdfs,zookeeper', '20m', 'v1.33.0-granary', '127.0.0.2', '<none>', 'Debian GNU/Linux 13', '6.12.0', 'systemd://257']);
  const bare = object('Node', 'host-2', { status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } });
  assert.deepEqual(cells(NODES, bare), ['host-2', 'NotReady', '<none>', '20m', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  assert.equal(cells(NODES, object('Node', 'host-3'))[1], 'Unknown');
});

test('namespaces, configmaps, secrets, service accounts and leases', () => {
  assert.deepEqual(cells(resource('', 'namespaces', 'Namespace'), object('Namespace', 'prod', { status: { phase: 'Active' } })), ['prod', 'Active', '20m']);
  assert.deepEqual(cells(resource('', 'configmaps', 'ConfigMap'), object('ConfigMap', 'cfg', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })), ['cfg', 3, '20m']);
  assert.deepEqual(cells(resource('', 'configmaps', 'ConfigMap'), object('ConfigMap', 'empty')), ['empty', 0, '20m']);
  assert.deepEqual(cells(resource('', 'secrets', 'Secret'), object('Secret', 'tls', { type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } })), ['tls', 'kubernetes.io/tls', 2, '20m']);
  assert.deepEqual(cells(resource('', 'serviceaccounts', 'ServiceAccount'), object('ServiceAccount', 'default')), ['default', 0, '20m']);
  assert.deepEqual(tableColumnsFor(resource('', 'secrets', 'Secret')).map((c) => c.name), ['Name', 'Type', 'Data', 'Age']);
  const LEASES = resource('coordination.k8s.io', 'leases', 'Lease');
  assert.deepEqual(cells(LEASES, object('Lease', 'zk-operator', { spec: { holderIdentity: 'operator-7f' } })), ['zk-operator', 'operator-7f', '20m']);
  assert.deepEqual(cells(LEASES, object('Lease', 'free', { spec: {} })), ['free', '', '20m']);
});

test('events: LAST SEEN TYPE REASON OBJECT MESSAGE, with series, counts and sources, for both event APIs', () => {
  const CORE = resource('', 'events', 'Event');
  assert.deepEqual(tableColumnsFor(CORE).map((c) => `${c.name}:${c.priority}`), [
    'Last Seen:0', 'Type:0', 'Reason:0', 'Object:0', 'Subobject:1', 'Source:1', 'Message:0', 'First Seen:1', 'Count:1', 'Name:1',
  ]);
  const core = object('Event', 'web-0.17a', {
    involvedObject: { kind: 'Pod', name: 'web-0', fieldPath: 'spec.containers{app}' }, type: 'Warning', reason: 'BackOff',
    message: ' Back-off restarting failed container \n', firstTimestamp: ago(3600), lastTimestamp: ago(30), count: 12,
    source: { component: 'granary-agent', host: 'host-1' },
  });
  assert.deepEqual(cells(CORE, core), ['30s', 'Warning', 'BackOff', 'pod/web-0', 'spec.containers{app}', 'granary-agent, host-1', 'Back-off restarting failed container', '60m', 12, 'web-0.17a']);

  const NEW = resource('events.k8s.io', 'events', 'Event');
  const series = object('Event', 'zk.1', {
    regarding: { kind: 'ZookeeperCluster', name: 'zk' }, type: 'Normal', reason: 'Scaled', note: 'scaled to 3', eventTime: ago(900),
    series: { count: 4, lastObservedTime: ago(10) }, reportingController: 'granary.dev/zookeeper-operator', reportingInstance: 'op-1',
  });
  assert.deepEqual(cells(NEW, series), ['10s', 'Normal', 'Scaled', 'zookeepercluster/zk', '', 'granary.dev/zookeeper-operator, op-1', 'scaled to 3', '15m', 4, 'zk.1']);
  const single = object('Event', 'ns.1', { regarding: { kind: 'Namespace' }, type: 'Normal', reason: 'Created', eventTime: ago(5) });
  assert.deepEqual(cells(NEW, single), ['5s', 'Normal', 'Created', 'namespace', '', '', '', '5s', 1, 'ns.1']);
});

test('CRDs and roles list NAME and CREATED AT; bindings show the role and, wide, the subjects', () => {
  const CRDS = resource('apiextensions.k8s.io', 'customresourcedefinitions', 'CustomResourceDefinition');
  assert.deepEqual(tableColumnsFor(CRDS).map((c) => [c.name, c.type]), [['Name', 'string'], ['Created At', 'date']]);
  const crd = object('CustomResourceDefinition', 'zookeeperclusters.zookeeper.granary.dev', {}, { creationTimestamp: '2026-02-01T10:20:30.123Z' });
  assert.deepEqual(cells(CRDS, crd), ['zookeeperclusters.zookeeper.granary.dev', '2026-02-01T10:20:30Z']);
  assert.deepEqual(cells(resource('rbac.authorization.k8s.io', 'clusterroles', 'ClusterRole'), object('ClusterRole', 'admin', {}, { creationTimestamp: '2026-02-01T10:20:30Z' })), ['admin', '2026-02-01T10:20:30Z']);

  const BINDINGS = resource('rbac.authorization.k8s.io', 'rolebindings', 'RoleBinding');
  assert.deepEqual(tableColumnsFor(BINDINGS).map((c) => `${c.name}:${c.priority}`), ['Name:0', 'Role:0', 'Age:0', 'Users:1', 'Groups:1', 'ServiceAccounts:1']);
  const binding = object('RoleBinding', 'ops', {
    roleRef: { kind: 'ClusterRole', name: 'edit', apiGroup: 'rbac.authorization.k8s.io' },
    subjects: [{ kind: 'User', name: 'alice' }, { kind: 'User', name: 'bob' }, { kind: 'Group', name: 'ops' }, { kind: 'ServiceAccount', name: 'ci', namespace: 'build' }],
  });
  assert.deepEqual(cells(BINDINGS, binding), ['ops', 'ClusterRole/edit', '20m', 'alice, bob', 'ops', 'build/ci']);
});

test('certificate signing requests show signer, requestor, duration and condition', () => {
  const CSRS = resource('certificates.k8s.io', 'certificatesigningrequests', 'CertificateSigningRequest');
  const csr = object('CertificateSigningRequest', 'node-host-1', {
    spec: { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', username: 'system:bootstrap:abc', expirationSeconds: 86400 },
    status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'LS0t' },
  });
  assert.deepEqual(cells(CSRS, csr), ['node-host-1', '20m', 'kubernetes.io/kube-apiserver-client-kubelet', 'system:bootstrap:abc', '24h', 'Approved,Issued']);
  assert.deepEqual(cells(CSRS, object('CertificateSigningRequest', 'new', { spec: {} })).slice(2), ['<none>', '', '<none>', 'Pending']);
});

test('custom resources show NAME and the CRD printer columns, typed as Kubernetes types them', () => {
  const ZK = resource('zookeeper.granary.dev', 'zookeeperclusters', 'ZookeeperCluster', [
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Whether all servers serve.' },
    { name: 'Version', type: 'string', jsonPath: '.spec.version', priority: 1 },
    { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
    { name: 'Ratio', type: 'number', jsonPath: '.status.ratio' },
    { name: 'Servers', type: 'string', jsonPath: '.spec.servers' },
    { name: 'Upgraded', type: 'date', jsonPath: '.status.upgradedAt' },
    { name: 'Created', type: 'date', jsonPath: '.metadata.creationTimestamp', format: 'date-time' },
  ]);
  const columns = tableColumnsFor(ZK);
  assert.deepEqual(columns.map((c) => [c.name, c.type, c.format, c.priority]), [
    ['Name', 'string', 'name', 0], ['Replicas', 'integer', '', 0], ['Ready', 'string', '', 0], ['Version', 'string', '', 1],
    ['Paused', 'boolean', '', 0], ['Ratio', 'number', '', 0], ['Servers', 'string', '', 0], ['Upgraded', 'date', '', 0], ['Created', 'date', 'date-time', 0],
  ]);
  assert.equal(columns[2].description, 'Whether all servers serve.');
  assert.ok(columns[1].description.includes('.spec.replicas'));

  const zk = object('ZookeeperCluster', 'zk', {
    spec: { replicas: 3.7, version: null, paused: 'no', servers: [{ port: 2181 }] },
    status: { ratio: 0.5, upgradedAt: 'yesterday', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  assert.deepEqual(cells(ZK, zk), ['zk', 3, 'True', '<no value>', null, 0.5, '[{"port":2181}]', '<invalid>', '20m']);
  const fresh = object('ZookeeperCluster', 'new', { spec: {} });
  assert.deepEqual(cells(ZK, fresh), ['new', null, null, null, null, null, null, null, '20m']);
});

test('custom resources without printer columns, and kinds without a printer, show NAME and AGE', () => {
  const plain = resource('example.granary.dev', 'widgets', 'Widget');
  assert.deepEqual(tableColumnsFor(plain).map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
  assert.deepEqual(cells(plain, object('Widget', 'w')), ['w', '20m']);
  // The AGE of a custom resource is a printer column like any other: no timestamp, no value.
  const { creationTimestamp: _, ...undated } = object('Gadget', 'g').metadata;
  assert.deepEqual(cells(resource('example.granary.dev', 'gadgets', 'Gadget', []), { ...object('Gadget', 'g'), metadata: undated }), ['g', null]);
});

test('row objects follow includeObject; resourceVersion and continue are carried over', () => {
  const a = pod({ phase: 'Pending' });
  const b = { ...pod({ phase: 'Pending' }), metadata: { ...a.metadata, name: 'web-1', resourceVersion: '9' } };
  const metadataOnly = toTable(PODS, [a, b], { now: NOW, listMeta: { resourceVersion: '42', continue: 'abc', remainingItemCount: 3 } });
  assert.equal(metadataOnly.kind, 'Table');
  assert.equal(metadataOnly.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(metadataOnly.metadata, { resourceVersion: '42', continue: 'abc', remainingItemCount: 3 });
  assert.deepEqual(metadataOnly.rows[1].object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: b.metadata });

  assert.deepEqual(toTable(PODS, [a], { now: NOW, includeObject: 'Object' }).rows[0].object, a);
  const none: Table = toTable(PODS, [a], { now: NOW, includeObject: 'None' });
  assert.equal(none.rows[0].object, null);
  // A single object (a GET, or one watch event) lends its resourceVersion to the table.
  assert.deepEqual(none.metadata, { resourceVersion: '7' });
  assert.deepEqual(toTable(PODS, [], { now: NOW }).metadata, {});
  assert.deepEqual(toTable(PODS, [], { now: NOW, listMeta: { resourceVersion: '5' } }).rows, []);
});

const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';

test('kubectl 1.33 prints our pod Table, hiding wide columns unless -o wide', { skip: noKubectl(KUBECTL) }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'granary-table-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pki = await ensurePki(dir, { listenHost: '127.0.0.1' });
  const now = () => new Date();
  const created = new Date(Date.now() - 20 * 60_000).toISOString();
  const pods = [
    { ...pod({ phase: 'Running', podIPs: [{ ip: '10.0.0.7' }], containerStatuses: [running('app')] }, { nodeName: 'host-1' }), metadata: { name: 'web-0', namespace: 'default', creationTimestamp: created } },
    { ...pod({ phase: 'Pending', containerStatuses: [{ name: 'app', state: { waiting: { reason: 'ContainerCreating' } } }] }), metadata: { name: 'web-1', namespace: 'default', creationTimestamp: created } },
  ];
  const seenAccept: string[] = [];
  const server = createServer({ key: pki.serverKeyPem, cert: pki.serverCertPem, ca: pki.caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const send = (body: unknown) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/api') return send({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
    if (path === '/apis') return send({ kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    if (path === '/api/v1') {
      return send({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'v1', resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'] }] });
    }
    if (path === '/api/v1/namespaces/default/pods') {
      seenAccept.push(String(req.headers.accept));
      return send(toTable(PODS, pods, { now: now(), includeObject: 'Object', listMeta: { resourceVersion: '10' } }));
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${path} not found` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await pki.writeAdminKubeconfig(`https://127.0.0.1:${(server.address() as { port: number }).port}`);

  const kubectl = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)(KUBECTL, ['--kubeconfig', pki.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 30_000 });
    return stdout.trimEnd().split('\n').map((line) => line.trim().split(/\s{2,}/));
  };
  assert.deepEqual(await kubectl('get', 'pods'), [
    ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    ['web-0', '1/1', 'Running', '0', '20m'],
    ['web-1', '0/1', 'ContainerCreating', '0', '20m'],
  ]);
  assert.deepEqual(await kubectl('get', 'pods', '-o', 'wide'), [
    ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
    ['web-0', '1/1', 'Running', '0', '20m', '10.0.0.7', 'host-1', '<none>', '<none>'],
    ['web-1', '0/1', 'ContainerCreating', '0', '20m', '<none>', '<none>', '<none>', '<none>'],
  ]);
  assert.match(seenAccept[0], /as=Table;v=v1;g=meta\.k8s\.io/);
});
