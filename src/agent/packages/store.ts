// The agent's record of installed packages: which product versions are on the host, where their
// root is, where they came from and which pods use them. Pods share a package; the last one to
// release it makes it removable. The record is one JSON file rewritten atomically, so it
// survives agent restarts; the files of HTTP packages live beside it in <dir>/<product>/<version>/.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface PackageRecord {
  product: string;
  /** The version as the image names it: the record's key with the product. */
  version: string;
  /**
   * OS packages: the exact Debian version installed, which the image's version may name by its
   * upstream part alone ("3.8.0" for "3.8.0-11+deb12u2"). Absent in records of older agents.
   */
  installedVersion?: string;
  /** The repository it was installed from. */
  repository: string;
  kind: 'http' | 'os';
  /** The package root containers see as {{packageroot}}. */
  root: string;
  /** sha256 of the archive (HTTP packages). */
  sha256?: string;
  /** False for OS packages that were on the host before: the agent must leave them there. */
  removable: boolean;
  /** Pod UIDs using it. */
  users: string[];
  installedAt: string;
}

const key = (product: string, version: string) => `${product}:${version}`;

export class PackageStore {
  readonly dir: string;
  private readonly file: string;
  private records = new Map<string, PackageRecord>();
  private saving: Promise<void> = Promise.resolve();

  private constructor(dir: string) {
    this.dir = dir;
    this.file = join(dir, 'store.json');
  }

  static async open(dir: string): Promise<PackageStore> {
    const store = new PackageStore(dir);
    await mkdir(dir, { recursive: true });
    const text = await readFile(store.file, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      const parsed = JSON.parse(text) as { packages: Record<string, PackageRecord> };
      store.records = new Map(Object.entries(parsed.packages ?? {}));
    }
    // Half-unpacked archives of an interrupted install are worthless; partial downloads are kept for resuming.
    await rm(store.stagingDir(), { recursive: true, force: true });
    return store;
  }

  /** Where an HTTP package's files go: <dir>/<product>/<version>. */
  contentDir(product: string, version: string): string {
    return join(this.dir, product, version);
  }

  stagingDir(): string {
    return join(this.dir, '.staging');
  }

  downloadsDir(): string {
    return join(this.dir, '.downloads');
  }

  get(product: string, version: string): PackageRecord | undefined {
    return this.records.get(key(product, version));
  }

  all(): PackageRecord[] {
    return [...this.records.values()];
  }

  async put(record: PackageRecord): Promise<void> {
    this.records.set(key(record.product, record.version), record);
    await this.save();
  }

  async addUser(product: string, version: string, user: string): Promise<void> {
    const record = this.get(product, version);
    if (!record || record.users.includes(user)) return;
    record.users.push(user);
    await this.save();
  }

  /** Drops `user` from every package; returns the packages nobody uses any more (still recorded). */
  async removeUser(user: string): Promise<PackageRecord[]> {
    let changed = false;
    const unused: PackageRecord[] = [];
    for (const record of this.records.values()) {
      if (!record.users.includes(user)) continue;
      record.users = record.users.filter((u) => u !== user);
      changed = true;
      if (record.users.length === 0) unused.push(record);
    }
    if (changed) await this.save();
    return unused;
  }

  async delete(product: string, version: string): Promise<void> {
    if (this.records.delete(key(product, version))) await this.save();
  }

  /** Writes the whole record atomically; writes are queued so the newest state always lands last. */
  private save(): Promise<void> {
    const write = async () => {
      const text = JSON.stringify({ packages: Object.fromEntries(this.records) }, null, 2);
      const temporary = `${this.file}.${process.pid}.tmp`;
      await writeFile(temporary, text);
      await rename(temporary, this.file);
    };
    this.saving = this.saving.then(write, write);
    return this.saving;
  }
}
