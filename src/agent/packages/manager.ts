// Packages for pods: a container's image names a product version; the manager finds it in the
// configured repositories (highest priority first), installs it once for all pods that use it,
// and removes it when the last of them releases it.
//
// A repository that cannot be reached is skipped in favour of the next; one that serves a
// package failing its digest or safety checks stops the search, because falling through to
// another source would hide an attack or a broken publication.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { Logger } from '../../common/log.ts';
import { extractArchive } from './archive.ts';
import { downloadVerified, type RetryOptions } from './download.ts';
import { PackageError } from './errors.ts';
import { HttpRepository } from './http-repository.ts';
import { packageKey, parsePackageRef, type PackageRef } from './image-ref.ts';
import { AptRepository, type AptOptions } from './os-repository.ts';
import type { PackageRepositorySpec } from './repository-resource.ts';
import { PackageStore, type PackageRecord } from './store.ts';

/** A repository as configured by a PackageRepository resource. */
export interface RepositoryConfig extends PackageRepositorySpec {
  name: string;
}

export interface InstalledPackage {
  ref: PackageRef;
  /** The directory {{packageroot}} stands for: the unpacked archive, or "/" for OS packages. */
  root: string;
  repository: string;
  kind: 'http' | 'os';
  /** True when this call installed it; false when it was there already. */
  installedNow: boolean;
}

export interface PackageManagerOptions {
  /** The agent's root; packages live in <root>/packages. */
  root: string;
  /** The repositories as currently configured; read at every install. */
  repositories: () => RepositoryConfig[];
  retry?: RetryOptions;
  apt?: AptOptions;
  /** How long an HTTP repository's index is reused. */
  indexCacheMs?: number;
  log?: Logger;
}

const byPriority = (a: RepositoryConfig, b: RepositoryConfig) => (b.priority ?? 0) - (a.priority ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Refusals that must not be hidden by trying another repository. */
const FINAL: ReadonlySet<string> = new Set(['DigestMismatch', 'UnsafeArchive', 'InstallFailed']);

export class PackageManager {
  private readonly store: PackageStore;
  private readonly options: PackageManagerOptions;
  private readonly http = new Map<string, { url: string; repository: HttpRepository }>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly apt: AptRepository;

  private constructor(store: PackageStore, options: PackageManagerOptions) {
    this.store = store;
    this.options = options;
    this.apt = new AptRepository('os', { ...options.apt, policyDir: join(options.root, 'apt-policy') });
  }

  static async open(options: PackageManagerOptions): Promise<PackageManager> {
    return new PackageManager(await PackageStore.open(join(options.root, 'packages')), options);
  }

  /**
   * The package a container image names, installed if needed and marked as used by `user` (a
   * pod UID). Rejects with a PackageError whose reason and message belong in the pod's status.
   */
  async ensure(image: string, user: string): Promise<InstalledPackage> {
    const ref = parsePackageRef(image);
    // Locked by product: two image versions may name one Debian package (its exact and its
    // upstream version), and only one version of a Debian package can be installed.
    return this.withLock(ref.product, async () => {
      const known = this.store.get(ref.product, ref.version);
      if (known && (await this.present(known))) {
        await this.store.addUser(ref.product, ref.version, user);
        return { ref, root: known.root, repository: known.repository, kind: known.kind, installedNow: false };
      }
      const record = await this.install(ref);
      record.users = [...new Set([...(known?.users ?? []), user])];
      await this.store.put(record);
      this.options.log?.info({ image, repository: record.repository, root: record.root }, 'package installed');
      return { ref, root: record.root, repository: record.repository, kind: record.kind, installedNow: true };
    });
  }

  /** Releases every package `user` holds; those nobody uses any more are removed. Returns their keys. */
  async release(user: string): Promise<string[]> {
    const removed: string[] = [];
    for (const record of await this.store.removeUser(user)) {
      const key = packageKey(record);
      await this.withLock(record.product, async () => {
        const current = this.store.get(record.product, record.version);
        if (!current || current.users.length > 0) return;
        await this.uninstall(current);
        removed.push(key);
      });
    }
    return removed;
  }

  /** Releases the packages of every user not in `live` (pods deleted while the agent was away). */
  async retainOnly(live: Iterable<string>): Promise<string[]> {
    const keep = new Set(live);
    const gone = new Set(this.store.all().flatMap((r) => r.users).filter((u) => !keep.has(u)));
    const removed: string[] = [];
    for (const user of gone) removed.push(...(await this.release(user)));
    return removed;
  }

  /** What is installed, with the pods that use it. */
  installed(): PackageRecord[] {
    return this.store.all().map((r) => ({ ...r, users: [...r.users] }));
  }

  private async present(record: PackageRecord): Promise<boolean> {
    if (record.kind === 'http') return existsSync(record.root);
    return (await this.apt.installedVersion(record.product)) === (record.installedVersion ?? record.version);
  }

  private async install(ref: PackageRef): Promise<PackageRecord> {
    const repositories = [...this.options.repositories()].sort(byPriority);
    if (repositories.length === 0) {
      throw new PackageError('PackageNotFound', `cannot install ${ref.image}: no package repositories are configured (create a PackageRepository)`);
    }
    const unreachable: string[] = [];
    for (const config of repositories) {
      try {
        const record = config.http ? await this.installFromHttp(config, ref) : config.os ? await this.installFromOs(config, ref) : undefined;
        if (record) return record;
      } catch (err) {
        if (!(err instanceof PackageError)) throw err;
        if (FINAL.has(err.reason)) throw new PackageError(err.reason, `${ref.image} from repository ${config.name}: ${err.message}`);
        unreachable.push(`${config.name}: ${err.message}`);
      }
    }
    const tried = repositories.map((r) => r.name).join(', ');
    if (unreachable.length) {
      throw new PackageError('RepositoryUnavailable', `${ref.image} was not found in the reachable repositories (${tried}); unreachable: ${unreachable.join('; ')}`);
    }
    throw new PackageError('PackageNotFound', `no package repository has ${ref.product} version ${ref.version} (tried ${tried}); check the image's version or publish it`);
  }

  private async installFromHttp(config: RepositoryConfig, ref: PackageRef): Promise<PackageRecord | undefined> {
    const location = await this.httpRepository(config).find(ref);
    if (!location) return undefined;
    const downloads = this.store.downloadsDir();
    await mkdir(downloads, { recursive: true });
    const archive = join(downloads, `${ref.product}_${ref.version}_${location.sha256.slice(0, 16)}.tar.gz`);
    await downloadVerified(location.url, archive, location.sha256, this.options.retry);
    const staging = join(this.store.stagingDir(), randomBytes(8).toString('hex'));
    await mkdir(staging, { recursive: true });
    try {
      await extractArchive(archive, staging, location.stripComponents);
      const root = this.store.contentDir(ref.product, ref.version);
      await rm(root, { recursive: true, force: true });
      await mkdir(dirname(root), { recursive: true });
      await rename(staging, root);
      return {
        product: ref.product, version: ref.version, repository: config.name, kind: 'http', root, sha256: location.sha256,
        removable: true, users: [], installedAt: new Date().toISOString(),
      };
    } finally {
      await rm(staging, { recursive: true, force: true });
      await rm(archive, { force: true });
    }
  }

  private async installFromOs(config: RepositoryConfig, ref: PackageRef): Promise<PackageRecord | undefined> {
    const exact = await this.apt.resolve(ref);
    if (exact === undefined) return undefined;
    const { preinstalled } = await this.apt.install(ref.product, exact);
    // The package may be on the host because the agent installed it for another image version
    // naming it (exact and upstream spellings): then it is the agent's to remove, as theirs is.
    const others = this.otherOsRecords(ref.product, ref.version);
    const removable = !preinstalled || (others.length > 0 && others.every((r) => r.removable));
    return {
      product: ref.product, version: ref.version, installedVersion: exact, repository: config.name, kind: 'os', root: '/',
      removable, users: [], installedAt: new Date().toISOString(),
    };
  }

  /** OS package records of the same Debian package under other image versions. */
  private otherOsRecords(product: string, version: string): PackageRecord[] {
    return this.store.all().filter((r) => r.kind === 'os' && r.product === product && r.version !== version);
  }

  private async uninstall(record: PackageRecord): Promise<void> {
    if (record.kind === 'http') {
      await rm(record.root, { recursive: true, force: true });
    } else if (record.removable && this.otherOsRecords(record.product, record.version).length === 0) {
      try {
        await this.apt.remove(record.product);
      } catch (err) {
        this.options.log?.warn({ err, product: record.product }, 'an unused OS package stays installed');
      }
    }
    await this.store.delete(record.product, record.version);
    this.options.log?.info({ product: record.product, version: record.version }, 'unused package removed');
  }

  private httpRepository(config: RepositoryConfig): HttpRepository {
    const url = config.http!.url;
    const cached = this.http.get(config.name);
    if (cached && cached.url === url) return cached.repository;
    const repository = new HttpRepository(config.name, url, { retry: this.options.retry, cacheMs: this.options.indexCacheMs });
    this.http.set(config.name, { url, repository });
    return repository;
  }

  private withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const result = before.then(work, work);
    const settled = result.then(() => undefined, () => undefined);
    this.locks.set(key, settled);
    void settled.then(() => { if (this.locks.get(key) === settled) this.locks.delete(key); });
    return result;
  }
}
