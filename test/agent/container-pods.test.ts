// Pods on a container node end to end: `granary agent --runtime container` against a real
// `granary apiserver` and a real containerd (its CRI API), images from Debian's docker-registry
// on 127.0.12.2. Volumes of every kind bind-mounted at real paths, env, init containers, exec
// probes inside the container, `kubectl logs`, adoption after an agent restart, clean removal,
// and the pull failures a user must be able to read: a wrong digest, an unreachable registry.
// A second registry on 127.0.12.3 wants a password: pods pull from it with their imagePullSecrets
// only, and `granary image list --authfile` lists it. `granary image list` shows what a registry holds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../../src/api/kinds/core.ts';
import type { KubeObject } from '../../src/api/meta.ts';
import { writeNodeKubeconfig } from '../../src/apiserver/auth/node-credentials.ts';
import { KubeClient } from '../../src/client/client.ts';
import { installRuntimeClasses } from '../../src/cli/crds.ts';
import { REPO_ROOT, startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { pushImageLayout } from '../../src/agent/images/oci-layout.ts';
import { containersUnavailable, PAUSE_REPOSITORY, PAUSE_TAG, pauseImageLayout, startContainerHost, startRegistry, type ContainerHost } from '../support/containers.ts';
import { eventually } from '../support/eventually.ts';
import { Kubectl } from '../support/kubectl.ts';
import { freePort } from '../support/net.ts';

const NODE = 'container-1';
const NODE_IP = '127.0.12.2';

describe('pods on a container node (granary agent --runtime container, containerd)', { skip: containersUnavailable() }, () => {
  let host: ContainerHost;
  let server: RunningApiServer;
  let client: KubeClient;
  let kubectl: Kubectl;
  let agent: ChildProcess | undefined;
  let output = '';
  let kubeconfig: string;
  const root = tempDir('container-agent');
  chmodSync(root, 0o755);
  const pods = () => client.resource<Pod & KubeObject>('v1', 'Pod');

  const startAgent = () => {
    agent = spawn(process.execPath, [join(REPO_ROOT, 'src/cli/main.ts'), 'agent', '--kubeconfig', kubeconfig, '--node-name', NODE, '--node-ip', NODE_IP,
      '--port', '0', '--root', root, '--runtime', 'container', '--container-runtime-endpoint', host.containerd.socket],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GRANARY_LOG_LEVEL: 'info' } });
    agent.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  };
  const stopAgent = async () => {
    if (!agent || agent.exitCode !== null) return;
    const exited = new Promise((r) => agent!.once('exit', r));
    agent.kill('SIGTERM');
    await exited;
  };
  const imageList = (...args: string[]) => spawnSync(process.execPath, [join(REPO_ROOT, 'src/cli/main.ts'), 'image', 'list', ...args], { encoding: 'utf8', timeout: 60_000 });
  const waiting = async (name: string) => eventually(`a waiting reason for ${name}`, async () => {
    const pod = await pods().get(name, 'default');
    const state = pod.status?.containerStatuses?.[0]?.state?.waiting;
    return state?.reason && state.reason !== 'ContainerCreating' ? state : undefined;
  }, 60_000, 200);

  before(async () => {
    host = await startContainerHost(NODE_IP);
    server = await startApiServer();
    kubeconfig = await writeNodeKubeconfig(server.dataDir, NODE, server.url);
    client = KubeClient.fromKubeconfig(server.kubeconfig);
    kubectl = new Kubectl('1.33', server.kubeconfig);
    await installRuntimeClasses(client);
    startAgent();
  });
  after(async () => {
    await stopAgent();
    await client?.close();
    await server?.stop();
    await host?.stop();
  });

  test('a pod runs in containers: volumes at real paths, env, init container, exec probe inside, logs; survives an agent restart; deletion removes it', async (t) => {
    t.diagnostic('agent output is printed on failure');
    try {
      const node = await eventually('the Ready node', async () => {
        const n = await client.resource('v1', 'Node').get(NODE) as KubeObject & { status?: { conditions?: { type: string; status: string }[]; nodeInfo?: { containerRuntimeVersion?: string } } };
        return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
      }, 60_000);
      assert.equal(node.metadata.labels?.['runtime.granary.dev/container'], 'true');
      assert.match(node.status!.nodeInfo!.containerRuntimeVersion!, /^containerd:\/\//);

      const port = await freePort(NODE_IP);
      await kubectl.ok(['create', 'configmap', 'app-config', '--from-literal=greeting=hello from a configmap']);
      await kubectl.ok(['create', 'secret', 'generic', 'app-secret', '--from-literal=password=s3cret']);
      const image = host.pauseImage;
      await kubectl.ok(['apply', '-f', '-'], { input: `
apiVersion: v1
kind: Pod
metadata: { name: app, labels: { tier: demo } }
spec:
  nodeName: ${NODE}
  hostNetwork: true
  runtimeClassName: granary-container
  terminationGracePeriodSeconds: 3
  volumes:
  - { name: config, configMap: { name: app-config } }
  - { name: secret, secret: { secretName: app-secret } }
  - { name: info, downwardAPI: { items: [{ path: labels, fieldRef: { fieldPath: metadata.labels } }] } }
  - { name: scratch, emptyDir: {} }
  - { name: data, hostPath: { path: '{{volumeroot}}/app/data', type: DirectoryOrCreate } }
  initContainers:
  - name: prepare
    image: ${image}
    command: [sh, -c, 'echo prepared-by-init > /scratch/init.txt && date +%s%N >> /data/starts']
    volumeMounts: [{ name: scratch, mountPath: /scratch }, { name: data, mountPath: /data }]
  containers:
  - name: main
    image: ${image}
    command: [sh, -c]
    args:
    - |
      echo "config: $(cat /etc/app/greeting)"; echo "secret: $(cat /etc/secret/password)"; echo "init: $(cat /scratch/init.txt)"
      echo "labels: $(cat /etc/podinfo/labels)"; echo "env: $GREETING $POD_NAME"; echo "starts: $(wc -l < /data/starts)"
      touch /only-in-the-container; exec httpd -f -p ${NODE_IP}:${port} -h /etc/app
    env:
    - { name: GREETING, valueFrom: { configMapKeyRef: { name: app-config, key: greeting } } }
    - { name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
    volumeMounts:
    - { name: config, mountPath: /etc/app }
    - { name: secret, mountPath: /etc/secret }
    - { name: info, mountPath: /etc/podinfo }
    - { name: scratch, mountPath: /scratch }
    - { name: data, mountPath: /data }
    readinessProbe:
      exec: { command: [test, -e, /only-in-the-container] }
      periodSeconds: 1
    livenessProbe:
      httpGet: { path: /greeting, port: ${port} }
      periodSeconds: 2
`});
      await kubectl.ok(['wait', '--for=condition=Ready', 'pod/app', '--timeout=120s']);
      assert.equal(existsSync('/only-in-the-container'), false, 'the exec probe ran inside the container, not on the host');
      const logs = await eventually('the container\'s output', async () => {
        const text = await kubectl.ok(['logs', 'app', '-c', 'main']);
        return text.includes('starts:') ? text : undefined;
      });
      assert.match(logs, /^config: hello from a configmap$/m);
      assert.match(logs, /^secret: s3cret$/m);
      assert.match(logs, /^init: prepared-by-init$/m);
      assert.match(logs, /^labels: tier="demo"$/m);
      assert.match(logs, /^env: hello from a configmap app$/m);
      assert.match(logs, /^starts: 1$/m);
      const served = await (await fetch(`http://${NODE_IP}:${port}/greeting`)).text();
      assert.equal(served, 'hello from a configmap', 'host networking: the container serves on the node\'s address');
      assert.equal(readFileSync(join(root, 'volumes', 'app', 'data', 'starts'), 'utf8').trim().split('\n').length, 1, 'the hostPath volume is on the node');

      // The agent goes away and comes back: the container keeps running and is adopted.
      const before = (await pods().get('app', 'default')).status!;
      const containers = await host.cri.listContainers({ state: 'CONTAINER_RUNNING', labels: { 'io.kubernetes.pod.name': 'app' } });
      assert.equal(containers.length, 1);
      await stopAgent();
      assert.equal((await host.cri.containerStatus(containers[0].id)).state, 'CONTAINER_RUNNING', 'the container outlives its agent');
      startAgent();
      await eventually('the adopted pod, still Ready', async () => {
        const node = await client.resource('coordination.k8s.io/v1', 'Lease').get(NODE, 'kube-node-lease') as KubeObject & { spec?: { renewTime?: string } };
        return Date.parse(node.spec?.renewTime ?? '') > Date.now() - 5000 ? true : undefined;
      }, 30_000);
      await kubectl.ok(['wait', '--for=condition=Ready', 'pod/app', '--timeout=60s']);
      const after = (await pods().get('app', 'default')).status!;
      assert.equal(after.containerStatuses![0].restartCount, 0);
      assert.equal(after.containerStatuses![0].state?.running?.startedAt, before.containerStatuses![0].state?.running?.startedAt, 'the same run');
      assert.equal((await host.cri.listContainers({ state: 'CONTAINER_RUNNING', labels: { 'io.kubernetes.pod.name': 'app' } }))[0]?.id, containers[0].id);

      await kubectl.ok(['delete', 'pod', 'app', '--wait=true', '--timeout=60s']);
      assert.deepEqual(await host.cri.listContainers({ labels: { 'io.kubernetes.pod.name': 'app' } }), [], 'its containers are removed');
      assert.deepEqual(await host.cri.listPodSandboxes({ 'io.kubernetes.pod.name': 'app' }), [], 'and its sandbox');
      assert.ok(existsSync(join(root, 'volumes', 'app', 'data', 'starts')), 'the hostPath data stays');
    } catch (err) {
      t.diagnostic(output.slice(-6000));
      throw err;
    }
  });

  test('pull failures and a runtime the node lacks are clear pod statuses: a wrong digest, an unreachable registry, an image without a registry, a package RuntimeClass', async () => {
    const cases = [
      { name: 'wrong-runtime', image: host.pauseImage, runtimeClass: 'granary-package', message: /RuntimeClass "granary-package" has handler "granary-package", which this node does not run/ },
      { name: 'wrong-digest', image: `${host.registry.address}/${PAUSE_REPOSITORY}@sha256:${'0'.repeat(64)}`, message: /not found|manifest unknown/i },
      { name: 'no-registry', image: `127.0.12.250:1/${PAUSE_REPOSITORY}:1.35.0`, message: /cannot be reached.*ECONNREFUSED/ },
      { name: 'no-host', image: 'pause:1.35.0', message: /names no registry host|does not start with a registry host/ },
    ];
    for (const c of cases as { name: string; image: string; message: RegExp; runtimeClass?: string }[]) {
      const overrides = { spec: { nodeName: NODE, ...(c.runtimeClass ? { runtimeClassName: c.runtimeClass } : {}) } };
      await kubectl.ok(['run', c.name, `--image=${c.image}`, '--restart=Never', `--overrides=${JSON.stringify(overrides)}`, '--command', '--', 'true']);
    }
    for (const c of cases) {
      const state = await waiting(c.name);
      const reason = c.name === 'no-host' ? /^InvalidImageName$/ : c.name === 'wrong-runtime' ? /^CreateContainerConfigError$/ : /^(ErrImagePull|ImagePullBackOff)$/;
      assert.match(state.reason!, reason, `${c.name}: ${JSON.stringify(state)}`);
      assert.match(state.message ?? '', c.message, `${c.name}: ${state.message}`);
    }
    // The next look, while the back-off lasts, says so.
    const backOff = await eventually('ImagePullBackOff', async () => {
      const state = (await pods().get('no-registry', 'default')).status?.containerStatuses?.[0]?.state?.waiting;
      return state?.reason === 'ImagePullBackOff' ? state : undefined;
    }, 30_000, 200);
    assert.match(backOff.message!, /^Back-off pulling image/);
    await kubectl.ok(['delete', 'pod', ...cases.map((c) => c.name), '--wait=true', '--timeout=60s']);
  });

  test('a registry that wants a password: refused without the pod\'s imagePullSecrets or with a wrong one, pulled with the right one; the cached image is not handed to pods without it', async () => {
    const credentials = { username: 'puller', password: 'pull-pass-12' };
    const secured = await startRegistry('127.0.12.3', { htpasswd: credentials });
    try {
      await pushImageLayout(await pauseImageLayout(), secured.client, 'private/pause', PAUSE_TAG);
      const image = `${secured.address}/private/pause:${PAUSE_TAG}`;
      // The Secrets a user makes with kubectl (type kubernetes.io/dockerconfigjson).
      const secret = (name: string, password: string) => kubectl.ok(['create', 'secret', 'docker-registry', name, `--docker-server=${secured.address}`, `--docker-username=${credentials.username}`, `--docker-password=${password}`]);
      await secret('pull', credentials.password);
      await secret('wrong-pull', 'not-the-password');
      const run = (name: string, pullSecret?: string) => kubectl.ok(['run', name, `--image=${image}`, '--restart=Never',
        `--overrides=${JSON.stringify({ spec: { nodeName: NODE, ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}) } })}`, '--command', '--', 'sleep', '300']);
      await run('no-secret');
      await run('wrong-secret', 'wrong-pull');
      await run('with-secret', 'pull');
      const refused = await waiting('no-secret');
      assert.match(refused.reason!, /^(ErrImagePull|ImagePullBackOff)$/);
      assert.match(refused.message ?? '', /requires a user name and password \(an imagePullSecret/, refused.message);
      const wrong = await waiting('wrong-secret');
      assert.match(wrong.reason!, /^(ErrImagePull|ImagePullBackOff)$/);
      assert.match(wrong.message ?? '', /HTTP 401 \(access denied: check the imagePullSecrets\)/, wrong.message);
      await eventually('the pod with the right Secret running', async () => {
        const status = (await pods().get('with-secret', 'default')).status?.containerStatuses?.[0];
        return status?.state?.running ? status : undefined;
      }, 60_000, 200);
      // The image is now on the node, pulled with the Secret: a pod without it still cannot run it.
      await run('late-no-secret');
      const late = await waiting('late-no-secret');
      assert.match(late.reason!, /^(ErrImagePull|ImagePullBackOff)$/);
      assert.match(late.message ?? '', /requires a user name and password/, late.message);
      // granary image list takes the same credentials from a Docker config file: here the Secret's own .dockerconfigjson.
      const authfile = join(root, 'auth.json');
      writeFileSync(authfile, Buffer.from(await kubectl.ok(['get', 'secret', 'pull', '-o', 'jsonpath={.data.\\.dockerconfigjson}']), 'base64'), { mode: 0o600 });
      const listed = imageList(secured.address, '--authfile', authfile);
      assert.equal(listed.status, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(`^${secured.address}/private/pause:${PAUSE_TAG}\\s+sha256:[0-9a-f]{64}\\s+\\d`, 'm'));
      const anonymous = imageList(secured.address);
      assert.equal(anonymous.status, 1);
      assert.match(anonymous.stderr, /requires a user name and password \(give them with --authfile FILE/, anonymous.stderr);
      const elsewhere = join(root, 'other-auth.json');
      writeFileSync(elsewhere, JSON.stringify({ auths: { 'registry.example:5000': { auth: Buffer.from('a:b').toString('base64') } } }));
      assert.match(imageList(secured.address, '--authfile', elsewhere).stderr, new RegExp(`has no credentials for ${secured.address.replaceAll('.', '\\.')}`));
      await kubectl.ok(['delete', 'pod', 'no-secret', 'wrong-secret', 'with-secret', 'late-no-secret', '--wait=true', '--timeout=60s']);
      await kubectl.ok(['delete', 'secret', 'pull', 'wrong-pull']);
    } finally {
      await secured.stop();
    }
  });

  test('granary image list shows each image of a registry with its digest and size; an empty registry says so', async () => {
    const list = (registry: string) => {
      const listed = imageList(registry);
      assert.equal(listed.status, 0, listed.stderr);
      return listed.stdout;
    };
    const lines = list(host.registry.address).trimEnd().split('\n');
    assert.match(lines[0], /^IMAGE\s+DIGEST\s+SIZE$/);
    const pushed = await host.registry.client.getManifest(PAUSE_REPOSITORY, PAUSE_TAG);
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[1], new RegExp(`^${host.registry.address}/${PAUSE_REPOSITORY}:${PAUSE_TAG}\\s+${pushed.digest}\\s+\\d+(\\.\\d+)? MiB$`));
    const empty = await startRegistry('127.0.12.3');
    try {
      assert.match(list(empty.address), new RegExp(`\\(registry ${empty.address} holds no images\\)`));
    } finally {
      await empty.stop();
    }
  });
});
