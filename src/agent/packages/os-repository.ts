// The operating system's repository: Debian packages installed with apt-get, for products the
// distribution ships (ZooKeeper, a JDK, ...). The image's product is the Debian package name and
// its version the exact Debian version, or the upstream version alone (no "-revision"), which
// stands for the installed package of that upstream version, else the newest candidate of it.
// Such packages install into the host's own tree, so their package root is "/". A package that
// was on the host before the agent installed it is never removed by the agent.
//
// Maintainer scripts must not start the services of the packages the agent installs: the pods run
// the programs, and a package's own service would take their ports (Debian's prometheus package
// starts prometheus.service on 9090). Each apt-get and dpkg that installs or removes runs in a
// mount namespace of its own where Debian's two mechanisms for this say no, unseen by anything
// else on the host (an administrator's apt, another agent's install) and gone with the command:
//  - the host's /usr/sbin/policy-rc.d, when it has one, is the agent's, which forbids every action
//    (exit 101): invoke-rc.d and deb-systemd-invoke start and restart nothing;
//  - on a systemd host, the preset "disable *" in /run/systemd/system-preset makes
//    deb-systemd-helper leave new units disabled (they do not start at boot either), and
//    deb-systemd-invoke does not start disabled units.
// A package with only a SysV init script, on a host without a policy-rc.d, is not covered: no
// file can be mounted where none exists without creating it on the host.
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareDebianVersions, upstreamVersion } from './debian-version.ts';
import { PackageError } from './errors.ts';
import type { PackageRef } from './image-ref.ts';

export interface AptOptions {
  /** Put before every apt/dpkg command (a chroot or nsenter in special setups). */
  commandPrefix?: string[];
  /** How long to wait for another apt or dpkg holding the lock. */
  lockTimeoutSec?: number;
  /** Package lists younger than this are not refreshed when a version is missing. */
  updateMaxAgeSec?: number;
  /** Runs one command (prefix included); tests put a fake host here. */
  runCommand?: CommandRunner;
}

export interface CommandResult { code: number; stdout: string; stderr: string }
export type CommandRunner = (argv: string[], env: Record<string, string>) => Promise<CommandResult>;

// dpkg's lock is host-wide: one apt command at a time from this agent.
let aptQueue: Promise<unknown> = Promise.resolve();

const POLICY_RC_D = '#!/bin/sh\n# The granary agent installs packages for pods, which run their programs: no maintainer script\n# may start, stop or restart a service (101: action forbidden).\nexit 101\n';
const PRESET = '# The granary agent installs packages for pods, which run their programs: their units stay disabled.\ndisable *\n';
// $1: the policy-rc.d, $2: the preset directory, then the command.
const POLICY_SCRIPT = [
  'set -e',
  'if [ -e /usr/sbin/policy-rc.d ]; then mount --bind "$1" /usr/sbin/policy-rc.d; fi',
  'if [ -d /run/systemd/system ]; then mkdir -p /run/systemd/system-preset; mount --bind "$2" /run/systemd/system-preset; fi',
  'shift 2',
  'exec "$@"',
].join('\n');

/** Writes the policy files into `dir` (once per process and directory); returns their paths. */
const written = new Map<string, Promise<{ policy: string; presets: string }>>();
function policyFiles(dir: string): Promise<{ policy: string; presets: string }> {
  let files = written.get(dir);
  if (!files) {
    files = (async () => {
      // Root's alone: what is mounted here runs as root in maintainer scripts.
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      const presets = join(dir, 'presets');
      await mkdir(presets, { recursive: true, mode: 0o755 });
      await writeFile(join(presets, '00-granary-agent.preset'), PRESET, { mode: 0o644 });
      const policy = join(dir, 'policy-rc.d');
      await writeFile(policy, POLICY_RC_D);
      await chmod(policy, 0o755);
      return { policy, presets };
    })();
    files.catch(() => written.delete(dir));
    written.set(dir, files);
  }
  return files;
}

export class AptRepository {
  readonly name: string;
  private readonly prefix: string[];
  private readonly lockTimeoutSec: number;
  private readonly updateMaxAgeSec: number;
  private readonly runCommand: CommandRunner;
  private readonly policyDir?: string;
  private lastUpdate = 0;

  /** `policyDir`: the agent's own directory (root's alone) for the policy files installs and removals run under; without it, neither can be done. */
  constructor(name: string, options: AptOptions & { policyDir?: string } = {}) {
    this.name = name;
    this.prefix = options.commandPrefix ?? [];
    this.lockTimeoutSec = options.lockTimeoutSec ?? 300;
    this.updateMaxAgeSec = options.updateMaxAgeSec ?? 600;
    this.runCommand = options.runCommand ?? runOnHost;
    this.policyDir = options.policyDir;
  }

  /** The version of the package installed on the host, if any. */
  async installedVersion(product: string): Promise<string | undefined> {
    const result = await this.run(['dpkg-query', '-W', '-f=${Status}\t${Version}', product]);
    const [status, version] = result.stdout.split('\t');
    return result.code === 0 && status === 'install ok installed' ? version : undefined;
  }

  /**
   * The exact Debian version the image's version stands for, if apt has it: the version itself
   * when installed or available; for an upstream version alone (no "-"), the installed package
   * of that upstream version, else the newest available one. Stale package lists are refreshed
   * once when nothing matches.
   */
  async resolve(ref: PackageRef): Promise<string | undefined> {
    const found = await this.match(ref);
    if (found !== undefined || (Date.now() - this.lastUpdate) / 1000 < this.updateMaxAgeSec) return found;
    const update = await this.apt(['apt-get', 'update', '-qq']);
    this.lastUpdate = Date.now();
    if (update.code !== 0) throw new PackageError('RepositoryUnavailable', `apt-get update failed: ${lastLines(update.stderr)}`);
    return this.match(ref);
  }

  private async match(ref: PackageRef): Promise<string | undefined> {
    const installed = await this.installedVersion(ref.product);
    if (installed === ref.version) return installed;
    const candidates = await this.candidates(ref.product);
    if (candidates.includes(ref.version)) return ref.version;
    if (ref.version.includes('-')) return undefined;
    if (installed !== undefined && upstreamVersion(installed) === ref.version) return installed;
    return candidates.filter((c) => upstreamVersion(c) === ref.version).sort(compareDebianVersions).at(-1);
  }

  /** Installs this exact Debian version; `preinstalled` when the host already had the package, so it must stay. */
  async install(product: string, version: string): Promise<{ preinstalled: boolean }> {
    const before = await this.installedVersion(product);
    if (before === version) return { preinstalled: true };
    const result = await this.apt([
      'apt-get', 'install', '-y', '-qq', '--no-install-recommends', '--allow-downgrades',
      '-o', `DPkg::Lock::Timeout=${this.lockTimeoutSec}`, `${product}=${version}`,
    ], { withoutServices: true });
    if (result.code !== 0) {
      throw new PackageError('InstallFailed', `apt-get could not install ${product}=${version}: ${lastLines(result.stderr || result.stdout)}`);
    }
    // A host that had another version keeps this package afterwards: it was the host's before.
    return { preinstalled: before !== undefined };
  }

  /**
   * Removes a package the agent installed. dpkg, unlike apt-get, refuses to remove a package
   * other installed packages depend on instead of removing those too; then it stays, reported.
   */
  async remove(product: string): Promise<void> {
    const result = await this.apt(['dpkg', '--remove', product], { withoutServices: true });
    if (result.code !== 0) throw new PackageError('InstallFailed', `dpkg could not remove ${product}: ${lastLines(result.stderr || result.stdout)}`);
  }

  /** The versions apt could install ("apt-cache madison": "name | version | source"). */
  private async candidates(product: string): Promise<string[]> {
    const result = await this.run(['apt-cache', 'madison', product]);
    const versions = result.stdout.split('\n').map((line) => line.split('|')[1]?.trim()).filter((v): v is string => !!v);
    return [...new Set(versions)];
  }

  /**
   * Runs an apt or dpkg command, one at a time; `withoutServices`: under the policy that starts no
   * service (see the top of this file). Only root installs packages, and only root may make a
   * mount namespace: as another user the command runs as it is and apt says why it cannot.
   */
  private apt(argv: string[], { withoutServices = false } = {}): Promise<CommandResult> {
    const next = aptQueue.then(async () => {
      let command = argv;
      if (withoutServices && process.getuid?.() === 0) {
        if (!this.policyDir) throw new Error(`${argv.join(' ')}: this apt repository has no policy directory, so it installs nothing`);
        const { policy, presets } = await policyFiles(this.policyDir);
        command = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', POLICY_SCRIPT, 'granary-apt', policy, presets, ...argv];
      }
      return this.run(command, { DEBIAN_FRONTEND: 'noninteractive' });
    });
    aptQueue = next.catch(() => undefined);
    return next;
  }

  private run(argv: string[], env: Record<string, string> = {}): Promise<CommandResult> {
    return this.runCommand([...this.prefix, ...argv], env);
  }
}

function runOnHost(argv: string[], env: Record<string, string>): Promise<CommandResult> {
  const [command, ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(new PackageError('RepositoryUnavailable', `${command} could not run (is this a Debian host?): ${err.message}`));
        return;
      }
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
    });
  });
}

function lastLines(text: string, count = 5): string {
  return text.trim().split('\n').slice(-count).join(' | ') || 'no output';
}
