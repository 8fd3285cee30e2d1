// The operating system's repository: Debian packages installed with apt-get, for products the
// distribution ships (ZooKeeper, a JDK, ...). The image's product is the Debian package name and
// its version the exact Debian version. Such packages install into the host's own tree, so their
// package root is "/". A package that was on the host before the agent installed it is never
// removed by the agent.
import { execFile } from 'node:child_process';
import { PackageError } from './errors.ts';
import type { PackageRef } from './image-ref.ts';

export interface AptOptions {
  /** Put before every apt/dpkg command (a chroot or nsenter in special setups). */
  commandPrefix?: string[];
  /** How long to wait for another apt or dpkg holding the lock. */
  lockTimeoutSec?: number;
  /** Package lists younger than this are not refreshed when a version is missing. */
  updateMaxAgeSec?: number;
}

interface CommandResult { code: number; stdout: string; stderr: string }

// dpkg's lock is host-wide: one apt command at a time from this agent.
let aptQueue: Promise<unknown> = Promise.resolve();

export class AptRepository {
  readonly name: string;
  private readonly prefix: string[];
  private readonly lockTimeoutSec: number;
  private readonly updateMaxAgeSec: number;
  private lastUpdate = 0;

  constructor(name: string, options: AptOptions = {}) {
    this.name = name;
    this.prefix = options.commandPrefix ?? [];
    this.lockTimeoutSec = options.lockTimeoutSec ?? 300;
    this.updateMaxAgeSec = options.updateMaxAgeSec ?? 600;
  }

  /** The version of the package installed on the host, if any. */
  async installedVersion(product: string): Promise<string | undefined> {
    const result = await this.run(['dpkg-query', '-W', '-f=${Status}\t${Version}', product]);
    const [status, version] = result.stdout.split('\t');
    return result.code === 0 && status === 'install ok installed' ? version : undefined;
  }

  /** Whether apt can install this exact version, refreshing stale package lists once if not. */
  async find(ref: PackageRef): Promise<boolean> {
    if ((await this.installedVersion(ref.product)) === ref.version) return true;
    if (await this.available(ref)) return true;
    if ((Date.now() - this.lastUpdate) / 1000 < this.updateMaxAgeSec) return false;
    const update = await this.apt(['apt-get', 'update', '-qq']);
    this.lastUpdate = Date.now();
    if (update.code !== 0) throw new PackageError('RepositoryUnavailable', `apt-get update failed: ${lastLines(update.stderr)}`);
    return this.available(ref);
  }

  /** Installs the version; `preinstalled` when the host already had it, so it must stay. */
  async install(ref: PackageRef): Promise<{ preinstalled: boolean }> {
    const before = await this.installedVersion(ref.product);
    if (before === ref.version) return { preinstalled: true };
    const result = await this.apt([
      'apt-get', 'install', '-y', '-qq', '--no-install-recommends', '--allow-downgrades',
      '-o', `DPkg::Lock::Timeout=${this.lockTimeoutSec}`, `${ref.product}=${ref.version}`,
    ]);
    if (result.code !== 0) {
      throw new PackageError('InstallFailed', `apt-get could not install ${ref.product}=${ref.version}: ${lastLines(result.stderr || result.stdout)}`);
    }
    // A host that had another version keeps this package afterwards: it was the host's before.
    return { preinstalled: before !== undefined };
  }

  /**
   * Removes a package the agent installed. dpkg, unlike apt-get, refuses to remove a package
   * other installed packages depend on instead of removing those too; then it stays, reported.
   */
  async remove(product: string): Promise<void> {
    const result = await this.apt(['dpkg', '--remove', product]);
    if (result.code !== 0) throw new PackageError('InstallFailed', `dpkg could not remove ${product}: ${lastLines(result.stderr || result.stdout)}`);
  }

  private async available(ref: PackageRef): Promise<boolean> {
    const result = await this.run(['apt-cache', 'madison', ref.product]);
    return result.stdout.split('\n').some((line) => line.split('|')[1]?.trim() === ref.version);
  }

  private apt(argv: string[]): Promise<CommandResult> {
    const next = aptQueue.then(() => this.run(argv, { DEBIAN_FRONTEND: 'noninteractive' }));
    aptQueue = next.catch(() => undefined);
    return next;
  }

  private run(argv: string[], env: Record<string, string> = {}): Promise<CommandResult> {
    const [command, ...args] = [...this.prefix, ...argv];
    return new Promise((resolve, reject) => {
      execFile(command, args, { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(new PackageError('RepositoryUnavailable', `${argv[0]} could not run (is this a Debian host?): ${err.message}`));
          return;
        }
        resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      });
    });
  }
}

function lastLines(text: string, count = 5): string {
  return text.trim().split('\n').slice(-count).join(' | ') || 'no output';
}
