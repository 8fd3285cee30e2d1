// Real kubectl creating built-in kinds through its typed clients, which send Kubernetes protobuf
// from kubectl 1.33 on (1.27 still sends JSON and serves as the baseline): what the server stores
// must be exactly what `--dry-run=client -o json` says kubectl meant to send.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { Kubectl, KUBECTL_VERSIONS } from '../support/kubectl.ts';

/** The kubectl versions whose typed clients send protobuf request bodies. */
const SENDS_PROTOBUF = new Set(['1.33']);
const PROTOBUF_REQUEST = /Content-Type: application\/vnd\.kubernetes\.protobuf/;

type Json = Record<string, any>;

/** Leaves what kubectl sent: drops what the server fills in and the nulls it does not keep. */
function sent(object: Json): Json {
  const copy = withoutNulls(structuredClone(object)) as Json;
  for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields']) delete copy.metadata?.[field];
  if (copy.metadata?.namespace === 'default') delete copy.metadata.namespace;
  return copy;
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
}

interface CreateCase {
  title: string;
  args: (dir: string) => string[];
  /** What `kubectl get` reads back. */
  ref: string;
  /** Fields the server sets on its own, as Kubernetes does (namespace finalizers and phase, secret type). */
  serverAdds?: (expected: Json) => void;
}

const CREATE_CASES: CreateCase[] = [
  {
    title: 'configmap from literals, a file, a named binary file and a directory',
    args: (dir) => ['create', 'configmap', 'settings', '--from-literal=mode=fast', '--from-literal=empty=', `--from-file=${dir}/app.properties`,
      `--from-file=logo=${dir}/logo.bin`, `--from-file=${dir}/conf.d`],
    ref: 'configmap/settings',
  },
  { title: 'configmap from an env file', args: (dir) => ['create', 'configmap', 'env', `--from-env-file=${dir}/app.env`], ref: 'configmap/env' },
  {
    title: 'generic secret from literals and files with a type',
    args: (dir) => ['create', 'secret', 'generic', 'creds', '--from-literal=user=admin', "--from-literal=password=p@ss w'rd", `--from-file=key=${dir}/logo.bin`, '--type=example.com/creds'],
    ref: 'secret/creds',
  },
  {
    title: 'generic secret from an env file',
    args: (dir) => ['create', 'secret', 'generic', 'env', `--from-env-file=${dir}/app.env`],
    ref: 'secret/env',
    serverAdds: (expected) => {
      expected.type = 'Opaque';
    },
  },
  {
    title: 'docker-registry secret',
    args: () => ['create', 'secret', 'docker-registry', 'pull', '--docker-server=registry.example.com', '--docker-username=robot', '--docker-password=s3cret', '--docker-email=robot@example.com'],
    ref: 'secret/pull',
  },
  {
    title: 'namespace',
    args: () => ['create', 'namespace', 'team-a'],
    ref: 'namespace/team-a',
    serverAdds: (expected) => {
      expected.spec = { finalizers: ['kubernetes'] };
      expected.status = { phase: 'Active' };
    },
  },
  { title: 'serviceaccount', args: () => ['create', 'serviceaccount', 'robot'], ref: 'serviceaccount/robot' },
  {
    title: 'clusterip service with a chosen cluster IP and two ports',
    args: () => ['create', 'service', 'clusterip', 'db', '--clusterip=10.96.0.50', '--tcp=5432,8008:http'],
    ref: 'service/db',
    serverAdds: (expected) => {
      Object.assign(expected.spec, {
        clusterIPs: ['10.96.0.50'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster', sessionAffinity: 'None',
      });
    },
  },
  {
    title: 'externalname service',
    args: () => ['create', 'service', 'externalname', 'upstream', '--external-name=db.example.com'],
    ref: 'service/upstream',
    serverAdds: (expected) => {
      expected.spec.sessionAffinity = 'None';
    },
  },
  {
    title: 'role with verbs, core and grouped resources, subresources and resource names',
    args: () => ['create', 'role', 'reader', '--verb=get,list,watch', '--resource=pods,pods/log,configmaps,leases.coordination.k8s.io', '--resource-name=web', '--resource-name=db'],
    ref: 'role/reader',
  },
  {
    title: 'rolebinding to a role for a user, a group and a service account',
    args: () => ['create', 'rolebinding', 'readers', '--role=reader', '--user=alice', '--user=bob', '--group=devs', '--serviceaccount=default:robot'],
    ref: 'rolebinding/readers',
  },
  {
    title: 'rolebinding to a clusterrole',
    args: () => ['create', 'rolebinding', 'viewers', '--clusterrole=viewer', '--serviceaccount=team-a:robot'],
    ref: 'rolebinding/viewers',
  },
  {
    title: 'clusterrole over core and grouped resources',
    args: () => ['create', 'clusterrole', 'viewer', '--verb=get,list', '--resource=namespaces,nodes,events.events.k8s.io'],
    ref: 'clusterrole/viewer',
  },
  {
    title: 'clusterrole for non-resource URLs',
    args: () => ['create', 'clusterrole', 'probes', '--verb=get', '--non-resource-url=/healthz', '--non-resource-url=/metrics/*'],
    ref: 'clusterrole/probes',
  },
  {
    title: 'aggregated clusterrole',
    args: () => ['create', 'clusterrole', 'aggregate', '--aggregation-rule=rbac.example.com/aggregate-to-viewer=true,tier=ops'],
    ref: 'clusterrole/aggregate',
  },
  {
    title: 'clusterrolebinding for users, groups and service accounts',
    args: () => ['create', 'clusterrolebinding', 'viewers', '--clusterrole=viewer', '--user=carol', '--group=ops', '--group=sre', '--serviceaccount=team-a:robot'],
    ref: 'clusterrolebinding/viewers',
  },
];

function writeSourceFiles(dir: string): void {
  writeFileSync(join(dir, 'app.properties'), 'color=blue\nsize=3\n');
  writeFileSync(join(dir, 'logo.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x0a]));
  writeFileSync(join(dir, 'app.env'), '# settings\nLEVEL=debug\nEMPTY=\nQUOTED="a b"\n');
  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(join(dir, 'conf.d', 'a.conf'), 'a=1\n');
  writeFileSync(join(dir, 'conf.d', 'b.conf'), 'b=2\n');
}

for (const version of KUBECTL_VERSIONS) {
  const protobuf = SENDS_PROTOBUF.has(version);
  describe(`kubectl ${version} create (${protobuf ? 'protobuf' : 'JSON'} request bodies)`, () => {
    let server: RunningApiServer;
    let k: Kubectl;
    const dir = tempDir('protobuf-sources');

    before(async () => {
      writeSourceFiles(dir);
      server = await startApiServer();
      k = new Kubectl(version, server.kubeconfig);
    });
    after(async () => {
      assert.equal(await server.stop(), 0, 'SIGTERM ends the server with exit code 0');
    });

    for (const c of CREATE_CASES) {
      test(c.title, async () => {
        const args = c.args(dir);
        const expected = sent(JSON.parse(await k.ok([...args, '--dry-run=client', '-o', 'json'])));
        c.serverAdds?.(expected);
        const run = await k.run([...args, '-v=8']);
        assert.equal(run.code, 0, `kubectl ${args.join(' ')} failed:\n${run.stderr.split('\n').filter((l) => !/^I\d{4}/.test(l)).join('\n')}`);
        assert.equal(PROTOBUF_REQUEST.test(run.stderr), protobuf, protobuf ? 'kubectl sent protobuf' : 'kubectl sent JSON');
        const stored = sent(JSON.parse(await k.ok(['get', c.ref, '-o', 'json'])));
        assert.deepEqual(stored, expected);
      });
    }
  });
}

// A Pod that uses most of PodSpec, created from YAML (JSON on the wire); `kubectl debug
// --copy-to` reads it back and creates a copy through the typed client, so the copy travels as
// protobuf and must come out with the same spec.
const RICH_POD = `
apiVersion: v1
kind: Pod
metadata:
  name: rich
  labels: {app: rich}
  annotations: {note: "x"}
spec:
  nodeName: n1
  restartPolicy: Always
  terminationGracePeriodSeconds: 15
  activeDeadlineSeconds: 3600
  dnsPolicy: ClusterFirst
  nodeSelector: {disk: ssd}
  serviceAccountName: default
  hostname: rich
  subdomain: sub
  schedulerName: default-scheduler
  priority: 10
  enableServiceLinks: false
  preemptionPolicy: PreemptLowerPriority
  hostAliases: [{ip: 10.0.0.1, hostnames: [a, b]}]
  dnsConfig: {nameservers: [1.1.1.1], searches: [x.local], options: [{name: ndots, value: "2"}, {name: edns0}]}
  readinessGates: [{conditionType: example.com/ready}]
  os: {name: linux}
  securityContext:
    runAsUser: 1000
    runAsGroup: 1000
    runAsNonRoot: true
    fsGroup: 2000
    supplementalGroups: [3000, 4000]
    sysctls: [{name: net.core.somaxconn, value: "1024"}]
    seccompProfile: {type: RuntimeDefault}
    fsGroupChangePolicy: OnRootMismatch
    seLinuxOptions: {level: "s0:c1,c2"}
  tolerations:
  - {key: k, operator: Equal, value: v, effect: NoExecute, tolerationSeconds: 30}
  - {operator: Exists}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a, b]}]}]
      preferredDuringSchedulingIgnoredDuringExecution: [{weight: 5, preference: {matchFields: [{key: metadata.name, operator: NotIn, values: [n2]}]}}]
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 50
        podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: rich}}, namespaces: [default]}
  topologySpreadConstraints:
  - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchExpressions: [{key: app, operator: Exists}]}, minDomains: 2}
  volumes:
  - {name: cm, configMap: {name: x, items: [{key: a, path: a.txt, mode: 0400}], defaultMode: 0644, optional: true}}
  - {name: sec, secret: {secretName: s, defaultMode: 0600}}
  - {name: tmp, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
  - {name: host, hostPath: {path: /var/log, type: Directory}}
  - {name: dapi, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}, {path: cpu, resourceFieldRef: {containerName: main, resource: limits.cpu, divisor: 1m}}]}}
  - name: proj
    projected:
      defaultMode: 0440
      sources:
      - serviceAccountToken: {audience: api, expirationSeconds: 3600, path: token}
      - configMap: {name: x, items: [{key: a, path: cm-a}]}
      - secret: {name: s, optional: false}
      - downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}
  - {name: data, persistentVolumeClaim: {claimName: data, readOnly: true}}
  - {name: csi, csi: {driver: csi.example.com, readOnly: true, fsType: ext4, volumeAttributes: {size: small}, nodePublishSecretRef: {name: s}}}
  - {name: nfs, nfs: {server: 10.0.0.2, path: /exports, readOnly: true}}
  - {name: img, image: {reference: "registry.example.com/data:1", pullPolicy: IfNotPresent}}
  - name: eph
    ephemeral:
      volumeClaimTemplate:
        metadata: {labels: {tier: scratch}}
        spec: {accessModes: [ReadWriteOnce], storageClassName: fast, resources: {requests: {storage: 1Gi}}}
  initContainers:
  - name: init
    image: busybox:1.36
    command: [sh, -c, "true"]
    restartPolicy: Always
    resources: {}
  containers:
  - name: main
    image: nginx:1.27
    imagePullPolicy: IfNotPresent
    command: [nginx]
    args: [-g, "daemon off;"]
    workingDir: /srv
    ports:
    - {name: http, containerPort: 80, protocol: TCP}
    - {containerPort: 53, hostPort: 5353, protocol: UDP, hostIP: 127.0.0.1}
    env:
    - {name: PLAIN, value: "v"}
    - {name: FROM_FIELD, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: status.podIP}}}
    - {name: FROM_RES, valueFrom: {resourceFieldRef: {containerName: main, resource: requests.memory, divisor: 1Mi}}}
    - {name: FROM_CM, valueFrom: {configMapKeyRef: {name: x, key: a, optional: true}}}
    - {name: FROM_SECRET, valueFrom: {secretKeyRef: {name: s, key: a}}}
    envFrom:
    - {prefix: CM_, configMapRef: {name: x}}
    - {secretRef: {name: s, optional: true}}
    resources:
      limits: {cpu: 500m, memory: 256Mi, ephemeral-storage: 1Gi}
      requests: {cpu: 100m, memory: 128Mi}
    volumeMounts:
    - {name: cm, mountPath: /etc/cm, readOnly: true}
    - {name: tmp, mountPath: /tmp, subPath: x, mountPropagation: None}
    - {name: host, mountPath: /host/log, subPathExpr: "$(POD_NAME)"}
    lifecycle:
      postStart: {exec: {command: [sh, -c, "echo hi"]}}
      preStop: {httpGet: {path: /quit, port: http, scheme: HTTP, httpHeaders: [{name: X-A, value: b}]}}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: FallbackToLogsOnError
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      runAsNonRoot: true
      runAsUser: 101
      capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}
      privileged: false
      procMount: Default
      seccompProfile: {type: Localhost, localhostProfile: p.json}
    stdin: true
    tty: true
    livenessProbe: {httpGet: {path: /healthz, port: http}, initialDelaySeconds: 3, periodSeconds: 7, failureThreshold: 4, terminationGracePeriodSeconds: 9}
    readinessProbe: {tcpSocket: {port: 80}, timeoutSeconds: 2, successThreshold: 1}
    startupProbe: {grpc: {port: 9000, service: health}, periodSeconds: 1, failureThreshold: 30}
    resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]
  - name: side
    image: busybox
    resources: {}
    livenessProbe: {exec: {command: [cat, /tmp/ok]}}
    lifecycle:
      preStop: {tcpSocket: {port: 8080}}
      postStart: {sleep: {seconds: 2}}
`;

for (const version of KUBECTL_VERSIONS.filter((v) => SENDS_PROTOBUF.has(v))) {
  describe(`kubectl ${version} debug (protobuf Pods)`, () => {
    let server: RunningApiServer;
    let k: Kubectl;

    before(async () => {
      server = await startApiServer();
      k = new Kubectl(version, server.kubeconfig);
      await k.ok(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }) });
    });
    after(async () => {
      assert.equal(await server.stop(), 0, 'SIGTERM ends the server with exit code 0');
    });

    test('debug --copy-to creates a copy with the same spec', async () => {
      await k.ok(['create', '-f', '-'], { input: RICH_POD });
      const run = await k.run(['debug', 'pod/rich', '--copy-to=rich-copy', '--image=busybox', '--container=dbg',
        '--keep-labels', '--keep-annotations', '--keep-liveness', '--keep-readiness', '--keep-startup', '-v=8']);
      assert.equal(run.code, 0, run.stderr.slice(-2000));
      assert.match(run.stderr, PROTOBUF_REQUEST);
      const original = JSON.parse(await k.ok(['get', 'pod/rich', '-o', 'json']));
      const copy = JSON.parse(await k.ok(['get', 'pod/rich-copy', '-o', 'json']));
      assert.deepEqual(copy.metadata.annotations, original.metadata.annotations);
      const debugContainer = copy.spec.containers.pop();
      assert.equal(debugContainer.name, 'dbg');
      assert.equal(debugContainer.image, 'busybox');
      // The copy is left for the scheduler, so it names no node.
      delete original.spec.nodeName;
      assert.deepEqual(copy.spec, original.spec);
    });

    test('debug node/n1 creates a privileged pod on the node', async () => {
      const out = await k.ok(['debug', 'node/n1', '--image=busybox']);
      const name = /Creating debugging pod (\S+) with container debugger on node n1/.exec(out)?.[1];
      assert.ok(name, out);
      const pod = JSON.parse(await k.ok(['get', `pod/${name}`, '-o', 'json']));
      assert.equal(pod.spec.nodeName, 'n1');
      assert.deepEqual([pod.spec.hostNetwork, pod.spec.hostPID, pod.spec.hostIPC], [true, true, true]);
      assert.deepEqual(pod.spec.volumes, [{ name: 'host-root', hostPath: { path: '/' } }]);
      assert.deepEqual(pod.spec.containers[0].volumeMounts, [{ name: 'host-root', mountPath: '/host' }]);
      assert.deepEqual(pod.spec.tolerations, [{ operator: 'Exists' }]);
      assert.equal(pod.spec.restartPolicy, 'Never');
    });
  });
}
