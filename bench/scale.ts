// `npm run bench:scale`: how the control plane copes with many nodes and pods, and how fast a
// real agent starts pods. A benchmark: prints numbers (targets in docs/benchmarks.md), never fails on them.
//   1. 5,000 simulated nodes (`granary agent --simulate 5000`): time until all are Ready.
//   2. 10,000 pods bound to them: time from the first create until all are Running (seen by a watch).
//   3. One real agent (process runtime) and a package already installed: create → Running latency
//      of 100 pods, each its own process, p50 and p99, seen through a watch.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create as createTar } from 'tar';
import { REPO_ROOT, startApiServer, tempDir } from '../test/support/apiserver.ts';
import { TestRepository } from '../test/support/package-repository.ts';
import { KubeClient } from '../src/client/client.ts';
import { PACKAGE_REPOSITORY_CRD } from '../src/agent/packages/repository-resource.ts';
import { summarise, fmt } from './support.ts';

const NODES = Number(process.env.BENCH_NODES ?? 5_000);
const PODS = Number(process.env.BENCH_PODS ?? 10_000);
const REAL_PODS = Number(process.env.BENCH_REAL_PODS ?? 100);
const CLI = join(REPO_ROOT, 'src/cli/main.ts');

type Obj = { metadata: { name: string; namespace?: string; creationTimestamp?: string }; status?: any };

function agentProcess(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, 'agent', ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, GRANARY_LOG_LEVEL: 'warn' } });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Follows a kind through a watch, keeping the latest object of each name. */
async function follow(client: KubeClient, apiVersion: string, kind: string, onChange: (obj: Obj) => void, signal: AbortSignal) {
  const api = client.resource(apiVersion, kind);
  const list = await api.list();
  for (const o of list.items) onChange(o as Obj);
  const events = await api.watch(undefined, { resourceVersion: list.metadata?.resourceVersion, signal });
  void (async () => {
    try {
      for await (const e of events) if (e.type !== 'BOOKMARK') onChange(e.object as Obj);
    } catch {
      // ends when the benchmark aborts it
    }
  })();
}

const ready = (n: Obj) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');

async function main(): Promise<void> {
  const server = await startApiServer();
  const client = KubeClient.fromKubeconfig(server.kubeconfig);
  const stop = new AbortController();
  try {
    // 1. Simulated nodes.
    const readyNodes = new Set<string>();
    await follow(client, 'v1', 'Node', (n) => (ready(n) ? readyNodes.add(n.metadata.name) : readyNodes.delete(n.metadata.name)), stop.signal);
    let started = performance.now();
    const simulator = agentProcess(['--kubeconfig', server.kubeconfig, '--simulate', String(NODES), '--node-name', 'sim']);
    await waitUntil('simulated nodes', () => readyNodes.size >= NODES, 300_000);
    console.log(`${NODES} simulated nodes Ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // 2. Pods bound to them.
    const running = new Set<string>();
    await follow(client, 'v1', 'Pod', (p) => { if (p.status?.phase === 'Running') running.add(p.metadata.name); }, stop.signal);
    const pods = client.resource('v1', 'Pod');
    started = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < PODS) {
        const i = next++;
        await pods.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `sim-pod-${i}`, namespace: 'default' }, spec: { nodeName: `sim-${i % NODES}`, containers: [{ name: 'main', image: 'demo:1.0', command: ['/bin/true'] }] } });
      }
    }));
    const created = (performance.now() - started) / 1000;
    await waitUntil('simulated pods', () => running.size >= PODS, 300_000);
    console.log(`${PODS} pods on simulated nodes Running ${((performance.now() - started) / 1000).toFixed(1)} s after the first create (creates took ${created.toFixed(1)} s)`);
    await stopProcess(simulator);

    // 3. Real pods on one agent.
    const repository = new TestRepository();
    await repository.start();
    const work = tempDir('bench-package');
    mkdirSync(join(work, 'bin'), { recursive: true });
    writeFileSync(join(work, 'bin', 'sleeper'), '#!/bin/sh\nexec sleep 3600\n');
    chmodSync(join(work, 'bin', 'sleeper'), 0o755);
    await createTar({ gzip: true, file: join(work, 'p.tar.gz'), cwd: work, portable: true }, ['bin']);
    repository.publish('sleeper', '1.0', readFileSync(join(work, 'p.tar.gz')));
    await client.resource('apiextensions.k8s.io/v1', 'CustomResourceDefinition').create(PACKAGE_REPOSITORY_CRD);
    await new Promise((r) => setTimeout(r, 1000));
    await client.resource('packages.granary.dev/v1alpha1', 'PackageRepository').create({ apiVersion: 'packages.granary.dev/v1alpha1', kind: 'PackageRepository', metadata: { name: 'bench' }, spec: { http: { url: repository.url } } });
    const agent = agentProcess(['--kubeconfig', server.kubeconfig, '--node-name', 'real-1', '--node-ip', '127.0.0.1', '--runtime', 'process', '--root', tempDir('bench-agent')]);
    await waitUntil('the real node', () => readyNodes.has('real-1'), 60_000);
    const podSpec = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: 'real-1', terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'sleeper:1.0', command: ['{{packageroot}}/bin/sleeper'] }] } });
    // Warm-up: the package gets installed once.
    await pods.create(podSpec('warm-up'));
    await waitUntil('the warm-up pod', () => running.has('warm-up'), 120_000);
    const createdAt = new Map<string, number>();
    const startLatency: number[] = [];
    await follow(client, 'v1', 'Pod', (p) => {
      const t0 = createdAt.get(p.metadata.name);
      if (t0 !== undefined && p.status?.phase === 'Running') {
        startLatency.push(performance.now() - t0);
        createdAt.delete(p.metadata.name);
      }
    }, stop.signal);
    for (let i = 0; i < REAL_PODS; i++) {
      createdAt.set(`real-${i}`, performance.now());
      await pods.create(podSpec(`real-${i}`));
      // A steady trickle, not a burst: what one pod's start costs, not how a 2-core host queues.
      await new Promise((r) => setTimeout(r, 300));
    }
    await waitUntil('real pods', () => startLatency.length >= REAL_PODS, 300_000);
    const s = summarise(startLatency);
    console.log(`real pod start on one agent (process runtime, package installed): create → Running p50 ${fmt(s.p50)}, p99 ${fmt(s.p99)} over ${s.n} pods`);
    for (let i = 0; i < REAL_PODS; i++) await pods.delete(`real-${i}`, 'default');
    await pods.delete('warm-up', 'default');
    await new Promise((r) => setTimeout(r, 3000));
    await stopProcess(agent);
    await repository.stop();
  } finally {
    stop.abort();
    await client.close();
    await server.stop();
  }
}

await main();
