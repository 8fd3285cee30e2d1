// The machine `granary up` runs on: its data directory, its three local nodes (one agent each on
// its own loopback address), which runtime their services get, and stopping those services.
import { homedir } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { sleep, type KubeClient } from '../client/client.ts';
import { isAlreadyExists } from '../client/errors.ts';
import { createLogger } from '../common/log.ts';
import { PACKAGE_REPOSITORY_API_VERSION } from '../agent/packages/repository-resource.ts';
import { processesMentioning } from '../agent/runtimes/host.ts';
import { UsageError } from './process.ts';
import { Supervised } from './supervisor.ts';

/** The local nodes `granary up` runs: one agent each, on its own loopback address. */
export const LOCAL_NODES = [1, 2, 3].map((i) => ({ name: `granary-node-${i}`, ip: `127.0.0.${i + 1}` }));
/** The agents' log endpoint, where the API server's pods/log reaches them (a kubelet's port). */
export const AGENT_PORT = 10250;
export const LOCAL_NODE_LABEL = 'granary.dev/local';

export type LocalRuntime = 'systemd' | 'process' | 'container';

export function dataDirOf(flag: string | undefined): string {
  return resolve(flag ?? process.env.GRANARY_HOME ?? join(homedir(), '.granary'));
}

/**
 * systemd runs the services when it is this host's init system (a booted machine, not a container
 * or sandbox) and we may install units (root); otherwise the agents supervise them as processes.
 */
export function useSystemdRuntime(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim() === 'systemd';
  } catch {
    return false;
  }
}

/** Listens on host:port for a moment: the port it got (any free one for port 0), or why it could not. */
function probePort(host: string, port: number): Promise<{ port: number } | { error: NodeJS.ErrnoException }> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => done({ error }));
    probe.listen(port, host, () => {
      const got = (probe.address() as { port: number }).port;
      probe.close(() => done({ port: got }));
    });
  });
}

/** Fails, before anything starts, when another process holds a local node's agent address. */
export async function checkAgentAddressesFree(): Promise<void> {
  for (const node of LOCAL_NODES) {
    const probed = await probePort(node.ip, AGENT_PORT);
    if (!('error' in probed)) continue;
    throw new UsageError(probed.error.code === 'EADDRINUSE'
      ? `${node.ip}:${AGENT_PORT} (node ${node.name}'s agent) is in use: another \`granary up\` (with another data directory) or a granary agent runs on this machine; stop it first`
      : `cannot listen on ${node.ip}:${AGENT_PORT} for node ${node.name}: ${probed.error.message}`);
  }
}

/** Where the operators serve their metrics and the monitoring stack's discovery. */
export const OPERATORS_HOST = '127.0.0.1';

/**
 * The port of the operators' endpoint (metrics, and the monitoring stack's discovery) on
 * 127.0.0.1: the same on every run while it is free, since the stack's Prometheus is configured
 * with it; a new free one, remembered, otherwise.
 */
export async function operatorsPort(dataDir: string): Promise<number> {
  const file = join(dataDir, 'operators.port');
  const kept = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : 0;
  if (Number.isInteger(kept) && kept > 0 && kept <= 65535 && !('error' in await probePort(OPERATORS_HOST, kept))) return kept;
  const probed = await probePort(OPERATORS_HOST, 0);
  if ('error' in probed) throw new Error(`cannot listen on ${OPERATORS_HOST} for the operators: ${probed.error.message}`);
  writeFileSync(file, `${probed.port}\n`);
  return probed.port;
}

export async function ensureDefaultRepository(client: KubeClient): Promise<boolean> {
  try {
    await client.resource(PACKAGE_REPOSITORY_API_VERSION, 'PackageRepository').create({
      apiVersion: PACKAGE_REPOSITORY_API_VERSION, kind: 'PackageRepository', metadata: { name: 'debian' }, spec: { os: { packageManager: 'apt' } },
    });
    return true;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    return false;
  }
}

export interface LocalAgentsOptions {
  dataDir: string;
  serverUrl: string;
  /** Each node's runtime, in the order of LOCAL_NODES. */
  runtimes: LocalRuntime[];
  containerdSocket?: string;
  logs: string;
  report: (line: string) => void;
}

/**
 * Starts a supervised agent per local node, adding each to `agents` (which the caller stops);
 * false when `interrupted` stopped it before every node had its agent.
 */
export async function startLocalAgents(opts: LocalAgentsOptions, agents: Supervised[], interrupted: () => boolean): Promise<boolean> {
  const { writeNodeKubeconfig } = await import('../apiserver/auth/node-credentials.ts');
  for (const [i, node] of LOCAL_NODES.entries()) {
    if (interrupted()) return false;
    const root = join(opts.dataDir, 'nodes', node.name);
    mkdirSync(root, { recursive: true });
    const kubeconfig = await writeNodeKubeconfig(opts.dataDir, node.name, opts.serverUrl);
    const runtimeArgs = opts.runtimes[i] === 'container' ? ['--runtime', 'container', '--container-runtime-endpoint', opts.containerdSocket!] : ['--runtime', opts.runtimes[i]];
    const agent = new Supervised(`agent ${node.name}`, [
      'agent', '--kubeconfig', kubeconfig, '--node-name', node.name, '--node-ip', node.ip, '--port', String(AGENT_PORT),
      '--root', root, ...runtimeArgs, '--label', `${LOCAL_NODE_LABEL}=true`,
    ], join(opts.logs, `${node.name}.log`), opts.report);
    agent.start();
    agents.push(agent);
  }
  return true;
}

/**
 * Stops the services of the local nodes' pods, as a host shutdown does: the agents have exited
 * (and, like kubelets, left them running); the next `granary up` starts them again.
 */
export async function stopLocalServices(dataDir: string, runtimes: LocalRuntime[], containerdSocket?: string): Promise<number> {
  const log = createLogger('up', 'warn');
  let stopped = 0;
  await Promise.all(LOCAL_NODES.map(async (node, i) => {
    const stateDir = join(dataDir, 'nodes', node.name, 'runtime');
    if (!existsSync(stateDir)) return;
    const kind = runtimes[i];
    let cri: import('../agent/runtimes/cri/client.ts').CriClient | undefined;
    if (kind === 'container') cri = new (await import('../agent/runtimes/cri/client.ts')).CriClient({ socket: containerdSocket! });
    const runtime = kind === 'container'
      ? await (await import('../agent/runtimes/container.ts')).openContainerRuntime({ cri: cri!, node: node.name, stateDir, log })
      : kind === 'systemd'
        ? await (await import('../agent/runtimes/systemd.ts')).openSystemdRuntime({ unitDir: '/run/systemd/system', stateDir, log })
        : await (await import('../agent/runtimes/process.ts')).openProcessRuntime({ stateDir, log });
    try {
      await Promise.all((await runtime.list()).map(async (service) => {
        if ((await runtime.status(service.name)).state !== 'running') return;
        await runtime.stop(service.name, 15);
        stopped++;
      }));
    } finally {
      await runtime.close();
      cri?.close();
    }
  }));
  // A stopped service's supervisor (the process runtime's shim) exits a moment after it; wait for
  // every process of the local nodes to be gone, so that nothing outlives `granary up`.
  const nodesDir = join(dataDir, 'nodes') + '/';
  const deadline = Date.now() + 15_000;
  while (processesMentioning(nodesDir).length > 0 && Date.now() < deadline) await sleep(50);
  for (const pid of processesMentioning(nodesDir)) {
    process.stderr.write(`granary: process ${pid} of a local node is still running 15 s after its service was stopped; killing it\n`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  return stopped;
}
