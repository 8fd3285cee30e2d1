// `granary up --hybrid` as a user runs it: the third local node runs containers (containerd
// started by up), a local registry from Debian's docker-registry binary, and the demo ensemble
// with two servers on bare metal and one in a container; Ctrl-C leaves nothing running. The
// product image is built once per test run (`granary image build`, run-artifacts.ts) and put in
// the registry's storage beforehand, so up finds it there; the registry listens on 127.0.12.30.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pushImageLayout } from '../../src/agent/images/oci-layout.ts';
import { CriClient } from '../../src/agent/runtimes/cri/client.ts';
import { processesMentioning } from '../../src/agent/runtimes/host.ts';
import { REPO_ROOT, tempDir } from '../support/apiserver.ts';
import { containersUnavailable, pauseImageLayout, PAUSE_REPOSITORY, PAUSE_TAG, startRegistry, zookeeperImageLayout } from '../support/containers.ts';
import { eventually } from '../support/eventually.ts';
import { Kubectl } from '../support/kubectl.ts';
import { lockLocalNodes } from '../support/local-nodes.ts';
import { freePort } from '../support/net.ts';

const GRANARY = join(REPO_ROOT, 'granary');
const REGISTRY_HOST = '127.0.12.30';

test('granary up --hybrid: a container node, a local registry, and a ZooKeeper ensemble across bare metal and a container; Ctrl-C leaves nothing running', { skip: containersUnavailable() }, async (t) => {
  t.after(await lockLocalNodes());
  const home = tempDir('up-hybrid');
  const registry = `${REGISTRY_HOST}:${await freePort(REGISTRY_HOST)}`;
  // The images a first `up --hybrid` would build, already in the registry's storage.
  const seed = await startRegistry(REGISTRY_HOST, { storage: join(home, 'registry', 'data') });
  await pushImageLayout(await zookeeperImageLayout(), seed.client, 'granary/zookeeper', '3.8.0');
  await pushImageLayout(await pauseImageLayout(), seed.client, PAUSE_REPOSITORY, PAUSE_TAG);
  await seed.stop();

  const env = { ...process.env, GRANARY_HOME: home };
  delete (env as NodeJS.ProcessEnv).KUBECONFIG;
  const listen = `127.0.0.1:${await freePort()}`;
  let output = '';
  const up: ChildProcess = spawn(GRANARY, ['up', '--hybrid', '--registry', registry, '--listen', listen, '--wait', '300'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  up.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  up.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => up.on('exit', (code) => r(code)));
  t.after(async () => {
    if (up.exitCode === null) {
      up.kill('SIGINT');
      await exited;
    }
    for (const pid of processesMentioning(home)) process.kill(pid, 'SIGKILL');
  });
  await eventually('the summary', async () => (output.includes('Granary is up') ? true : (up.exitCode !== null ? Promise.reject(new Error(output)) : undefined)), 480_000, 500)
    .catch((err: Error) => { throw new Error(`${err.message}\n${output}`); });

  assert.match(output, new RegExp(`local registry at ${registry.replaceAll('.', '\\.')}`));
  assert.match(output, /image 127\.0\.12\.30:\d+\/granary\/zookeeper:3\.8\.0 is in the local registry/);
  assert.match(output, /started 3 node agents: granary-node-1 on 127\.0\.0\.2 \((systemd|process)\), granary-node-2 on 127\.0\.0\.3 \((systemd|process)\), granary-node-3 on 127\.0\.0\.4 \(container\)/);
  assert.match(output, /demo ZookeeperCluster default\/demo is available/, output);

  const kubectl = new Kubectl('1.33', join(home, 'admin.kubeconfig'));
  assert.equal(await kubectl.ok(['get', 'node', 'granary-node-3', '-o', 'jsonpath={.metadata.labels.runtime\\.granary\\.dev/container}']), 'true');
  const pods = (await kubectl.ok(['get', 'pods', '-l', 'app.kubernetes.io/instance=demo,app.kubernetes.io/component=server', '-o',
    'jsonpath={range .items[*]}{.metadata.labels.app\\.kubernetes\\.io/role-group} {.spec.nodeName} {.spec.containers[0].image}{"\\n"}{end}'])).trim().split('\n').sort();
  assert.equal(pods.length, 3, pods.join('\n'));
  assert.match(pods[0], new RegExp(`^boxed granary-node-3 ${registry.replaceAll('.', '\\.')}/granary/zookeeper:3\\.8\\.0$`));
  assert.match(pods[1], /^metal granary-node-[12] zookeeper:3\.8\.0$/);
  // Available needs a majority only: the container's server may still be on its way.
  const boxed = (await kubectl.ok(['get', 'pods', '-l', 'app.kubernetes.io/role-group=boxed', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  await kubectl.ok(['wait', '--for=condition=Ready', `pod/${boxed}`, '--timeout=180s'], { timeoutMs: 190_000 });
  const cri = new CriClient({ socket: join(home, 'containerd', 'containerd.sock') });
  const running = await cri.listContainers({ state: 'CONTAINER_RUNNING' });
  cri.close();
  assert.ok(running.some((c) => c.labels['io.kubernetes.container.name'] === 'zookeeper' && c.labels['io.kubernetes.pod.name'] === boxed), 'the boxed server runs in containerd');
  const logs = await kubectl.ok(['logs', boxed, '-c', 'zookeeper', '--tail=50']);
  assert.match(logs, /zookeeper|ZooKeeper|QuorumPeer/i, 'kubectl logs reads the container\'s output');

  up.kill('SIGINT');
  assert.equal(await exited, 0, `Ctrl-C stops granary up cleanly:\n${output}`);
  const left = processesMentioning(home).map((pid) => `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 160)}`);
  assert.deepEqual(left, [], 'no process of the cluster is left: agents, operators, containers, containerd, registry');
  assert.ok(readdirSync(join(home, 'registry', 'data')).length > 0, 'the registry keeps its images for the next up');
});
