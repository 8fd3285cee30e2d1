// Debian hosts for end-to-end tests of the Debian package: each its own root filesystem with
// systemd as PID 1, booted by systemd-nspawn (Debian's systemd-container), with its own host name.
// Hosts share this machine's network namespace, so each is given a loopback address of its own
// to listen on.
//
// The base root filesystem (Debian with systemd, the granary package's dependencies and the
// zookeeper package, so that no host downloads anything) is built with mmdebstrap once per test
// run. Every host boots it as a volatile overlay (--volatile=overlay): hosts start in seconds,
// share the base read-only, and their changes vanish with them. A host's PID 1 and its nspawn run
// in cgroups of their own, removed when the host stops.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { aptSources, debianSuite } from '../../src/cli/image/products.ts';
import { runArtifact, runDir } from './run-artifacts.ts';

/** Why hosts cannot be booted here, or undefined when they can. */
export function debianHostsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (mmdebstrap, systemd-nspawn)';
  for (const tool of ['/usr/bin/systemd-nspawn', '/usr/bin/mmdebstrap']) if (!existsSync(tool)) return `${tool} is not installed`;
  if (!existsSync('/sys/fs/cgroup/unified/cgroup.procs') && !existsSync('/sys/fs/cgroup/cgroup.procs')) return 'no cgroup2 hierarchy is mounted';
  return undefined;
}

// What every host has besides Debian's required packages: systemd to boot, the granary package's
// dependencies (see packaging/deb/build.ts) and ZooKeeper with its JRE.
const BASE_PACKAGES = ['systemd', 'adduser', 'libstdc++6', 'openssl', 'zookeeper'];
// Units a test host does not need; masked so that boots are quick and quiet.
const MASKED = ['apt-daily.timer', 'apt-daily-upgrade.timer', 'dpkg-db-backup.timer', 'e2scrub_all.timer', 'fstrim.timer', 'systemd-tmpfiles-clean.timer', 'console-getty.service', 'getty.target'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function run(argv: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 0, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 124) : 0, stdout, stderr });
    });
  });
}

/** The base root filesystem, built once per test run. */
export async function baseRootfs(): Promise<string> {
  const dir = await runArtifact('debian-host-rootfs', async (out) => {
    const rootfs = join(out, 'rootfs');
    const result = await run([
      'mmdebstrap', '--variant=apt', '--mode=root', `--include=${BASE_PACKAGES.join(',')}`,
      ...['/usr/share/doc/*', '/usr/share/man/*', '/usr/share/locale/*', '/usr/share/info/*'].map((p) => `--dpkgopt=path-exclude=${p}`),
      '--dpkgopt=force-unsafe-io',
      // openjdk's postinst needs a man page directory even when man pages are excluded.
      '--essential-hook=mkdir -p "$1/usr/share/man/man1"',
      // Each host gets its name from nspawn and its machine id at boot.
      '--customize-hook=rm -f "$1/etc/hostname" "$1/etc/machine-id"',
      `--customize-hook=chroot "$1" systemctl mask --quiet ${MASKED.join(' ')}`,
      debianSuite(), rootfs, ...aptSources(),
    ], { timeoutMs: 15 * 60_000 });
    if (result.code !== 0) throw new Error(`mmdebstrap failed (${result.code}): ${result.stderr.slice(-3000)}`);
  });
  return join(dir, 'rootfs');
}

export interface DebianHost {
  name: string;
  address: string;
  /** PID 1 of the host, as this machine sees it. */
  pid: number;
  /** Runs a command on the host as root, with a clean environment; never rejects for its exit status. */
  run(argv: string[], opts?: { timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Runs a command that must succeed; returns its standard output. */
  exec(argv: string[], opts?: { timeoutMs?: number }): Promise<string>;
  /** What nspawn and the host's console printed. */
  console(): string;
  /** Kills the host (everything in it dies with its PID 1) and removes its cgroups. */
  stop(): Promise<void>;
}

/** Where nspawn places a container: the unified hierarchy, and in hybrid mode the named systemd one too. */
function cgroupRoots(): string[] {
  const hybrid = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'].filter((dir) => existsSync(join(dir, 'cgroup.procs')));
  return hybrid.length > 0 ? hybrid : ['/sys/fs/cgroup'];
}

/** Whether no process is left anywhere in a cgroup tree. */
function emptyCgroup(dir: string): boolean {
  if (readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim() !== '') return false;
  return readdirSync(dir, { withFileTypes: true }).every((e) => !e.isDirectory() || emptyCgroup(join(dir, e.name)));
}

/** The cgroups of hosts whose test process was killed before it could stop them, once they are empty. */
function removeStaleCgroups(): void {
  for (const root of cgroupRoots()) {
    for (const entry of readdirSync(root)) {
      const dir = join(root, entry);
      try {
        if (entry.startsWith('granary-host-') && emptyCgroup(dir)) removeCgroupTree(dir);
      } catch {
        // Another test's host, just starting or stopping: not ours to judge.
      }
    }
  }
}

function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
  rmdirSync(dir);
}

/**
 * Boots a host named `name` from `rootfs`; `binds` are directories of this machine the host sees
 * read-only at the same path. Resolves once its systemd reports running (or degraded).
 */
export async function bootHost(rootfs: string, name: string, address: string, binds: string[] = []): Promise<DebianHost> {
  removeStaleCgroups();
  const id = `granary-host-${name}-${randomBytes(4).toString('hex')}`;
  const cgroups = cgroupRoots().map((root) => join(root, id));
  for (const dir of cgroups) mkdirSync(dir);
  const logFile = join(runDir(), `${id}.console`);
  const out = openSync(logFile, 'a');
  const nspawn = [
    'systemd-nspawn', '--quiet', '--boot', '--register=no', '--keep-unit', `--machine=${name}`, `--hostname=${name}`,
    `--directory=${rootfs}`, '--volatile=overlay', '--console=read-only', ...binds.map((b) => `--bind-ro=${b}`),
  ];
  // The shell joins the host's own cgroups first. nspawn runs as PID 1 of a PID namespace of its
  // own, so that if the test process dies (pdeathsig kills unshare, --kill-child kills nspawn)
  // the whole host dies with it instead of living on without nspawn.
  const command = `${cgroups.map((dir) => `echo $$ > ${dir}/cgroup.procs && `).join('')}exec setpriv --pdeathsig SIGKILL unshare --fork --pid --mount --mount-proc --kill-child=SIGKILL ${nspawn.join(' ')}`;
  const child: ChildProcess = spawn('sh', ['-c', command], { stdio: ['ignore', out, out] });
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let pid = 0;
  const consoleText = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');

  const stop = async () => {
    if (pid) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    if (child.exitCode === null && child.signalCode === null) {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    // The kernel frees the cgroups of killed processes asynchronously.
    for (const dir of cgroups) {
      for (let attempt = 0; attempt < 50 && existsSync(dir); attempt++) {
        try { removeCgroupTree(dir); } catch { await sleep(100); }
      }
    }
    // nspawn leaves its mount propagation directory when /run is not a tmpfs.
    rmSync(`/run/systemd/nspawn/propagate/${name}`, { recursive: true, force: true });
  };

  const hostRun = (argv: string[], opts: { timeoutMs?: number } = {}) => run(
    ['nsenter', `--target=${pid}`, '--mount', '--uts', '--ipc', '--pid', '--root', '--wd', '--', 'env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8', ...argv],
    { timeoutMs: opts.timeoutMs ?? 10 * 60_000 },
  );

  try {
    const deadline = Date.now() + 60_000;
    while (!pid) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`host ${name} did not start: ${consoleText()}`);
      // sh exec'd setpriv, which exec'd unshare: its child is nspawn, whose child is the host's PID 1.
      const nspawnPid = Number(readProcChildren(child.pid!)[0]);
      const candidate = nspawnPid ? Number(readProcChildren(nspawnPid)[0]) : 0;
      if (candidate && readProc(`/proc/${candidate}/comm`) === 'systemd') pid = candidate;
      else await sleep(50);
    }
    for (;;) {
      const state = (await hostRun(['systemctl', 'is-system-running'])).stdout.trim();
      if (state === 'running' || state === 'degraded') break;
      if (Date.now() > deadline) throw new Error(`host ${name} is "${state}" after 60 s: ${consoleText()}`);
      await sleep(200);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name, address, pid,
    run: hostRun,
    async exec(argv, opts) {
      const result = await hostRun(argv, opts);
      if (result.code !== 0) throw new Error(`on ${name}: ${argv.join(' ')} exited ${result.code}\n${result.stdout}${result.stderr}`);
      return result.stdout;
    },
    console: consoleText,
    stop,
  };
}

function readProc(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function readProcChildren(pid: number): string[] {
  return readProc(`/proc/${pid}/task/${pid}/children`).split(' ').filter(Boolean);
}
