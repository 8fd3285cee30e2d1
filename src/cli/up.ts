// `granary up`, `granary down`, `granary status`: the whole distribution on one machine with one
// command. `granary up` runs the embedded control plane in its own process and supervises the rest
// as child processes, each with its own event loop: three node agents (granary-node-1..3 on
// 127.0.0.2..4, systemd runtime when systemd is the init system and we are root, supervised
// processes otherwise) and the operators (`granary operator all`). It installs the CRDs and the default package
// repository, applies the operators' demo objects once, and reports progress until the nodes are
// Ready and the demo is available. Ctrl-C stops operators, agents and the pods' services, in that
// order; the state stays in the data directory, so running it again resumes the same cluster.
import { parseArgs } from 'node:util';
import { homedir } from 'node:os';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Node, Pod } from '../api/kinds/core.ts';
import type { KubeObject } from '../api/meta.ts';
import { KubeClient, sleep } from '../client/client.ts';
import { isAlreadyExists } from '../client/errors.ts';
import { createLogger } from '../common/log.ts';
import { PACKAGE_REPOSITORY_API_VERSION } from '../agent/packages/repository-resource.ts';
import { processesMentioning } from '../agent/runtimes/host.ts';
import { conditionsOf, isConditionTrue } from '../runtime/conditions.ts';
import { OPERATORS, type Operator } from '../operators/index.ts';
import { installCrds, installRuntimeClasses } from './crds.ts';
import { applyDemo } from './operator.ts';
import { UsageError } from './process.ts';

const DATA_DIR_HELP = 'where granary keeps its state (default: $GRANARY_HOME or ~/.granary)';
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** The local nodes `granary up` runs: one agent each, on its own loopback address. */
export const LOCAL_NODES = [1, 2, 3].map((i) => ({ name: `granary-node-${i}`, ip: `127.0.0.${i + 1}` }));
/** The agents' log endpoint, where the API server's pods/log reaches them (a kubelet's port). */
export const AGENT_PORT = 10250;
export const LOCAL_NODE_LABEL = 'granary.dev/local';

function dataDirOf(flag: string | undefined): string {
  return resolve(flag ?? process.env.GRANARY_HOME ?? join(homedir(), '.granary'));
}

/** The pid of a running `granary up` for this data directory, if there is one. */
function runningPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'granary-up.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    // Only our own process counts: the pid may have been reused by something else since.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('main.ts') && cmdline.includes('\0up') ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * systemd runs the services when it is this host's init system (a booted machine, not a container
 * or sandbox) and we may install units (root); otherwise the agents supervise them as processes.
 */
function useSystemdRuntime(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim() === 'systemd';
  } catch {
    return false;
  }
}

/** Fails, before anything starts, when another process holds a local node's agent address. */
async function checkAgentAddressesFree(): Promise<void> {
  for (const node of LOCAL_NODES) {
    await new Promise<void>((done, fail) => {
      const probe = createServer();
      probe.once('error', (err: NodeJS.ErrnoException) => fail(new UsageError(err.code === 'EADDRINUSE'
        ? `${node.ip}:${AGENT_PORT} (node ${node.name}'s agent) is in use: another \`granary up\` (with another data directory) or a granary agent runs on this machine; stop it first`
        : `cannot listen on ${node.ip}:${AGENT_PORT} for node ${node.name}: ${err.message}`)));
      probe.listen(AGENT_PORT, node.ip, () => probe.close(() => done()));
    });
  }
}

/**
 * One `granary` child process, restarted with back-off (1 s doubling to 30 s) when it exits on
 * its own. Its output goes to a log file. It gets an IPC channel so that it stops by itself if
 * this process dies without stopping it; it runs in its own process group, so a Ctrl-C in the
 * terminal reaches only `granary up`, which stops the children in order.
 */
class Supervised {
  readonly name: string;
  readonly logFile: string;
  private readonly args: string[];
  private readonly report: (line: string) => void;
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;
  private failures = 0;
  private startedAt = 0;

  constructor(name: string, args: string[], logFile: string, report: (line: string) => void) {
    this.name = name;
    this.args = args;
    this.logFile = logFile;
    this.report = report;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const out = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [...process.execArgv, MAIN, ...this.args], {
      stdio: ['ignore', out, out, 'ipc'], detached: true, env: { ...process.env, GRANARY_LOG_LEVEL: process.env.GRANARY_LOG_LEVEL ?? 'info' },
    });
    closeSync(out);
    this.child = child;
    this.startedAt = Date.now();
    child.on('error', () => {});
    this.exited = new Promise((done) => child.once('exit', (code, signal) => {
      done();
      if (this.stopping) return;
      // A run that lasted a while resets the back-off, as a crash loop's does.
      this.failures = Date.now() - this.startedAt > 60_000 ? 1 : this.failures + 1;
      const delay = Math.min(30_000, 1000 * 2 ** (this.failures - 1));
      this.report(`${this.name} exited (${signal ?? `code ${code}`}): ${this.lastLogLine() || 'no output'}; restarting in ${delay / 1000} s (log: ${this.logFile})`);
      this.restartTimer = setTimeout(() => this.start(), delay);
    }));
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.report(`${this.name} did not stop within ${graceMs / 1000} s; killing it`);
      child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The last line of the log that says something (a JSON log line's msg and err). */
  lastLogLine(): string {
    try {
      const lines = readFileSync(this.logFile, 'utf8').trimEnd().split('\n');
      const last = lines.at(-1) ?? '';
      try {
        const parsed = JSON.parse(last) as { msg?: string; err?: string };
        return [parsed.msg, parsed.err].filter(Boolean).join(': ');
      } catch {
        return last;
      }
    } catch {
      return '';
    }
  }
}

const isReady = (n: Node | undefined) => isConditionTrue(n?.status?.conditions, 'Ready');
/** A demo object is there once Available (a workload) or Ready (e.g. a SecretClass with its CA). */
const isAvailable = (o: KubeObject | undefined) => isConditionTrue(conditionsOf(o), 'Available') || isConditionTrue(conditionsOf(o), 'Ready');
const describe = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** Every operator's summary lines; an operator whose summary fails says so instead. */
export async function summaries(client: KubeClient, operators: Operator[] = OPERATORS): Promise<string[]> {
  const lines: string[] = [];
  for (const operator of operators) {
    if (!operator.summary) continue;
    try {
      lines.push(...(await operator.summary(client)));
    } catch (err) {
      lines.push(`${operator.name}: no summary (${(err as Error).message})`);
    }
  }
  return lines;
}

/** What is not there yet: nodes not Ready and demo objects not Available, each with why. */
async function pending(client: KubeClient, demo: KubeObject[]): Promise<{ nodes: Map<string, string>; demo: Map<string, string> }> {
  const nodes = new Map<string, string>();
  const listed = (await client.resource<Node>('v1', 'Node').list(undefined, { labelSelector: `${LOCAL_NODE_LABEL}=true` })).items;
  for (const { name } of LOCAL_NODES) {
    const node = listed.find((n) => n.metadata.name === name);
    if (!node) nodes.set(name, 'not registered yet');
    else if (!isReady(node)) nodes.set(name, node.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? 'not Ready');
  }
  const waiting = new Map<string, string>();
  for (const object of demo) {
    const current = await client.resource(object.apiVersion, object.kind).get(object.metadata.name!, object.metadata.namespace ?? 'default').catch(() => undefined);
    if (isAvailable(current)) continue;
    const conditions = conditionsOf(current);
    const telling = conditions.find((c) => c.type === 'Degraded' && c.status === 'True') ?? conditions.find((c) => c.type === 'Progressing') ?? conditions.find((c) => c.type === 'Available');
    waiting.set(describe(object), telling ? `${telling.type}: ${telling.message ?? telling.reason ?? telling.status}` : 'no status yet');
  }
  return { nodes, demo: waiting };
}

/** How to reach the demo: each operator's demoAccess (client certificates written under dataDir). */
async function demoAccess(client: KubeClient, dataDir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const operator of OPERATORS) {
    if (!operator.demoAccess) continue;
    lines.push(...(await operator.demoAccess(client, dataDir).catch((err: Error) => [`${operator.name}: no client credentials for the demo (${err.message})`])));
  }
  return lines;
}

/** Where the kubeconfig is, every operator's summary, how to reach the demo, what is still starting, and where to look. */
async function printSummary(client: KubeClient, kubeconfig: string, notYet: [string, string][], access: string[]): Promise<void> {
  const lines = [...await summaries(client).catch((err: Error) => [`no summary: ${err.message}`]), ...(access.length ? ['', ...access] : [])];
  const kinds = OPERATORS.flatMap((o) => o.crds).map((crd) => crd.spec as { group: string; names: { plural: string } })
    .filter((spec) => !spec.group.startsWith('command.')).map((spec) => `  kubectl get ${spec.names.plural}`);
  process.stdout.write(`
Granary is up. Its kubeconfig is ${kubeconfig}
${lines.length ? `\n${lines.map((l) => `  ${l}`).join('\n')}\n` : ''}${notYet.length ? `\nStill starting (\`granary status\` shows how far it got):\n${notYet.map(([what, why]) => `  ${what}: ${why}`).join('\n')}\n` : ''}
Look around with kubectl:

  export KUBECONFIG=${kubeconfig}
  kubectl get nodes -o wide
  kubectl get pods -o wide
${kinds.length ? `${kinds.join('\n')}\n` : ''}  kubectl api-resources

Ctrl-C stops everything; running \`granary up\` again resumes the same cluster.
\`granary status\` summarises it from another terminal; \`granary down\` stops it.
`);
}

async function ensureDefaultRepository(client: KubeClient): Promise<boolean> {
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

type LocalRuntime = 'systemd' | 'process' | 'container';

/**
 * Stops the services of the local nodes' pods, as a host shutdown does: the agents have exited
 * (and, like kubelets, left them running); the next `granary up` starts them again.
 */
async function stopLocalServices(dataDir: string, runtimes: LocalRuntime[], containerdSocket?: string): Promise<number> {
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

export async function upCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      'data-dir': { type: 'string' }, listen: { type: 'string', default: '127.0.0.1:6443' }, wait: { type: 'string', default: '300' }, 'no-demo': { type: 'boolean', default: false },
      hybrid: { type: 'boolean', default: false }, registry: { type: 'string' },
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
    const pidFile = join(dataDir, 'granary-up.pid');
    writeFileSync(pidFile, `${process.pid}\n`);
    // The pid file goes last: `granary down` waits for it.
    cleanups.push(async () => {
      await server.stop();
      rmSync(pidFile, { force: true });
    });
    step(`control plane ready at ${server.url}`);
    const client = KubeClient.fromKubeconfig(server.kubeconfigPath);
    cleanups.push(() => client.close());

    const interrupted = () => stop.signal.aborted;
    if (interrupted()) return;
    step(`custom resource definitions installed: ${(await installCrds(client)).join(', ')}`);
    step(`runtime classes: ${(await installRuntimeClasses(client)).join(', ')}`);
    step(`package repository "debian" (the host's apt) ${(await ensureDefaultRepository(client)) ? 'created' : 'kept as it is'}`);

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
    const { writeNodeKubeconfig } = await import('../apiserver/auth/node-credentials.ts');
    const agents: Supervised[] = [];
    cleanups.push(async () => {
      const count = await stopLocalServices(dataDir, runtimes, containerdSocket);
      if (count > 0) step(`stopped ${count} running pod service(s); \`granary up\` starts them again`);
    });
    cleanups.push(async () => {
      await Promise.all(agents.map((a) => a.stop()));
    });
    for (const [i, node] of LOCAL_NODES.entries()) {
      if (interrupted()) return;
      const root = join(dataDir, 'nodes', node.name);
      mkdirSync(root, { recursive: true });
      const kubeconfig = await writeNodeKubeconfig(dataDir, node.name, server.url);
      const runtimeArgs = runtimes[i] === 'container' ? ['--runtime', 'container', '--container-runtime-endpoint', containerdSocket!] : ['--runtime', runtimes[i]];
      const agent = new Supervised(`agent ${node.name}`, [
        'agent', '--kubeconfig', kubeconfig, '--node-name', node.name, '--node-ip', node.ip, '--port', String(AGENT_PORT),
        '--root', root, ...runtimeArgs, '--label', `${LOCAL_NODE_LABEL}=true`,
      ], join(logs, `${node.name}.log`), step);
      agent.start();
      agents.push(agent);
    }
    step(hybrid
      ? `started ${agents.length} node agents: ${LOCAL_NODES.map((n, i) => `${n.name} on ${n.ip} (${runtimes[i]})`).join(', ')}; logs in ${logs}`
      : `started ${agents.length} node agents (${runtime} runtime): ${LOCAL_NODES.map((n) => `${n.name} on ${n.ip}`).join(', ')}; logs in ${logs}`);

    if (interrupted()) return;
    if (OPERATORS.length > 0) {
      const operators = new Supervised('operators', ['operator', 'all', '--kubeconfig', server.kubeconfigPath, '--metrics-bind-address', '127.0.0.1:0'], join(logs, 'operators.log'), step);
      operators.start();
      cleanups.push(() => operators.stop());
      step(`started the operators: ${OPERATORS.map((o) => o.name).join(', ')} (log: ${operators.logFile})`);
    }

    // Progress until every node is Ready and the demo is available, or until the wait is over;
    // then the summary, and Granary keeps running either way, telling what becomes ready later.
    // The demo is applied once all nodes are Ready, so that operators can spread it over them.
    const demo = values['no-demo'] ? [] : OPERATORS.flatMap((o) => (hybrid && o.hybridDemo ? o.hybridDemo(registryAddress) : o.demo ?? []));
    let demoApplied = demo.length === 0;
    const deadline = Date.now() + waitSeconds * 1000;
    let summarised = false;
    let lastNote = Date.now();
    const announced = new Set<string>();
    let notYet: [string, string][] = [];
    while (!stop.signal.aborted) {
      try {
        const seen = await pending(client, demoApplied ? demo : []);
        for (const { name, ip } of LOCAL_NODES) {
          if (!seen.nodes.has(name) && !announced.has(name)) (announced.add(name), step(`node ${name} is Ready (${ip})`));
        }
        if (!demoApplied && seen.nodes.size === 0) {
          for (const { object, created } of await applyDemo(client, OPERATORS, demo)) step(`demo ${describe(object)} ${created ? 'created' : 'exists; kept as it is'}`);
          demoApplied = true;
          continue;
        }
        for (const object of demoApplied ? demo : []) {
          const key = describe(object);
          if (!seen.demo.has(key) && !announced.has(key)) (announced.add(key), step(`demo ${key} is available`));
        }
        notYet = [...seen.nodes, ...seen.demo];
        if (!demoApplied) notYet.push(...demo.map((o): [string, string] => [`demo ${describe(o)}`, 'applied once every node is Ready']));
      } catch (err) {
        notYet = [['the control plane', `not answering: ${(err as Error).message}`]];
      }
      const access = notYet.length === 0 && demo.length > 0 ? await demoAccess(client, dataDir) : [];
      if (summarised) {
        if (notYet.length === 0) {
          for (const line of [...await summaries(client).catch(() => []), ...access]) step(line);
          break;
        }
      } else if (notYet.length === 0 || Date.now() >= deadline) {
        await printSummary(client, server.kubeconfigPath, notYet, access);
        summarised = true;
        if (notYet.length === 0) break;
      } else if (Date.now() - lastNote >= 15_000) {
        lastNote = Date.now();
        step(`waiting for ${notYet.map(([what, why]) => `${what} (${why})`).join(', ')}`);
      }
      await sleep(summarised ? 2000 : 500, stop.signal);
    }
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

export const UP_USAGE = `  up [--data-dir DIR] [--listen HOST:PORT] [--wait SECONDS] [--no-demo] [--hybrid [--registry HOST:PORT]]
                                                  bring granary up on this machine: control plane, three local
                                                  node agents, operators and their demo (--data-dir: ${DATA_DIR_HELP};
                                                  --wait: seconds to wait for nodes and demo before the summary, default 300;
                                                  --hybrid: the third node runs containers, with a local registry at
                                                  --registry, default 127.0.0.1:5000, and images built the first time)
  down [--data-dir DIR]                           stop a running \`granary up\`
  status [--data-dir DIR]                         summarise the running cluster: nodes, pods, stacks`;
