// The node agent end to end, with a real systemd (PID 1 in a new PID and mount namespace) and
// with the process runtime: `granary agent` against a real `granary apiserver`, under a node's own
// credential (system:node:host-1, so the Node authorizer and NodeRestriction apply), a package
// from an HTTP repository on loopback, a ConfigMap volume, env and an init container.
// The Node registers with its labels and taint; a pod bound to it becomes Running and Ready; a
// killed process comes back; a changed ConfigMap reaches the pod's files; kubectl deletes the pod
// and the agent stops its service and confirms;
// a restarted agent adopts the running service of a pod it did not see being deleted; a hostPath
// volume in {{volumeroot}} keeps one pod's data for the next, and one outside is refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create as createTar } from 'tar';
import { REPO_ROOT, startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { Kubectl } from '../support/kubectl.ts';
import { freePort } from '../support/net.ts';
import { TestRepository } from '../support/package-repository.ts';
import { KubeClient } from '../../src/client/client.ts';
import { issueNodeCertificate, writeNodeKubeconfig } from '../../src/apiserver/auth/node-credentials.ts';
import { loadCertificateAuthority } from '../../src/apiserver/pki.ts';
import { Agent, request } from 'undici';
import { PACKAGE_REPOSITORY_CRD } from '../../src/agent/packages/repository-resource.ts';
import { eventually } from '../support/eventually.ts';
import { execFileSync } from 'node:child_process';
import { startSystemd, systemdUnavailable, type TestSystemd } from '../support/systemd.ts';

const SERVER = `
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
createServer((req, res) => {
  if (req.url !== '/ready') console.log('request ' + req.url);
  res.end(req.url === '/ready' ? 'ok' : readFileSync(process.argv[2], 'utf8') + ' ' + process.pid);
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening as ' + process.pid));
process.on('SIGTERM', () => process.exit(0));
`;


for (const kind of ['systemd', 'process'] as const) describe(`granary agent (${kind} runtime)`, { skip: kind === 'systemd' ? systemdUnavailable() : undefined }, () => {
  let systemd: TestSystemd | undefined;
  let server: RunningApiServer;
  let repository: TestRepository;
  let client: KubeClient;
  let kubectl: Kubectl;
  let agent: ChildProcess | undefined;
  let agentOutput = '';
  let nodeKubeconfig: string;
  const root = tempDir('agent-root');
  chmodSync(root, 0o755);
  const runtimeArgs = () => kind === 'process' ? ['--runtime', 'process']
    : ['--runtime', 'systemd', '--systemd-unit-dir', systemd!.unitDir, '--systemd-command-prefix', systemd!.commandPrefix.join(' ')];
  /** Kills a service's process as an administrator would: inside systemd's namespaces for systemd. */
  const killService = (pid: number) => {
    if (kind === 'process') process.kill(pid, 'SIGKILL');
    else execFileSync(systemd!.commandPrefix[0], [...systemd!.commandPrefix.slice(1), 'kill', '-9', String(pid)]);
  };
  const startAgent = () => {
    agent = spawn(process.execPath, [join(REPO_ROOT, 'src/cli/main.ts'), 'agent', '--kubeconfig', nodeKubeconfig, '--node-name', 'host-1',
      '--node-ip', '127.0.0.1', '--port', '0', ...runtimeArgs(), '--root', root, '--label', 'granary.dev/rack=r1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GRANARY_LOG_LEVEL: 'info' } });
    agent.stdout!.on('data', (d: Buffer) => (agentOutput += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (agentOutput += d.toString()));
  };
  const stopAgent = async () => {
    if (!agent || agent.exitCode !== null) return;
    const exited = new Promise((r) => agent!.once('exit', r));
    agent.kill('SIGTERM');
    await exited;
  };

  before(async () => {
    if (kind === 'systemd') systemd = await startSystemd();
    server = await startApiServer();
    nodeKubeconfig = await writeNodeKubeconfig(server.dataDir, 'host-1', server.url);
    client = KubeClient.fromKubeconfig(server.kubeconfig);
    kubectl = new Kubectl('1.33', server.kubeconfig);
    repository = new TestRepository();
    await repository.start();
    const work = tempDir('agent-package');
    mkdirSync(join(work, 'bin'), { recursive: true });
    writeFileSync(join(work, 'bin', 'server.mjs'), SERVER);
    writeFileSync(join(work, 'bin', 'server'), `#!/bin/sh\nexec ${process.execPath} "$(dirname "$0")/server.mjs" "$@"\n`);
    chmodSync(join(work, 'bin', 'server'), 0o755);
    await createTar({ gzip: true, file: join(work, 'server.tar.gz'), cwd: work, portable: true }, ['bin']);
    repository.publish('echo-server', '1.0', readFileSync(join(work, 'server.tar.gz')));
    await client.resource('apiextensions.k8s.io/v1', 'CustomResourceDefinition').create(PACKAGE_REPOSITORY_CRD);
    await kubectl.ok(['wait', '--for=condition=Established', 'crd/packagerepositories.packages.granary.dev']);
    await kubectl.ok(['apply', '-f', '-'], { input: `apiVersion: packages.granary.dev/v1alpha1\nkind: PackageRepository\nmetadata:\n  name: test\nspec:\n  http:\n    url: ${repository.url}\n` });
    startAgent();
  });
  after(async () => {
    await stopAgent();
    await client.close();
    await repository.stop();
    await server.stop();
    await systemd?.stop();
  });

  test('registers its Node, runs a pod to Ready, restarts a killed process, and deletes the pod gracefully', async (t) => {
    t.diagnostic('agent output is printed on failure');
    try {
      const node = await eventually('the Node', async () => {
        const n = await client.resource('v1', 'Node').get('host-1') as any;
        return n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
      });
      assert.equal(node.metadata.labels['kubernetes.io/os'], 'granary-linux');
      assert.equal(node.metadata.labels['granary.dev/rack'], 'r1');
      assert.ok(node.spec.taints.some((tt: any) => tt.key === 'kubernetes.io/arch' && tt.effect === 'NoSchedule'));
      assert.equal(node.status.addresses.find((a: any) => a.type === 'InternalIP').address, '127.0.0.1');
      await eventually('the node Lease', async () => (await client.resource('coordination.k8s.io/v1', 'Lease').get('host-1', 'kube-node-lease')) ?? undefined);

      const port = await freePort();
      await kubectl.ok(['create', 'configmap', 'echo-config', `--from-literal=greeting.txt=hello from {{packageroot}}`, `--from-literal=port=${port}`]);
      await kubectl.ok(['apply', '-f', '-'], { input: `
apiVersion: v1
kind: Pod
metadata: { name: echo-0 }
spec:
  nodeName: host-1
  terminationGracePeriodSeconds: 5
  volumes: [{ name: config, configMap: { name: echo-config } }]
  initContainers:
  - name: prepare
    image: echo-server:1.0
    command: ['/bin/sh', '-c', 'echo prepared > {{dataroot}}/prepared']
  containers:
  - name: server
    image: echo-server:1.0
    command: ['{{packageroot}}/bin/server', '{{configroot}}/config/greeting.txt']
    env: [{ name: PORT, valueFrom: { configMapKeyRef: { name: echo-config, key: port } } }]
    volumeMounts: [{ name: config, mountPath: '{{configroot}}/config' }]
    readinessProbe: { httpGet: { path: /ready, port: ${port} }, periodSeconds: 1 }
` });
      await kubectl.ok(['wait', '--for=condition=Ready', 'pod/echo-0', '--timeout=60s']);
      const pod = await client.resource('v1', 'Pod').get('echo-0', 'default') as any;
      assert.equal(pod.status.phase, 'Running');
      assert.equal(pod.status.podIP, '127.0.0.1');
      assert.equal(pod.status.containerStatuses[0].ready, true);
      const first = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      assert.match(first, new RegExp(`^hello from ${root}/packages/`));
      assert.match(await kubectl.ok(['get', 'pods']), /echo-0\s+1\/1\s+Running\s+0/);
      assert.equal(pod.status.initContainerStatuses[0].state.terminated.exitCode, 0, 'the init container ran to completion first');
      assert.equal(readFileSync(join(root, 'pods', pod.metadata.uid, 'data', 'prepared'), 'utf8'), 'prepared\n');

      // Kill the process: the agent's runtime restarts it and the restart shows in the status.
      const pid = Number(first.split(' ').at(-1));
      killService(pid);
      await eventually('the restart', async () => {
        const p = await client.resource('v1', 'Pod').get('echo-0', 'default') as any;
        return p.status.containerStatuses[0].restartCount >= 1 && p.status.containerStatuses[0].ready ? true : undefined;
      }, 60_000);
      const second = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      assert.notEqual(second.split(' ').at(-1), String(pid));

      // kubectl logs reaches the agent through the API server's pods/log.
      const secondPid = second.split(' ').at(-1);
      assert.match(await kubectl.ok(['logs', 'echo-0']), new RegExp(`listening as ${secondPid}\nrequest /\n`));
      assert.equal(await kubectl.ok(['logs', 'echo-0', '-c', 'server', '--tail=1']), 'request /\n');
      assert.match(await kubectl.ok(['logs', 'echo-0', '--timestamps', '--tail=1']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z request \/\n$/);
      assert.match(await kubectl.ok(['logs', 'echo-0', '--previous']), new RegExp(`listening as ${pid}\nrequest /\n`));
      const follow = kubectl.start(['logs', '-f', 'echo-0']);
      await follow.waitFor(/request \//);
      await fetch(`http://127.0.0.1:${port}/followed`);
      await follow.waitFor(/request \/followed/);
      await follow.stop();
      const wrong = await kubectl.run(['logs', 'echo-0', '-c', 'nope']);
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.stderr, /container nope is not valid for pod echo-0/);
      // Another node's certificate (same CA) is refused: the API server does not allow it nodes/proxy on this node.
      const pki = join(server.dataDir, 'pki');
      const otherNode = await issueNodeCertificate(await loadCertificateAuthority(readFileSync(join(pki, 'ca.crt'), 'utf8'), readFileSync(join(pki, 'ca.key'), 'utf8')), 'host-2');
      const asOtherNode = new Agent({ connect: { cert: otherNode.certPem, key: otherNode.keyPem, rejectUnauthorized: false } });
      try {
        const direct = await request(`https://127.0.0.1:${node.status.daemonEndpoints.kubeletEndpoint.Port}/containerLogs/default/echo-0/server`, { dispatcher: asOtherNode });
        assert.equal(direct.statusCode, 403);
        assert.match(await direct.body.text(), /^Forbidden \(user=system:node:host-2, verb=get, resource=nodes, subresource=proxy, name=host-1\)/);
      } finally {
        await asOtherNode.close();
      }

      // A changed ConfigMap reaches the file the server reads (the agent follows just that object).
      await kubectl.ok(['patch', 'configmap', 'echo-config', '--type=merge', '-p', JSON.stringify({ data: { 'greeting.txt': 'changed greeting' } })]);
      await eventually('the new greeting', async () => (await (await fetch(`http://127.0.0.1:${port}/`)).text()).startsWith('changed greeting ') || undefined);

      // Delete: the agent stops the service within the grace period and confirms.
      await kubectl.ok(['delete', 'pod', 'echo-0', '--timeout=30s']);
      await assert.rejects(fetch(`http://127.0.0.1:${port}/`), 'the service is stopped');
    } catch (err) {
      t.diagnostic(agentOutput.slice(-4000));
      throw err;
    }
  });

  test('a hostPath volume in {{volumeroot}} keeps its data when its pod is deleted and another pod mounts it', async (t) => {
    try {
      const volume = `
  volumes: [{ name: data, hostPath: { path: '{{volumeroot}}/echo/server-0', type: DirectoryOrCreate } }]`;
      await kubectl.ok(['apply', '-f', '-'], { input: `
apiVersion: v1
kind: Pod
metadata: { name: writer }
spec:
  nodeName: host-1
  terminationGracePeriodSeconds: 5${volume}
  containers:
  - name: write
    image: echo-server:1.0
    command: ['/bin/sh', '-c', 'echo "written by $POD_UID" > {{dataroot}}/state/myid && exec sleep 600']
    env: [{ name: POD_UID, valueFrom: { fieldRef: { fieldPath: metadata.uid } } }]
    volumeMounts: [{ name: data, mountPath: '{{dataroot}}/state' }]
` });
      await kubectl.ok(['wait', '--for=condition=Ready', 'pod/writer', '--timeout=60s']);
      const writer = await client.resource('v1', 'Pod').get('writer', 'default') as any;
      await eventually('the written file', async () => existsSync(join(root, 'volumes', 'echo', 'server-0', 'myid')) || undefined);
      await kubectl.ok(['delete', 'pod', 'writer', '--timeout=30s']);
      assert.equal(readFileSync(join(root, 'volumes', 'echo', 'server-0', 'myid'), 'utf8'), `written by ${writer.metadata.uid}\n`, 'the data outlives the pod');
      assert.equal(existsSync(join(root, 'pods', writer.metadata.uid)), false, 'the pod\'s own files are gone');

      const port = await freePort();
      await kubectl.ok(['apply', '-f', '-'], { input: `
apiVersion: v1
kind: Pod
metadata: { name: reader }
spec:
  nodeName: host-1
  terminationGracePeriodSeconds: 5${volume}
  containers:
  - name: server
    image: echo-server:1.0
    command: ['{{packageroot}}/bin/server', '{{dataroot}}/state/myid']
    env: [{ name: PORT, value: "${port}" }]
    volumeMounts: [{ name: data, mountPath: '{{dataroot}}/state' }]
    readinessProbe: { httpGet: { path: /ready, port: ${port} }, periodSeconds: 1 }
` });
      await kubectl.ok(['wait', '--for=condition=Ready', 'pod/reader', '--timeout=60s']);
      assert.match(await (await fetch(`http://127.0.0.1:${port}/`)).text(), new RegExp(`^written by ${writer.metadata.uid}\n`), 'the new pod sees the old pod\'s data');

      // A hostPath outside {{volumeroot}} is refused with FailedMount, naming the allowed root.
      await kubectl.ok(['apply', '-f', '-'], { input: `
apiVersion: v1
kind: Pod
metadata: { name: escape }
spec:
  nodeName: host-1
  volumes: [{ name: etc, hostPath: { path: /etc } }]
  containers:
  - { name: c, image: echo-server:1.0, command: ['/bin/true'], volumeMounts: [{ name: etc, mountPath: '{{configroot}}/etc' }] }
` });
      const refused = await eventually('the refusal', async () => {
        const p = await client.resource('v1', 'Pod').get('escape', 'default') as any;
        const waiting = p.status?.containerStatuses?.[0]?.state?.waiting;
        return waiting?.reason === 'FailedMount' ? waiting : undefined;
      });
      assert.match(refused.message, new RegExp(`hostPath "/etc" is outside the node's volume root.*\\{\\{volumeroot\\}\\} \\(${root}/volumes\\)`));
      await kubectl.ok(['delete', 'pod', 'reader', 'escape', '--timeout=30s']);
      assert.equal(readFileSync(join(root, 'volumes', 'echo', 'server-0', 'myid'), 'utf8'), `written by ${writer.metadata.uid}\n`);
    } catch (err) {
      t.diagnostic(agentOutput.slice(-4000));
      throw err;
    }
  });

  test('a restarted agent adopts running services and removes those of pods deleted meanwhile', async (t) => {
    try {
      const ports = [await freePort(), await freePort()];
      for (const [i, port] of ports.entries()) {
        await kubectl.ok(['apply', '-f', '-'], { input: `
apiVersion: v1
kind: Pod
metadata: { name: keep-${i} }
spec:
  nodeName: host-1
  terminationGracePeriodSeconds: 5
  containers:
  - name: server
    image: echo-server:1.0
    command: ['{{packageroot}}/bin/server', '/etc/hostname']
    env: [{ name: PORT, value: "${port}" }]
` });
      }
      await kubectl.ok(['wait', '--for=condition=Ready', 'pod/keep-0', 'pod/keep-1', '--timeout=60s']);
      // Ready means started here (no readiness probe): the server may take a moment to listen.
      const pidBefore = await eventually('keep-0 to answer', async () => (await (await fetch(`http://127.0.0.1:${ports[0]}/`)).text()).split(' ').at(-1));
      await stopAgent();
      // While the agent is away, one pod is force-deleted (nobody will confirm it).
      await kubectl.ok(['delete', 'pod', 'keep-1', '--grace-period=0', '--force']);
      startAgent();
      await eventually('the orphaned service to go', async () => {
        try {
          await fetch(`http://127.0.0.1:${ports[1]}/`);
          return undefined;
        } catch {
          return true;
        }
      });
      const pidAfter = (await (await fetch(`http://127.0.0.1:${ports[0]}/`)).text()).split(' ').at(-1);
      assert.equal(pidAfter, pidBefore, 'the running service was adopted, not restarted');
      await kubectl.ok(['delete', 'pod', 'keep-0', '--timeout=30s']);
    } catch (err) {
      t.diagnostic(agentOutput.slice(-4000));
      throw err;
    }
  });
});
