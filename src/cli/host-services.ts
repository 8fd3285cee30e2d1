// What `granary init`, `granary join` and `granary leave` share on a host where the Debian package
// is installed: where the package keeps configuration and state, its systemd services, the files
// that hold each service's flags, and waiting for a Node to be Ready.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Node } from '../api/kinds/core.ts';
import { sleep, type KubeClient } from '../client/client.ts';
import { writeFileAtomically } from '../common/kubeconfig-file.ts';
import { UsageError } from './process.ts';

// The paths the package's units name (packaging/deb/*.service).
export const CONFIG_DIR = '/etc/granary';
export const APISERVER_ENV = `${CONFIG_DIR}/apiserver.env`;
export const AGENT_ENV = `${CONFIG_DIR}/agent.env`;
export const BOOTSTRAP_KUBECONFIG = `${CONFIG_DIR}/bootstrap.kubeconfig`;
export const APISERVER_DATA_DIR = '/var/lib/granary/apiserver';
/** Kept current by the API server (it renews the certificate); the operators' service uses it too. */
export const ADMIN_KUBECONFIG = `${APISERVER_DATA_DIR}/admin.kubeconfig`;
export const CA_CERT = `${APISERVER_DATA_DIR}/pki/ca.crt`;
export const AGENT_ROOT = '/var/lib/granary/agent';
export const NODE_KUBECONFIG = `${AGENT_ROOT}/pki/node.kubeconfig`;

export const APISERVER_SERVICE = 'granary-apiserver.service';
export const OPERATOR_SERVICE = 'granary-operator.service';
export const AGENT_SERVICE = 'granary-agent.service';
const UNIT_DIRS = ['/usr/lib/systemd/system', '/lib/systemd/system'];

/** A line of progress for the person at the terminal. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Fails, saying why, unless this host is one `command` can set up: root, systemd as init, the package installed. */
export function checkHost(command: string): void {
  if (process.getuid?.() !== 0) throw new UsageError(`granary ${command} manages this host's services: run it as root`);
  if (!existsSync('/run/systemd/system')) throw new UsageError(`granary ${command} needs systemd as this host's init system (/run/systemd/system is missing)`);
  for (const unit of [APISERVER_SERVICE, AGENT_SERVICE, OPERATOR_SERVICE]) {
    if (!UNIT_DIRS.some((dir) => existsSync(`${dir}/${unit}`))) {
      throw new UsageError(`granary ${command} sets up the services of the granary Debian package, but ${unit} is not installed; install the package (apt install ./granary_VERSION_ARCH.deb) and run /usr/bin/granary ${command}`);
    }
  }
}

function runTool(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(new Error(`${command} could not run: ${err.message}`));
      else resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
    });
  });
}

/** A systemctl command that must succeed. */
export async function systemctl(...args: string[]): Promise<void> {
  const result = await runTool('systemctl', args);
  if (result.code !== 0) throw new Error(`systemctl ${args.join(' ')} failed: ${result.stderr.trim() || `exit status ${result.code}`}`);
}

/** Whether systemd has given up on a unit (it failed and will not be restarted). */
export async function hasFailed(unit: string): Promise<boolean> {
  return (await runTool('systemctl', ['is-failed', '--quiet', unit])).code === 0;
}

/** The unit's last log lines, for an error message. */
export async function journalTail(unit: string, lines = 15): Promise<string> {
  const result = await runTool('journalctl', ['--unit', unit, '--lines', String(lines), '--no-pager', '--output', 'cat']).catch(() => undefined);
  return result?.stdout.trim() ?? '';
}

/** Enables `unit` and (re)starts it, so that it runs with the flags just written. */
export async function enableAndRestart(unit: string): Promise<void> {
  await systemctl('enable', '--quiet', unit);
  await systemctl('restart', unit);
}

// Flags go into an environment file as one variable that the unit's ExecStart splits at spaces,
// so each flag must be one word systemd passes on unchanged.
const PLAIN_WORD = /^[A-Za-z0-9._:/=@,[\]+-]+$/;

/** The text of an environment file setting `variable` to `args`. */
export function renderEnvFile(variable: string, args: string[], comment: string): string {
  const bad = args.find((a) => !PLAIN_WORD.test(a));
  if (bad !== undefined) throw new UsageError(`${JSON.stringify(bad)} cannot go into ${variable}: use letters, digits and . _ : / = @ , [ ] + - only`);
  return `# ${comment}\n# Written by granary; \`systemctl restart\` the service after changing it.\n${variable}="${args.join(' ')}"\n`;
}

export async function writeEnvFile(path: string, variable: string, args: string[], comment: string): Promise<void> {
  await writeFileAtomically(path, renderEnvFile(variable, args, comment), 0o644);
}

/**
 * The address this host is reached at by default: the first IPv4 address of the interface of
 * the default route (as kubeadm picks its advertise address), read from /proc/net/route.
 */
export function defaultRouteAddress(): string | undefined {
  let routes: string[];
  try {
    routes = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1);
  } catch {
    return undefined;
  }
  const defaultRoute = routes.map((l) => l.trim().split(/\s+/)).find((f) => f[1] === '00000000' && f[7] === '00000000');
  const iface = defaultRoute?.[0];
  return iface ? networkInterfaces()[iface]?.find((a) => a.family === 'IPv4' && !a.internal)?.address : undefined;
}

/** The local address this host would use to reach `host` (no packet is sent). */
export function localAddressTowards(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.connect(port, host, () => {
      const { address } = socket.address();
      socket.close();
      resolve(address);
    });
  });
}

/**
 * Waits until Node `name` reports Ready, saying when it registers; throws after `timeoutMs`
 * with the node's last Ready message. `alive` is asked between polls and may throw to stop early.
 */
export async function waitForNodeReady(client: KubeClient, name: string, timeoutMs: number, alive: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let registered = false;
  let last = 'not registered yet';
  while (Date.now() < deadline) {
    const node = await client.resource<Node>('v1', 'Node').get(name).catch(() => undefined);
    if (node) {
      if (!registered) say(`• node ${name} registered; waiting until it is Ready`);
      registered = true;
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True') return;
      last = ready?.message ?? 'no Ready condition yet';
    }
    await alive();
    await sleep(1000);
  }
  throw new Error(`node ${name} is not Ready after ${Math.round(timeoutMs / 1000)} s (${last})`);
}
