// `granary up`, `granary down`, `granary status`: everything on one machine with one command.
// Today that is the embedded control plane; node agents, operators and the demo ZooKeeper
// ensemble join it as they land.
import { parseArgs } from 'node:util';
import { homedir } from 'node:os';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApiServer } from '../apiserver/server.ts';
import { KubeClient } from '../client/client.ts';
import type { KubeObject } from '../api/meta.ts';
import { createLogger } from '../common/log.ts';
import { installCrds } from './crds.ts';
import { runUntilSignal, UsageError } from './process.ts';

const DATA_DIR_HELP = 'where granary keeps its state (default: $GRANARY_HOME or ~/.granary)';

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

export async function upCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' }, listen: { type: 'string', default: '127.0.0.1:6443' } }, strict: true });
  const dataDir = dataDirOf(values['data-dir']);
  const other = runningPid(dataDir);
  if (other) throw new UsageError(`granary is already up for ${dataDir} (pid ${other}); see \`granary status\`, or stop it with \`granary down\``);
  const step = (s: string) => process.stdout.write(`• ${s}\n`);
  step(`starting the control plane (data in ${dataDir})`);
  // Progress goes to stdout; the components log only what needs attention.
  const server = await ApiServer.start({ dataDir, listen: values.listen!, logger: createLogger('apiserver', process.env.GRANARY_LOG_LEVEL ?? 'warn') });
  const pidFile = join(dataDir, 'granary-up.pid');
  writeFileSync(pidFile, `${process.pid}\n`);
  step(`control plane ready at ${server.url}`);
  const client = KubeClient.fromKubeconfig(server.kubeconfigPath);
  try {
    step(`installed the custom resource definitions: ${(await installCrds(client)).join(', ')}`);
  } finally {
    await client.close();
  }
  process.stdout.write(`
Granary is up. Look around with kubectl:

  export KUBECONFIG=${server.kubeconfigPath}
  kubectl get namespaces
  kubectl api-resources

Ctrl-C stops everything; running \`granary up\` again resumes the same cluster.
\`granary status\` summarises it from another terminal; \`granary down\` stops it.
`);
  await runUntilSignal(async () => {
    step('stopping');
    await server.stop();
    rmSync(pidFile, { force: true });
  });
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
  const deadline = Date.now() + 60_000;
  while (runningPid(dataDir) === pid) {
    if (Date.now() > deadline) throw new Error(`granary (pid ${pid}) did not stop within 60 s; look at its terminal for what it is waiting for`);
    await new Promise((r) => setTimeout(r, 200));
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
    const nodes = await client.resource<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>('v1', 'Node').list();
    const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    const pods = await client.resource<KubeObject & { status?: { phase?: string } }>('v1', 'Pod').list();
    const phases = new Map<string, number>();
    for (const p of pods.items) phases.set(p.status?.phase ?? 'Unknown', (phases.get(p.status?.phase ?? 'Unknown') ?? 0) + 1);
    process.stdout.write(`granary is up (pid ${pid}), control plane ${client.connection.server}\n`);
    process.stdout.write(`nodes: ${nodes.items.length} (${ready} ready)\n`);
    process.stdout.write(`pods: ${pods.items.length}${phases.size ? ` (${[...phases].map(([p, n]) => `${n} ${p}`).join(', ')})` : ''}\n`);
    process.stdout.write(`kubeconfig: ${kubeconfig}\n`);
  } finally {
    await client.close();
  }
}

export const UP_USAGE = `  up [--data-dir DIR] [--listen HOST:PORT]        bring granary up on this machine (${DATA_DIR_HELP})
  down [--data-dir DIR]                           stop a running \`granary up\`
  status [--data-dir DIR]                         summarise the running cluster`;
