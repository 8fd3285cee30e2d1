import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../errors.ts';
import { decodeProtobufBody } from './index.ts';
import { entry, framed, hex, message } from './test-bytes.ts';

// Bodies real kubectl 1.33 sent (`-v=9` dumps them); the expected objects are what
// `kubectl create ... --dry-run=client -o json` prints for the same command, without
// `creationTimestamp: null`, which current Kubernetes leaves out (omitzero).
const KUBECTL_BODIES: Array<{ command: string; body: string; json: unknown }> = [
  {
    command: 'create configmap fx --from-literal=a=b --from-file=bin=bin.dat',
    body: '6b3873000a0f0a0276311209436f6e6669674d617012280a120a02667812001a0022002a0032003800420012060a01611201621a0a0a0362696e12030001ff1a002200',
    json: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'fx' }, data: { a: 'b' }, binaryData: { bin: 'AAH/' } },
  },
  {
    command: "create secret generic fx --from-literal=password='p@ss' --type=example.com/t",
    body: '6b3873000a0c0a027631120653656372657412350a120a02667812001a0022002a0032003800420012100a0870617373776f72641204704073731a0d6578616d706c652e636f6d2f741a002200',
    json: { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'fx' }, data: { password: 'cEBzcw==' }, type: 'example.com/t' },
  },
  {
    command: 'create role fxr --verb=get,list --resource=pods,configmaps/status --resource-name=one',
    body: '6b3873000a240a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311204526f6c6512420a130a0366787212001a0022002a00320038004200122b0a036765740a046c69737412001a04706f64731a11636f6e6669676d6170732f73746174757322036f6e651a002200',
    json: {
      kind: 'Role', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'fxr' },
      rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'configmaps/status'], resourceNames: ['one'] }],
    },
  },
  {
    command: 'create clusterrole fxb --aggregation-rule=rbac.example.com/aggregate=true',
    body: '6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b436c7573746572526f6c65123d0a130a0366786212001a0022002a003200380042001a260a240a220a1a726261632e6578616d706c652e636f6d2f6167677265676174651204747275651a002200',
    json: {
      kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'fxb' }, rules: null,
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate': 'true' } }] },
    },
  },
  {
    command: 'create rolebinding fx --clusterrole=view --serviceaccount=default:sa1 --user=bob',
    body: '6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f6c6542696e64696e671290010a120a02667812001a0022002a0032003800420012280a04557365721219726261632e617574686f72697a6174696f6e2e6b38732e696f1a03626f62220012200a0e536572766963654163636f756e7412001a03736131220764656661756c741a2e0a19726261632e617574686f72697a6174696f6e2e6b38732e696f120b436c7573746572526f6c651a04766965771a002200',
    json: {
      kind: 'RoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'fx' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' }, { kind: 'ServiceAccount', name: 'sa1', namespace: 'default' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    },
  },
];

for (const { command, body, json } of KUBECTL_BODIES) {
  test(`kubectl 1.33 ${command}: decodes to the object kubectl prints with --dry-run=client`, () => {
    assert.deepEqual(decodeProtobufBody(hex(body)), json);
  });
}

const testdata = (name: string) => readFileSync(join(import.meta.dirname, 'testdata', name));

test('kubectl 1.33 debug node/n1: the node debugging pod', () => {
  assert.deepEqual(decodeProtobufBody(testdata('kubectl-1.33-debug-node-pod.pb')), {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'node-debugger-n1-kqmwh' },
    spec: {
      volumes: [{ name: 'host-root', hostPath: { path: '/' } }],
      containers: [{ name: 'debugger', image: 'busybox', resources: {}, volumeMounts: [{ name: 'host-root', mountPath: '/host' }], terminationMessagePolicy: 'File' }],
      restartPolicy: 'Never', nodeName: 'n1', hostNetwork: true, hostPID: true, hostIPC: true, tolerations: [{ operator: 'Exists' }],
    },
    status: {},
  });
});

// The body of `kubectl debug pod/rich3 --copy-to=rich3-copy --image=busybox --container=dbg
// --keep-labels --keep-annotations --keep-liveness --keep-readiness --keep-startup`, where rich3 was
// RICH_POD of test/apiserver/protobuf.test.ts, recorded by a proxy in front of the server.
test('kubectl 1.33 debug --copy-to: a Pod using most of PodSpec', () => {
  const pod = decodeProtobufBody(testdata('kubectl-1.33-debug-copy-pod.pb')) as any;
  assert.deepEqual(pod.metadata, { name: 'rich3-copy', namespace: 'default', annotations: { note: 'x' } });
  assert.deepEqual(pod.status, {});
  const [main, side, dbg] = pod.spec.containers;
  assert.deepEqual(main.livenessProbe, { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 3, periodSeconds: 7, failureThreshold: 4, terminationGracePeriodSeconds: 9 });
  assert.deepEqual(main.readinessProbe, { tcpSocket: { port: 80 }, timeoutSeconds: 2, successThreshold: 1 });
  assert.deepEqual(main.startupProbe, { grpc: { port: 9000, service: 'health' }, periodSeconds: 1, failureThreshold: 30 });
  assert.deepEqual(main.resources, { limits: { cpu: '500m', 'ephemeral-storage': '1Gi', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
  assert.deepEqual(main.env.map((e: { name: string }) => e.name), ['PLAIN', 'FROM_FIELD', 'FROM_RES', 'FROM_CM', 'FROM_SECRET']);
  assert.deepEqual(main.env[2].valueFrom, { resourceFieldRef: { containerName: 'main', resource: 'requests.memory', divisor: '1Mi' } });
  assert.deepEqual(main.env[3].valueFrom, { configMapKeyRef: { name: 'x', key: 'a', optional: true } });
  assert.deepEqual(main.envFrom, [{ prefix: 'CM_', configMapRef: { name: 'x' } }, { secretRef: { name: 's', optional: true } }]);
  assert.deepEqual(main.ports[1], { hostPort: 5353, containerPort: 53, protocol: 'UDP', hostIP: '127.0.0.1' });
  assert.deepEqual(main.securityContext, {
    capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] }, privileged: false, runAsUser: 101, runAsNonRoot: true, readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false, procMount: 'Default', seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' },
  });
  assert.deepEqual(main.lifecycle.preStop, { httpGet: { path: '/quit', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'X-A', value: 'b' }] } });
  assert.equal(main.stdin, true);
  assert.deepEqual(side.lifecycle, { postStart: { sleep: { seconds: 2 } }, preStop: { tcpSocket: { port: 8080 } } });
  assert.deepEqual(side.livenessProbe, { exec: { command: ['cat', '/tmp/ok'] } });
  assert.deepEqual(dbg, { name: 'dbg', image: 'busybox', resources: {}, terminationMessagePolicy: 'File' });
  assert.equal(pod.spec.initContainers[0].restartPolicy, 'Always');

  const volumes = Object.fromEntries(pod.spec.volumes.map((v: { name: string }) => [v.name, v]));
  assert.deepEqual(volumes.cm.configMap, { name: 'x', items: [{ key: 'a', path: 'a.txt', mode: 0o400 }], defaultMode: 0o644, optional: true });
  assert.deepEqual(volumes.tmp.emptyDir, { medium: 'Memory', sizeLimit: '64Mi' });
  assert.deepEqual(volumes.proj.projected.sources[0], { serviceAccountToken: { audience: 'api', expirationSeconds: 3600, path: 'token' } });
  assert.deepEqual(volumes.proj.projected.sources[2], { secret: { name: 's', optional: false } });
  assert.deepEqual(volumes.csi.csi, { driver: 'csi.example.com', readOnly: true, fsType: 'ext4', volumeAttributes: { size: 'small' }, nodePublishSecretRef: { name: 's' } });
  assert.deepEqual(volumes.img.image, { reference: 'registry.example.com/data:1', pullPolicy: 'IfNotPresent' });
  assert.deepEqual(volumes.eph.ephemeral.volumeClaimTemplate, {
    metadata: { labels: { tier: 'scratch' } },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast' },
  });

  assert.deepEqual(pod.spec.securityContext.supplementalGroups, [3000, 4000]);
  assert.deepEqual(pod.spec.tolerations, [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute', tolerationSeconds: 30 }, { operator: 'Exists' }]);
  assert.deepEqual(pod.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution, [{ weight: 5, preference: { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n2'] }] } }]);
  assert.deepEqual(pod.spec.topologySpreadConstraints, [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, minDomains: 2 }]);
  assert.deepEqual(pod.spec.dnsConfig, { nameservers: ['1.1.1.1'], searches: ['x.local'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] });
  assert.equal(pod.spec.enableServiceLinks, false);
  assert.equal('nodeName' in pod.spec, false);
});

const at = (seconds: number, nanos = 0) => message([1, seconds], [2, nanos]);
const T0 = 1704164645; // 2024-01-02T03:04:05Z

test('ObjectMeta with owners, managed fields, times and maps', () => {
  const meta = message(
    [1, 'web'], [2, ''], [3, 'prod'], [4, ''], [5, 'u-1'], [6, '42'], [7, 3], [8, at(T0)], [9, at(T0 + 60)], [10, 30],
    [11, entry('app', 'web')], [12, entry('note', '')],
    [13, message([1, 'ReplicaSet'], [3, 'web-1'], [4, 'u-0'], [5, 'apps/v1'], [6, true], [7, false])],
    [14, 'example.com/cleanup'],
    [17, message([1, 'kubectl'], [2, 'Update'], [3, 'v1'], [4, at(T0)], [6, 'FieldsV1'], [7, message([1, Buffer.from('{"f:data":{}}')])], [8, ''])],
  );
  assert.deepEqual(decodeProtobufBody(framed('v1', 'ConfigMap', message([1, meta], [4, true]))), {
    apiVersion: 'v1', kind: 'ConfigMap', immutable: true,
    metadata: {
      name: 'web', namespace: 'prod', uid: 'u-1', resourceVersion: '42', generation: 3,
      creationTimestamp: '2024-01-02T03:04:05Z', deletionTimestamp: '2024-01-02T03:05:05Z', deletionGracePeriodSeconds: 30,
      labels: { app: 'web' }, annotations: { note: '' },
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-1', uid: 'u-0', apiVersion: 'apps/v1', controller: true, blockOwnerDeletion: false }],
      finalizers: ['example.com/cleanup'],
      managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2024-01-02T03:04:05Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } }],
    },
  });
});

test('Secret stringData stays text and data becomes base64', () => {
  const secret = message([1, message([1, 's'])], [2, entry('key', Buffer.from([0xde, 0xad]))], [3, 'Opaque'], [4, entry('plain', 'text')], [5, false]);
  assert.deepEqual(decodeProtobufBody(framed('v1', 'Secret', secret)), {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { key: '3q0=' }, type: 'Opaque', stringData: { plain: 'text' }, immutable: false,
  });
});

test('Namespace and ServiceAccount', () => {
  assert.deepEqual(decodeProtobufBody(framed('v1', 'Namespace', message([1, message([1, 'team'])], [2, message([1, 'kubernetes'])], [3, message()]))), {
    apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' }, spec: { finalizers: ['kubernetes'] }, status: {},
  });
  const sa = message([1, message([1, 'robot'])], [2, message([1, 'Secret'], [3, 'robot-token'])], [3, message([1, 'pull'])], [4, false]);
  assert.deepEqual(decodeProtobufBody(framed('v1', 'ServiceAccount', sa)), {
    apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' },
    secrets: [{ kind: 'Secret', name: 'robot-token' }], imagePullSecrets: [{ name: 'pull' }], automountServiceAccountToken: false,
  });
});

test('Lease renewals carry microsecond times', () => {
  const lease = message([1, message([1, 'node-a'], [3, 'kube-node-lease'])], [2, message([1, 'node-a'], [2, 40], [3, at(T0, 1_500)], [4, at(T0 + 10, 250_000_000)], [5, 0])]);
  assert.deepEqual(decodeProtobufBody(framed('coordination.k8s.io/v1', 'Lease', lease)), {
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'node-a', namespace: 'kube-node-lease' },
    spec: { holderIdentity: 'node-a', leaseDurationSeconds: 40, acquireTime: '2024-01-02T03:04:05.000001Z', renewTime: '2024-01-02T03:04:15.250000Z', leaseTransitions: 0 },
  });
});

test('Binding names its target node', () => {
  const binding = message([1, message([1, 'web-0'], [3, 'prod'])], [2, message([1, 'Node'], [3, 'node-a'])]);
  assert.deepEqual(decodeProtobufBody(framed('v1', 'Binding', binding)), {
    apiVersion: 'v1', kind: 'Binding', metadata: { name: 'web-0', namespace: 'prod' }, target: { kind: 'Node', name: 'node-a' },
  });
});

test('core/v1 Event with its zero times as null, as Kubernetes writes them', () => {
  const event = message(
    [1, message([1, 'web.1'])], [2, message([1, 'Pod'], [2, 'prod'], [3, 'web'], [4, 'u-1'], [5, 'v1'], [7, 'spec.containers{app}'])],
    [3, 'Started'], [4, 'Started container app'], [5, message([1, 'kubelet'], [2, 'node-a'])], [6, at(T0)], [7, message()], [8, 2], [9, 'Normal'],
    [10, message()], [14, ''], [15, ''],
  );
  assert.deepEqual(decodeProtobufBody(framed('v1', 'Event', event)), {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'web.1' },
    involvedObject: { kind: 'Pod', namespace: 'prod', name: 'web', uid: 'u-1', apiVersion: 'v1', fieldPath: 'spec.containers{app}' },
    reason: 'Started', message: 'Started container app', source: { component: 'kubelet', host: 'node-a' },
    firstTimestamp: '2024-01-02T03:04:05Z', lastTimestamp: null, count: 2, type: 'Normal', eventTime: null, reportingComponent: '', reportingInstance: '',
  });
});

test('events.k8s.io/v1 Event with a series', () => {
  const event = message(
    [1, message([1, 'web.2'], [3, 'prod'])], [2, at(T0, 42_000)], [3, message([1, 5], [2, at(T0 + 1)])], [4, 'granary.dev/operator'], [5, 'op-1'],
    [6, 'Reconcile'], [7, 'Scaled'], [8, message([1, 'StatefulSet'], [3, 'web'])], [10, 'scaled to 3'], [11, 'Normal'], [12, message()], [13, message()], [14, message()],
  );
  assert.deepEqual(decodeProtobufBody(framed('events.k8s.io/v1', 'Event', event)), {
    apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'web.2', namespace: 'prod' },
    eventTime: '2024-01-02T03:04:05.000042Z', series: { count: 5, lastObservedTime: '2024-01-02T03:04:06.000000Z' },
    reportingController: 'granary.dev/operator', reportingInstance: 'op-1', action: 'Reconcile', reason: 'Scaled',
    regarding: { kind: 'StatefulSet', name: 'web' }, note: 'scaled to 3', type: 'Normal',
    deprecatedSource: {}, deprecatedFirstTimestamp: null, deprecatedLastTimestamp: null,
  });
});

test('SelfSubjectAccessReview and SelfSubjectRulesReview, as kubectl auth can-i sends them', () => {
  const access = message([1, message()], [2, message([1, message([1, 'prod'], [2, 'get'], [3, ''], [5, 'pods'], [7, 'web'])])], [3, message([1, false])]);
  assert.deepEqual(decodeProtobufBody(framed('authorization.k8s.io/v1', 'SelfSubjectAccessReview', access)), {
    apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {},
    spec: { resourceAttributes: { namespace: 'prod', verb: 'get', resource: 'pods', name: 'web' } }, status: { allowed: false },
  });
  const rules = message([1, message()], [2, message([1, 'prod'])], [3, message()]);
  assert.deepEqual(decodeProtobufBody(framed('authorization.k8s.io/v1', 'SelfSubjectRulesReview', rules)), {
    apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: {},
    spec: { namespace: 'prod' }, status: { resourceRules: null, nonResourceRules: null, incomplete: false },
  });
});

test('TokenRequest, as kubectl create token sends it', () => {
  const request = message([1, message()], [2, message([1, 'https://kubernetes.default.svc'], [3, message([1, 'Pod'], [2, 'v1'], [3, 'web'], [4, 'u-1'])], [4, 600])], [3, message([1, ''], [2, message()])]);
  assert.deepEqual(decodeProtobufBody(framed('authentication.k8s.io/v1', 'TokenRequest', request)), {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {},
    spec: { audiences: ['https://kubernetes.default.svc'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: 'u-1' }, expirationSeconds: 600 },
    status: { token: '', expirationTimestamp: null },
  });
});

test('DeleteOptions under the version of any group this server decodes', () => {
  const options = message([1, 0], [2, message([1, 'u-1'], [2, '7'])], [4, 'Foreground'], [5, 'All']);
  const expected = { gracePeriodSeconds: 0, preconditions: { uid: 'u-1', resourceVersion: '7' }, propagationPolicy: 'Foreground', dryRun: ['All'] };
  assert.deepEqual(decodeProtobufBody(framed('v1', 'DeleteOptions', options)), { apiVersion: 'v1', kind: 'DeleteOptions', ...expected });
  assert.deepEqual(decodeProtobufBody(framed('meta.k8s.io/v1', 'DeleteOptions', options)), { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', ...expected });
  assert.throws(() => decodeProtobufBody(framed('apps/v1', 'DeleteOptions', options)), (err: ApiError) => err.code === 415);
});

const refused = (code: number, pattern: RegExp) => (err: unknown) => err instanceof ApiError && err.code === code && pattern.test(err.message);

test('a body that is not a framed Kubernetes object is a 400 that says why', () => {
  const good = hex(KUBECTL_BODIES[0].body);
  assert.throws(() => decodeProtobufBody(Buffer.alloc(0)), refused(400, /request body is empty/));
  assert.throws(() => decodeProtobufBody(Buffer.from('{"kind":"ConfigMap"}')), refused(400, /does not start with the Kubernetes magic bytes/));
  assert.throws(() => decodeProtobufBody(good.subarray(0, 30)), refused(400, /runtime.Unknown, byte 2\d\): length \d+ runs past the end/));
  assert.throws(() => decodeProtobufBody(framed('v1', '', message())), refused(400, /does not name its kind/));
  assert.throws(() => decodeProtobufBody(Buffer.concat([good.subarray(0, 4), message([1, 5])])), refused(400, /runtime.Unknown.*field 1 has wire type 0/));
});

test('a broken object inside a good frame names the field', () => {
  const raw = message([1, message([1, 'x'])], [2, message([1, 'a'], [2, 7])]);
  assert.throws(() => decodeProtobufBody(framed('v1', 'ConfigMap', raw)), refused(400, /\(at data, byte \d+\): a map entry holds field 2 with wire type 0/));
});

test('kinds without a definition and encoded contents are 415 with JSON as the way out', () => {
  assert.throws(() => decodeProtobufBody(framed('apps/v1', 'Deployment', message())), refused(415, /cannot decode Deployment \(apps\/v1\) from protobuf; send it as application\/json/));
  assert.throws(() => decodeProtobufBody(framed('v1', 'ConfigMap', message(), [[3, 'gzip']])), refused(415, /content encoding "gzip"/));
});
