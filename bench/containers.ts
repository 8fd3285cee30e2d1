// `npm run bench:containers`: the container runtime's numbers on this machine, with real parts
// (Debian's docker-registry on 127.0.12.40, a containerd of the benchmark's own, `granary image
// build`). A benchmark: prints numbers (targets in docs/benchmarks.md), never fails on them.
//   - image build time and size: `granary image build zookeeper:3.8.0` (mmdebstrap, compress)
//   - pull time of that image from the local registry into containerd (cache emptied first)
//   - pod start with the image cached: from a pod bound to a container node to Running and
//     Ready, through a real agent and API server (busybox image, exec readiness probe)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../src/api/kinds/core.ts';
import type { KubeObject } from '../src/api/meta.ts';
import { writeNodeKubeconfig } from '../src/apiserver/auth/node-credentials.ts';
import { pushImageLayout, readImageLayout } from '../src/agent/images/oci-layout.ts';
import { KubeClient } from '../src/client/client.ts';
import { REPO_ROOT, startApiServer, tempDir } from '../test/support/apiserver.ts';
import { startContainerHost } from '../test/support/containers.ts';
import { fmt, summarise } from './support.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const NODE_IP = '127.0.12.40';
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

// 1. Build.
const layout = tempDir('bench-image');
const buildStarted = Date.now();
execFileSync(process.execPath, [join(REPO_ROOT, 'src/cli/main.ts'), 'image', 'build', 'zookeeper:3.8.0', '--output', layout], { stdio: ['ignore', 'ignore', 'inherit'] });
const buildMs = Date.now() - buildStarted;
const image = await readImageLayout(layout);
const compressed = image.blobs.reduce((sum, b) => sum + statSync(join(layout, 'blobs', 'sha256', b.digest.slice(7))).size, 0);
const unpacked = Number(execFileSync('sh', ['-c', `gzip -dc ${join(layout, 'blobs', 'sha256', image.blobs[0].digest.slice(7))} | wc -c`], { encoding: 'utf8' }).trim());
console.log(`image build zookeeper:3.8.0: ${(buildMs / 1000).toFixed(1)} s; size ${mib(compressed)} compressed, ${mib(unpacked)} unpacked`);

const host = await startContainerHost(NODE_IP);
let agent: ChildProcess | undefined;
const server = await startApiServer();
const client = KubeClient.fromKubeconfig(server.kubeconfig);
try {
  // 2. Pull.
  await pushImageLayout(layout, host.registry.client, 'granary/zookeeper', '3.8.0');
  const reference = `${host.registry.address}/granary/zookeeper:3.8.0`;
  const pulls: number[] = [];
  for (let round = 0; round < 3; round++) {
    await host.cri.removeImage(reference).catch(() => undefined);
    const began = Date.now();
    await host.cri.pullImage(reference, undefined, 600_000);
    pulls.push(Date.now() - began);
  }
  console.log(`image pull from the local registry (${mib(compressed)}): ${pulls.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ')}`);

  // 3. Pod start with the image cached.
  const root = tempDir('bench-container-node');
  const kubeconfig = await writeNodeKubeconfig(server.dataDir, 'bench-container', server.url);
  agent = spawn(process.execPath, [join(REPO_ROOT, 'src/cli/main.ts'), 'agent', '--kubeconfig', kubeconfig, '--node-name', 'bench-container', '--node-ip', NODE_IP,
    '--port', '0', '--root', root, '--runtime', 'container', '--container-runtime-endpoint', host.containerd.socket], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, GRANARY_LOG_LEVEL: 'warn' } });
  const pods = client.resource<Pod>('v1', 'Pod');
  const ready = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  const samples: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const name = `start-${round}`;
    const began = Date.now();
    await pods.create({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
      spec: {
        nodeName: 'bench-container', hostNetwork: true, terminationGracePeriodSeconds: 0,
        containers: [{ name: 'main', image: host.pauseImage, command: ['sleep', '3600'], readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } }],
      },
    } as KubeObject);
    for (;;) {
      const pod = await pods.get(name, 'default').catch(() => undefined);
      if (pod && ready(pod)) break;
      if (Date.now() - began > 120_000) throw new Error(`${name} was not Ready after 2 minutes: ${JSON.stringify(pod?.status)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // The first round waits for the node to register and warms the agent: not counted.
    if (round > 0) samples.push(Date.now() - began);
    await pods.delete(name, 'default', { gracePeriodSeconds: 0 });
  }
  const s = summarise(samples);
  console.log(`container pod start, image cached (created → Ready, ${s.n} pods): p50 ${fmt(s.p50)} p99 ${fmt(s.p99)} max ${fmt(s.max)} (target p99 ≤ 1 s)`);
} finally {
  if (agent && agent.exitCode === null) {
    const exited = new Promise((r) => agent!.once('exit', r));
    agent.kill('SIGTERM');
    await exited;
  }
  await client.close();
  await server.stop();
  await host.stop();
}
