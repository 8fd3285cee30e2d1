// A real systemd for tests: PID 1 of a new PID, mount, UTS and cgroup namespace, with a private
// /run and its own cgroup2 tree. It loads units only from a directory of the test's own (so
// nothing of the host's is started: no tmpfiles cleaning /tmp, no sysctl, no host services) and
// runs just journald, whose journal stays in the private /run. Commands reach it through nsenter.
//
// Needs root. The namespace's processes all die with systemd when stop() SIGKILLs it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, writeFileSync, mkdirSync, rmSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { noCgroup2, notRoot } from './machine-limits.ts';

export interface TestSystemd {
  /** Host pid of the namespace's PID 1. */
  pid: number;
  /** The only directory systemd loads units from: put test and service units here. */
  unitDir: string;
  /** Prefix that runs a command inside the namespaces, e.g. [...commandPrefix, 'systemctl', 'status']. */
  commandPrefix: string[];
  /** Runs a command inside; never rejects for a non-zero exit status. */
  run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** SIGKILLs systemd (and with it everything in its PID namespace) and removes its cgroup and files. */
  stop(): Promise<void>;
}

/** Why the systemd tests cannot run here, or undefined when they can. */
export function systemdUnavailable(): string | undefined {
  const limit = notRoot() ?? noCgroup2();
  if (limit) return limit;
  // scripts/test-deps.sh installs systemd: in CI its absence fails the run.
  if (!existsSync('/lib/systemd/systemd') && !existsSync('/usr/lib/systemd/systemd')) return 'systemd is not installed';
  return undefined;
}

function cgroup2Root(): string | undefined {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' '));
  return mounts.find((m) => m[2] === 'cgroup2')?.[1];
}

const SYSTEMD = existsSync('/lib/systemd/systemd') ? '/lib/systemd/systemd' : '/usr/lib/systemd/systemd';
const JOURNALD = SYSTEMD.replace(/systemd$/, 'systemd-journald');

// A boot target and the targets default dependencies refer to, all empty, and journald.
const UNITS: Record<string, string> = {
  'granary-test.target': '[Unit]\nDescription=granary test systemd\nDefaultDependencies=no\nWants=systemd-journald.service\n',
  ...Object.fromEntries(['sysinit', 'basic', 'sockets', 'shutdown'].map((t) => [`${t}.target`, `[Unit]\nDescription=${t} (test)\nDefaultDependencies=no\n`])),
  'systemd-journald.socket': [
    '[Unit]', 'Description=Journal Socket', 'DefaultDependencies=no',
    '[Socket]', 'ListenStream=/run/systemd/journal/stdout', 'ListenDatagram=/run/systemd/journal/socket',
    'SocketMode=0666', 'PassCredentials=yes', 'PassSecurity=yes', 'ReceiveBuffer=8M', 'Service=systemd-journald.service', '',
  ].join('\n'),
  'systemd-journald.service': [
    '[Unit]', 'Description=Journal Service', 'DefaultDependencies=no', 'Requires=systemd-journald.socket', 'After=systemd-journald.socket',
    '[Service]', 'Type=notify', `ExecStart=${JOURNALD}`, 'Sockets=systemd-journald.socket', 'Restart=always', 'RestartSec=0', '',
  ].join('\n'),
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function runCommand(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 127) : 0, stdout, stderr });
    });
  });
}

export interface SystemdOptions {
  /**
   * Host directories the namespace sees empty instead (a tmpfs each), e.g. where packages
   * installed inside put units and state, so that nothing of the host's is seen or changed.
   */
  privateDirs?: string[];
  /**
   * Directories searched for units after the test's own: only private ones (a host directory of
   * units would bring the host's units, e.g. tmpfiles cleaning the shared /tmp, into the boot).
   */
  moreUnitDirs?: string[];
}

/** Starts systemd and waits until it reports running (or degraded). */
export async function startSystemd(opts: SystemdOptions = {}): Promise<TestSystemd> {
  const notPrivate = (opts.moreUnitDirs ?? []).filter((d) => !opts.privateDirs?.includes(d));
  if (notPrivate.length > 0) throw new Error(`unit directories must be private to the test systemd: ${notPrivate.join(', ')}`);
  const unavailable = systemdUnavailable();
  if (unavailable) throw new Error(`cannot start a test systemd: ${unavailable}`);
  const root = mkdtempSync('/tmp/granary-systemd-');
  const unitDir = join(root, 'units');
  mkdirSync(unitDir);
  for (const [name, text] of Object.entries(UNITS)) writeFileSync(join(unitDir, name), text);
  const cgroup = join(cgroup2Root()!, `granary-test-${randomBytes(6).toString('hex')}`);
  mkdirSync(cgroup);
  writeFileSync(join(root, 'boot.sh'), [
    'set -e',
    'mount -t tmpfs -o mode=755 tmpfs /run',
    'mount -t cgroup2 cgroup2 /sys/fs/cgroup',
    'mkdir -p /run/systemd/journald.conf.d',
    "printf '[Journal]\\nStorage=volatile\\nRateLimitBurst=0\\n' > /run/systemd/journald.conf.d/granary-test.conf",
    ...(opts.privateDirs ?? []).map((dir) => `mount -t tmpfs -o mode=755 tmpfs ${dir}`),
    `export SYSTEMD_UNIT_PATH=${[unitDir, ...opts.moreUnitDirs ?? []].join(':')} container=granary-test`,
    `exec ${SYSTEMD} --unit=granary-test.target --log-target=console --show-status=no`,
    '',
  ].join('\n'));
  const console = openSync(join(root, 'systemd.log'), 'a');
  // The shell joins the fresh cgroup first, so the cgroup namespace is rooted there. If the test
  // process dies without stop(), unshare gets SIGKILL (pdeathsig) and takes systemd with it.
  const command = `echo $$ > ${cgroup}/cgroup.procs && exec setpriv --pdeathsig SIGKILL unshare --kill-child=SIGKILL --cgroup --fork --pid --mount --uts --mount-proc sh ${root}/boot.sh`;
  const unshare: ChildProcess = spawn('sh', ['-c', command], {
    stdio: ['ignore', console, console],
  });
  closeSync(console);
  const exited = new Promise<void>((resolve) => unshare.once('exit', () => resolve()));

  let pid = 0;
  const cleanup = async () => {
    if (pid) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    if (unshare.exitCode === null && unshare.signalCode === null) await exited;
    // The kernel frees the cgroups of killed processes asynchronously.
    for (let attempt = 0; attempt < 50 && existsSync(cgroup); attempt++) {
      try { removeCgroupTree(cgroup); } catch { await sleep(100); }
    }
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 30_000;
    while (!pid) {
      if (Date.now() > deadline || unshare.exitCode !== null) throw new Error(`systemd did not start: ${readFileSync(join(root, 'systemd.log'), 'utf8')}`);
      const candidate = Number(readProc(`/proc/${unshare.pid}/task/${unshare.pid}/children`).split(' ')[0]);
      if (candidate && readProc(`/proc/${candidate}/comm`) === 'systemd') pid = candidate;
      else await sleep(20);
    }
    const commandPrefix = ['nsenter', '-t', String(pid), '-m', '-p', '--'];
    for (;;) {
      const state = (await runCommand([...commandPrefix, 'systemctl', 'is-system-running'])).stdout.trim();
      if (state === 'running' || state === 'degraded') break;
      if (Date.now() > deadline) throw new Error(`systemd is "${state}" after 30s: ${readFileSync(join(root, 'systemd.log'), 'utf8')}`);
      await sleep(50);
    }
    return { pid, unitDir, commandPrefix, run: (argv) => runCommand([...commandPrefix, ...argv]), stop: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** A /proc file's text, or "" when the process it describes is gone. */
function readProc(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function removeCgroupTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
  }
  rmdirSync(dir);
}
