// A monitoring stack watching many simulated nodes, for the discovery test and `npm run
// bench:monitoring`: a real `granary apiserver`, one real agent (process runtime) where Debian's
// Prometheus and Alertmanager run, `granary operator monitoring` as its own process (its endpoint
// answers the stack's HTTP service discovery), and `granary agent --simulate` processes for the
// many nodes, each group of simulated nodes with its own label so that it can be removed again.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../src/api/meta.ts';
import type { Node } from '../../src/api/kinds/core.ts';
import type { MonitoringStack } from '../../src/operators/monitoring/crd.ts';
import { writeNodeKubeconfig } from '../../src/apiserver/auth/node-credentials.ts';
import { processesMentioning } from '../../src/agent/runtimes/host.ts';
import { KubeClient } from '../../src/client/client.ts';
import { REPO_ROOT, startApiServer, tempDir, type RunningApiServer } from './apiserver.ts';
import { eventually } from './eventually.ts';
import { Kubectl } from './kubectl.ts';
import { killListeners } from './listening.ts';

const CLI = join(REPO_ROOT, 'src/cli/main.ts');

export interface ManagedProcess {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function granary(args: string[], logLevel = 'warn'): ManagedProcess {
  let out = '';
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GRANARY_LOG_LEVEL: logLevel } });
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child, output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface Target { labels: Record<string, string>; discoveredLabels: Record<string, string>; health: string }

export interface DiscoveryStack {
  server: RunningApiServer;
  client: KubeClient;
  kubectl: Kubectl;
  operator: ManagedProcess;
  /** https://HOST:PORT of the operator's endpoint (metrics, discovery). */
  operatorEndpoint: string;
  /** The real node Prometheus runs on. */
  node: string;
  /** Applies the MonitoringStack `mon` (Prometheus on the real node); resolves with Prometheus' URL once it is available. */
  startMonitoring(spec?: Record<string, unknown>): Promise<string>;
  /** `count` simulated nodes named PREFIX-0.., labelled granary.dev/sim-group=PREFIX; resolves once all are Ready. */
  simulate(prefix: string, count: number): Promise<ManagedProcess>;
  /** Prometheus' active targets. */
  targets(): Promise<Target[]>;
  /** Prometheus' own log so far. */
  prometheusLog(): Promise<string>;
  stop(): Promise<void>;
}

/** The operators' endpoint gets SUBNET.FIRSTHOST (default 20) and the real node the address after it. */
export async function startDiscoveryStack(opts: { subnet: string; firstHost?: number }): Promise<DiscoveryStack> {
  const first = opts.firstHost ?? 20;
  const nodeIp = `${opts.subnet}.${first + 1}`;
  const server = await startApiServer();
  const client = KubeClient.fromKubeconfig(server.kubeconfig);
  const kubectl = new Kubectl('1.33', server.kubeconfig);
  const processes: ManagedProcess[] = [];
  const root = tempDir('discovery-node');
  chmodSync(root, 0o755);
  const stop = async () => {
    for (const p of [...processes].reverse()) await p.stop();
    // The pods' services (Prometheus, Alertmanager, the real node's exporter) outlive their agent;
    // the exporter's command line names no node root, but it listens on the node's address.
    for (const pid of processesMentioning(`${root}/`)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    killListeners([nodeIp]);
    await client.close();
    await server.stop();
  };
  let prometheusUrl: string | undefined;
  try {
    const install = granary(['install', '--kubeconfig', server.kubeconfig]);
    await new Promise((r) => install.child.once('exit', r));
    if (install.child.exitCode !== 0) throw new Error(`granary install failed:\n${install.output()}`);
    await kubectl.ok(['wait', '--for=condition=Established', '--timeout=30s', 'crd/monitoringstacks.monitoring.granary.dev', 'crd/packagerepositories.packages.granary.dev']);
    await client.resource('packages.granary.dev/v1alpha1', 'PackageRepository').create({
      apiVersion: 'packages.granary.dev/v1alpha1', kind: 'PackageRepository', metadata: { name: 'debian' }, spec: { os: { packageManager: 'apt' } },
    } as KubeObject);
    const node = 'discovery-node';
    const nodeKubeconfig = await writeNodeKubeconfig(server.dataDir, node, server.url);
    const agent = granary(['agent', '--kubeconfig', nodeKubeconfig, '--node-name', node, '--node-ip', nodeIp, '--port', '0', '--runtime', 'process', '--root', root]);
    processes.push(agent);
    const operator = granary(['operator', 'monitoring', '--kubeconfig', server.kubeconfig, '--metrics-bind-address', `${opts.subnet}.${first}:0`, '--lease-namespace', 'default'], 'info');
    processes.push(operator);
    const operatorEndpoint = await eventually('the operator\'s endpoint', async () => /"endpoint":"(https:[^"]+)"/.exec(operator.output())?.[1], 30_000);
    return {
      server, client, kubectl, operator, operatorEndpoint, node, stop,
      async startMonitoring(spec = {}) {
        await kubectl.ok(['apply', '-f', '-'], {
          input: JSON.stringify({
            apiVersion: 'monitoring.granary.dev/v1alpha1', kind: 'MonitoringStack', metadata: { name: 'mon', namespace: 'default' },
            spec: { prometheus: { nodeName: node, ...spec } },
          }),
        });
        const stacks = client.resource<MonitoringStack>('monitoring.granary.dev/v1alpha1', 'MonitoringStack');
        prometheusUrl = await eventually('the stack to be available', async () => {
          const stack = await stacks.get('mon', 'default');
          return stack.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ? stack.status.prometheusUrl : undefined;
        }, 180_000, 500).catch((err: Error) => Promise.reject(new Error(`${err.message}\noperator:\n${operator.output().slice(-3000)}\nagent:\n${agent.output().slice(-3000)}`)));
        return prometheusUrl!;
      },
      async simulate(prefix, count) {
        const simulator = granary(['agent', '--kubeconfig', server.kubeconfig, '--simulate', String(count), '--node-name', prefix, '--label', `granary.dev/sim-group=${prefix}`]);
        processes.push(simulator);
        await eventually(`${count} simulated nodes Ready`, async () => {
          const nodes = (await client.resource<Node>('v1', 'Node').list(undefined, { labelSelector: `granary.dev/sim-group=${prefix}` })).items;
          return nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === count ? true : undefined;
        }, 120_000, 500);
        return simulator;
      },
      async targets() {
        const res = await fetch(`${prometheusUrl}/api/v1/targets?state=active`);
        if (!res.ok) throw new Error(`Prometheus' targets: ${res.status}`);
        return ((await res.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
      },
      async prometheusLog() {
        return (await kubectl.ok(['logs', 'mon-prometheus'])).toString();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
