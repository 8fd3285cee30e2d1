// A whole Granary stack on one machine for ZooKeeper end-to-end tests and benchmarks: a real
// `granary apiserver`, three real `granary agent` processes (each its own node on its own
// loopback address, under its own node credential), the Debian package repository, and the
// secrets and ZooKeeper operators running in this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../src/api/meta.ts';
import { writeNodeKubeconfig } from '../../src/apiserver/auth/node-credentials.ts';
import { PACKAGE_REPOSITORY_CRD } from '../../src/agent/packages/repository-resource.ts';
import { processesMentioning } from '../../src/agent/runtimes/host.ts';
import { KubeClient } from '../../src/client/client.ts';
import { installRuntimeClasses } from '../../src/cli/crds.ts';
import { createLogger } from '../../src/common/log.ts';
import { secretsOperator } from '../../src/operators/secrets/index.ts';
import { zookeeperOperator } from '../../src/operators/zookeeper/index.ts';
import { REPO_ROOT, startApiServer, tempDir, type RunningApiServer } from './apiserver.ts';
import { eventually } from './eventually.ts';
import { killListeners } from './listening.ts';
import { Kubectl } from './kubectl.ts';
import type { TestSystemd } from './systemd.ts';
import { clientSource, SharedCache } from '../../src/runtime/cache.ts';

export type StackRuntime = 'systemd' | 'process' | 'container';

export interface StackNode {
  name: string;
  address: string;
  root: string;
  runtime: StackRuntime;
}

export interface ZookeeperStack {
  server: RunningApiServer;
  client: KubeClient;
  kubectl: Kubectl;
  nodes: StackNode[];
  /** What the agents printed, for failure messages. */
  agentOutput(): string;
  /** Stops a node's agent (SIGTERM, as an administrator would) and starts it again. */
  restartAgent(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `subnet` (default 127.0.10) gives the nodes' addresses, SUBNET.1, .2, ...: away from
 * 127.0.0.2-4, where `granary up` puts its nodes, so that a stack never collides with one.
 * `runtimes` gives each node its own runtime (a hybrid stack); container nodes use `containerd`.
 */
export async function startZookeeperStack(opts: {
  runtime: 'systemd' | 'process'; systemd?: TestSystemd; nodes?: number; subnet?: string;
  runtimes?: StackRuntime[]; containerd?: { socket: string };
  /** The first node's host number in the subnet (default 1). */
  firstHost?: number;
  /** False: the test runs the operators as their own process (`granary operator all`). */
  inProcessOperator?: boolean;
}): Promise<ZookeeperStack> {
  const server = await startApiServer();
  const client = KubeClient.fromKubeconfig(server.kubeconfig);
  const kubectl = new Kubectl('1.33', server.kubeconfig);
  const crds = client.resource('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
  const needed = [PACKAGE_REPOSITORY_CRD, ...secretsOperator.crds, ...zookeeperOperator.crds];
  for (const crd of needed) await crds.create(crd);
  await kubectl.ok(['wait', '--for=condition=Established', '--timeout=30s', ...needed.map((c) => `crd/${c.metadata.name}`)]);
  await installRuntimeClasses(client);
  await client.resource('packages.granary.dev/v1alpha1', 'PackageRepository').create({
    apiVersion: 'packages.granary.dev/v1alpha1', kind: 'PackageRepository', metadata: { name: 'debian' }, spec: { os: { packageManager: 'apt' } },
  } as KubeObject);

  let output = '';
  const agents = new Map<string, ChildProcess>();
  const nodes: StackNode[] = [];
  const runtimeArgs = (runtime: StackRuntime) => runtime === 'process' ? ['--runtime', 'process']
    : runtime === 'container' ? ['--runtime', 'container', '--container-runtime-endpoint', opts.containerd!.socket]
      : ['--runtime', 'systemd', '--systemd-unit-dir', opts.systemd!.unitDir, '--systemd-command-prefix', opts.systemd!.commandPrefix.join(' ')];
  const startAgent = async (node: StackNode) => {
    const kubeconfig = await writeNodeKubeconfig(server.dataDir, node.name, server.url);
    const agent = spawn(process.execPath, [join(REPO_ROOT, 'src/cli/main.ts'), 'agent', '--kubeconfig', kubeconfig, '--node-name', node.name,
      '--node-ip', node.address, '--port', '0', '--root', node.root, ...runtimeArgs(node.runtime)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GRANARY_LOG_LEVEL: 'warn' } });
    const collect = (d: Buffer) => (output += `[${node.name}] ${d.toString()}`);
    agent.stdout!.on('data', collect);
    agent.stderr!.on('data', collect);
    agents.set(node.name, agent);
  };
  const stopAgent = (agent: ChildProcess | undefined) => {
    if (!agent || agent.exitCode !== null) return undefined;
    const exited = new Promise((r) => agent.once('exit', r));
    agent.kill('SIGTERM');
    return exited;
  };
  const runtimes = opts.runtimes ?? Array.from({ length: opts.nodes ?? 3 }, () => opts.runtime);
  for (let i = 1; i <= runtimes.length; i++) {
    const node = { name: `zk-node-${i}`, address: `${opts.subnet ?? '127.0.10'}.${(opts.firstHost ?? 1) + i - 1}`, root: tempDir(`zk-node-${i}`), runtime: runtimes[i - 1] };
    chmodSync(node.root, 0o755);
    await startAgent(node);
    nodes.push(node);
  }
  await eventually(`${nodes.length} Ready nodes`, async () => {
    const list = await client.resource('v1', 'Node').list();
    const ready = list.items.filter((n) => (n.status as { conditions?: { type: string; status: string }[] })?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready.length === nodes.length ? true : undefined;
  }, 60_000, 250);

  const stopOperator = new AbortController();
  const log = createLogger('zookeeper-operator', process.env.GRANARY_TEST_LOG ?? 'warn');
  // A test may run the operators as their own process instead (`granary operator all`). The
  // secrets operator signs the servers' certificates (TLS is on by default). As in
  // `granary operator`, the operators share one informer cache.
  const cache = new SharedCache(clientSource(client), { log: log.child({ part: 'cache' }) });
  cache.start(stopOperator.signal);
  const operator = opts.inProcessOperator === false ? Promise.resolve()
    : Promise.all([secretsOperator, zookeeperOperator].map((o) => o.run(client, log.child({ operator: o.name }), stopOperator.signal, { cache })));

  return {
    server, client, kubectl, nodes,
    agentOutput: () => output,
    async restartAgent(name) {
      await stopAgent(agents.get(name));
      await startAgent(nodes.find((n) => n.name === name)!);
    },
    async stop() {
      stopOperator.abort();
      await operator.catch(() => undefined);
      await cache.stopped();
      await Promise.all([...agents.values()].map(stopAgent));
      // Servers of a cluster a failed test left behind were started by these agents: end them too.
      for (const pid of nodes.flatMap((n) => processesMentioning(`${n.root}/`))) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      // And services whose command line names no node root (a node exporter): whatever still
      // listens on a process node's address.
      killListeners(nodes.filter((n) => n.runtime === 'process').map((n) => n.address));
      await client.close();
      await server.stop();
    },
  };
}

