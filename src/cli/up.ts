// `granary up`, `granary down`, `granary status`: the whole distribution on one machine with one
// command. `granary up` runs the embedded control plane in its own process and supervises the rest
// as child processes, each with its own event loop: three node agents (granary-node-1..3 on
// 127.0.0.2..4, systemd runtime when systemd is the init system and we are root, supervised
// processes otherwise) and the operators (`granary operator all`). It installs the CRDs and the
// default package repository, applies the platform's own stacks (monitoring, unless
// --no-monitoring) and the operators' demo objects once, and reports progress until the nodes are
// Ready and those are available. Ctrl-C stops operators, agents and the pods' services, in that
// order; the state stays in the data directory, so running it again resumes the same cluster.
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node, Pod } from '../api/kinds/core.ts';
import { KubeClient, sleep } from '../client/client.ts';
import { createLogger } from '../common/log.ts';
import type { KubeObject } from '../api/meta.ts';
import { OPERATORS, type Operator } from '../operators/index.ts';
import { installCrds, installRuntimeClasses } from './crds.ts';
import {
  checkAgentAddressesFree, dataDirOf, ensureDefaultRepository, LOCAL_NODES, OPERATORS_HOST, operatorsPort, startLocalAgents, stopLocalServices, useSystemdRuntime, type LocalRuntime,
} from './local-cluster.ts';
import { UsageError } from './process.ts';
import { Supervised } from './supervisor.ts';
import { runningPid, writePidFile } from './up-pid-file.ts';
import { describe, forgetPreviousStatuses, isReady, reportProgress, summaries } from './up-progress.ts';

const DATA_DIR_HELP = 'where granary keeps its state (default: $GRANARY_HOME or ~/.granary)';
/** The operators with a part of the platform `granary up` runs (--no-NAME leaves it out). */
const PLATFORM = OPERATORS.filter((o) => o.platform);

/** With --no-NAME, the operator's part of the platform is not applied; one left from an earlier run is pointed out. */
async function noteLeftOut(client: KubeClient, operator: Operator, nodes: readonly string[], step: (line: string) => void): Promise<void> {
  for (const object of operator.platform!(nodes)) {
    const exists = await client.resource<KubeObject>(object.apiVersion, object.kind).get(object.metadata.name!, object.metadata.namespace).then(() => true, () => false);
    if (exists) step(`${operator.name} left out (--no-${operator.name}), but ${describe(object)} from an earlier run is there and keeps running; \`kubectl delete ${object.kind.toLowerCase()} ${object.metadata.name}\` removes it`);
  }
}

export async function upCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      'data-dir': { type: 'string' }, listen: { type: 'string', default: '127.0.0.1:6443' }, wait: { type: 'string', default: '300' }, 'no-demo': { type: 'boolean', default: false },
      hybrid: { type: 'boolean', default: false }, registry: { type: 'string' },
      ...Object.fromEntries(PLATFORM.map((o) => [`no-${o.name}`, { type: 'boolean' as const, default: false }])),
    },
  });
  const waitSeconds = Number(values.wait);
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw new UsageError(`--wait takes seconds, got ${JSON.stringify(values.wait)}`);
  const dataDir = dataDirOf(values['data-dir']);
  const other = runningPid(dataDir);
  if (other) throw new UsageError(`granary is already up for ${dataDir} (pid ${other}); see \`granary status\`, or stop it with \`granary down\``);
  await checkAgentAddressesFree();
  // A data directory brought up with --hybrid stays hybrid: its demo has servers in containers.
  const hybridMarker = join(dataDir, 'hybrid');
  const hybridBefore = existsSync(hybridMarker) ? readFileSync(hybridMarker, 'utf8').trim() : undefined;
  const hybrid = values.hybrid || hybridBefore !== undefined;
  const { DEFAULT_REGISTRY } = await import('./hybrid.ts');
  const registryAddress = values.registry ?? hybridBefore ?? DEFAULT_REGISTRY;
  if (!/^[a-zA-Z0-9.-]+:\d{1,5}$/.test(registryAddress)) throw new UsageError(`--registry takes HOST:PORT, got ${JSON.stringify(registryAddress)}`);
  if (hybrid && process.getuid?.() !== 0) throw new UsageError('granary up --hybrid runs containerd and builds images from Debian packages, which needs root');

  const step = (s: string) => process.stdout.write(`• ${s}\n`);
  const stop = new AbortController();
  const onSignal = () => {
    if (!stop.signal.aborted) step('stopping (this takes a few seconds: operators, node agents, then the pods\' services)');
    stop.abort();
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  // Undone in reverse order on the way out, whether startup finished, failed or was interrupted.
  const cleanups: (() => Promise<void>)[] = [];
  try {
    step(`starting the control plane (data in ${dataDir})`);
    // Not listable by others, but passable: the node roots inside hold files of the pods' service users.
    mkdirSync(dataDir, { recursive: true, mode: 0o711 });
    const { ApiServer } = await import('../apiserver/server.ts');
    // Progress goes to stdout; the control plane logs only what needs attention.
    const server = await ApiServer.start({ dataDir, listen: values.listen!, logger: createLogger('apiserver', process.env.GRANARY_LOG_LEVEL ?? 'warn') });
    const removePidFile = writePidFile(dataDir);
    // The pid file goes last: `granary down` waits for it.
    cleanups.push(async () => {
      await server.stop();
      removePidFile();
    });
    step(`control plane ready at ${server.url}`);
    const client = KubeClient.fromKubeconfig(server.kubeconfigPath);
    cleanups.push(() => client.close());

    const interrupted = () => stop.signal.aborted;
    if (interrupted()) return;
    step(`custom resource definitions installed: ${(await installCrds(client)).join(', ')}`);
    step(`runtime classes: ${(await installRuntimeClasses(client)).join(', ')}`);
    step(`package repository "debian" (the host's apt) ${(await ensureDefaultRepository(client)) ? 'created' : 'kept as it is'}`);
    await forgetPreviousStatuses(client, [
      ...PLATFORM.flatMap((o) => o.platform!(LOCAL_NODES.map((n) => n.name))),
      ...OPERATORS.flatMap((o) => [...(o.demo ?? []), ...(o.hybridDemo?.(registryAddress) ?? [])]),
    ]);

    if (interrupted()) return;
    const logs = join(dataDir, 'logs');
    mkdirSync(logs, { recursive: true });
    const useSystemd = useSystemdRuntime();
    const runtime = useSystemd ? 'systemd' : 'process';
    const runtimes: LocalRuntime[] = LOCAL_NODES.map((_, i) => (hybrid && i === LOCAL_NODES.length - 1 ? 'container' : runtime));
    let containerdSocket: string | undefined;
    if (hybrid) {
      if (hybridBefore === undefined) step(`hybrid: ${LOCAL_NODES.at(-1)!.name} runs containers (containerd), the others ${runtime === 'systemd' ? 'systemd services' : 'supervised processes'}`);
      else if (!values.hybrid) step(`hybrid: ${dataDir} was brought up with --hybrid, so it stays hybrid`);
      const { startHybridHost } = await import('./hybrid.ts');
      const host = await startHybridHost(dataDir, registryAddress, OPERATORS.flatMap((o) => o.hybridImages ?? []), step);
      writeFileSync(hybridMarker, `${registryAddress}\n`);
      containerdSocket = host.containerd.socket;
      // Runs after the agents and the containers have stopped (cleanups run in reverse).
      cleanups.push(() => host.stop());
    }
    if (interrupted()) return;
    const agents: Supervised[] = [];
    cleanups.push(async () => {
      const count = await stopLocalServices(dataDir, runtimes, containerdSocket);
      if (count > 0) step(`stopped ${count} running pod service(s); \`granary up\` starts them again`);
    });
    cleanups.push(async () => {
      await Promise.all(agents.map((a) => a.stop()));
    });
    if (!await startLocalAgents({ dataDir, serverUrl: server.url, runtimes, containerdSocket, logs, report: step }, agents, interrupted)) return;
    step(hybrid
      ? `started ${agents.length} node agents: ${LOCAL_NODES.map((n, i) => `${n.name} on ${n.ip} (${runtimes[i]})`).join(', ')}; logs in ${logs}`
      : `started ${agents.length} node agents (${runtime} runtime): ${LOCAL_NODES.map((n) => `${n.name} on ${n.ip}`).join(', ')}; logs in ${logs}`);

    if (interrupted()) return;
    if (OPERATORS.length > 0) {
      const metricsAddress = `${OPERATORS_HOST}:${await operatorsPort(dataDir)}`;
      const operators = new Supervised('operators', ['operator', 'all', '--kubeconfig', server.kubeconfigPath, '--metrics-bind-address', metricsAddress], join(logs, 'operators.log'), step);
      operators.start();
      cleanups.push(() => operators.stop());
      step(`started the operators: ${OPERATORS.map((o) => o.name).join(', ')} (log: ${operators.logFile})`);
    }

    // Granary keeps running after the summary, whether or not everything came up in time.
    // The platform's parts (the monitoring stack) are applied with the demo, once every node is Ready.
    const nodeNames = LOCAL_NODES.map((n) => n.name);
    const leftOut = PLATFORM.filter((o) => (values as Record<string, unknown>)[`no-${o.name}`] === true);
    for (const operator of leftOut) await noteLeftOut(client, operator, nodeNames, step);
    const platform = PLATFORM.filter((o) => !leftOut.includes(o)).flatMap((o) => o.platform!(nodeNames).map((object) => ({ label: o.name, object })));
    const demo = values['no-demo'] ? [] : OPERATORS.flatMap((o) => (hybrid && o.hybridDemo ? o.hybridDemo(registryAddress) : o.demo ?? []));
    await reportProgress({ client, kubeconfig: server.kubeconfigPath, dataDir, platform, demo, deadline: Date.now() + waitSeconds * 1000, report: step, signal: stop.signal });
    await new Promise((r) => (stop.signal.aborted ? r(undefined) : stop.signal.addEventListener('abort', r, { once: true })));
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        process.stderr.write(`granary: while stopping: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    }
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
    if (stop.signal.aborted) step('stopped');
  }
}

export async function downCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' } }, strict: true });
  const dataDir = dataDirOf(values['data-dir']);
  const pid = runningPid(dataDir);
  if (!pid) {
    process.stdout.write(`granary is not up for ${dataDir}\n`);
    return;
  }
  process.kill(pid, 'SIGTERM');
  // Operators and agents get 30 s each, the pods' services 15 s: allow for all of it.
  const deadline = Date.now() + 120_000;
  while (runningPid(dataDir) === pid) {
    if (Date.now() > deadline) throw new Error(`granary (pid ${pid}) did not stop within 120 s; look at its terminal for what it is waiting for`);
    await sleep(200);
  }
  process.stdout.write(`granary stopped (pid ${pid})\n`);
}

export async function statusCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' } }, strict: true });
  const dataDir = dataDirOf(values['data-dir']);
  const kubeconfig = join(dataDir, 'admin.kubeconfig');
  const pid = runningPid(dataDir);
  if (!pid || !existsSync(kubeconfig)) {
    process.stdout.write(`granary is not up for ${dataDir}; start it with \`granary up\`\n`);
    process.exitCode = 3;
    return;
  }
  const client = KubeClient.fromKubeconfig(kubeconfig, { maxAttempts: 1 });
  try {
    const nodes = await client.resource<Node>('v1', 'Node').list();
    const ready = nodes.items.filter(isReady).length;
    const pods = await client.resource<Pod>('v1', 'Pod').list();
    const phases = new Map<string, number>();
    for (const p of pods.items) phases.set(p.status?.phase ?? 'Unknown', (phases.get(p.status?.phase ?? 'Unknown') ?? 0) + 1);
    process.stdout.write(`granary is up (pid ${pid}), control plane ${client.connection.server}\n`);
    process.stdout.write(`nodes: ${nodes.items.length} (${ready} ready)\n`);
    process.stdout.write(`pods: ${pods.items.length}${phases.size ? ` (${[...phases].map(([p, n]) => `${n} ${p}`).join(', ')})` : ''}\n`);
    for (const line of await summaries(client)) process.stdout.write(`${line}\n`);
    process.stdout.write(`kubeconfig: ${kubeconfig}\n`);
  } finally {
    await client.close();
  }
}

export const UP_USAGE = `  up [--data-dir DIR] [--listen HOST:PORT] [--wait SECONDS] [--no-demo]${PLATFORM.map((o) => ` [--no-${o.name}]`).join('')} [--hybrid [--registry HOST:PORT]]
                                                  bring granary up on this machine: control plane, three local
                                                  node agents, operators, ${PLATFORM.map((o) => `the ${o.name} stack`).join(', ') || 'the platform'} and the demo (--data-dir: ${DATA_DIR_HELP};
                                                  --wait: seconds to wait for nodes, stacks and demo before the summary, default 300;
                                                  --hybrid: the third node runs containers, with a local registry at
                                                  --registry, default 127.0.0.1:5000, and images built the first time)
  down [--data-dir DIR]                           stop a running \`granary up\`
  status [--data-dir DIR]                         summarise the running cluster: nodes, pods, stacks, firing alerts`;
