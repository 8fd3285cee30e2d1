// An HTTP package repository: an index file (index.json at the repository URL) lists products,
// their versions, and for each the archive's path and sha256. docs/packages.md describes the
// format for people who publish repositories.
import { fetchText, type RetryOptions } from './download.ts';
import { PackageError } from './errors.ts';
import type { PackageRef } from './image-ref.ts';
import { ownValue } from '../../common/own-properties.ts';

export interface IndexEntry {
  /** The .tar.gz, relative to the index (or an absolute http(s) URL). */
  archive: string;
  /** Hex sha256 of the archive file. */
  sha256: string;
  /** Leading directories to drop when unpacking (for archives wrapped in product-version/). */
  stripComponents?: number;
}

export interface RepositoryIndex {
  products: Record<string, { versions: Record<string, IndexEntry> }>;
}

/** A found package: where its archive is and what it must hash to. */
export interface ArchiveLocation { url: string; sha256: string; stripComponents: number }

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks an index document, naming the first field at fault. */
export function parseIndex(text: string, source: string): RepositoryIndex {
  const bad = (why: string) => new PackageError('RepositoryUnavailable', `repository index ${source} is invalid: ${why}`);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`);
  }
  if (!isObject(document) || !isObject(document.products)) throw bad('it must be an object with a "products" object');
  for (const [product, entry] of Object.entries(document.products)) {
    if (!isObject(entry) || !isObject(entry.versions)) throw bad(`products.${product} must have a "versions" object`);
    for (const [version, found] of Object.entries(entry.versions)) {
      const at = `products.${product}.versions.${version}`;
      if (!isObject(found)) throw bad(`${at} must be an object`);
      if (typeof found.archive !== 'string' || found.archive === '') throw bad(`${at}.archive must be a non-empty string`);
      if (typeof found.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(found.sha256)) throw bad(`${at}.sha256 must be 64 hexadecimal digits`);
      if (found.stripComponents !== undefined && !(Number.isInteger(found.stripComponents) && (found.stripComponents as number) >= 0)) {
        throw bad(`${at}.stripComponents must be a whole number`);
      }
    }
  }
  return document as unknown as RepositoryIndex;
}

export class HttpRepository {
  readonly name: string;
  private readonly indexUrl: URL;
  private readonly retry: RetryOptions;
  private readonly cacheMs: number;
  private cached?: { index: RepositoryIndex; at: number };

  /**
   * @param url the repository's base URL; the index is `${url}/index.json`.
   * @param cacheMs how long a fetched index is reused, so a pod's containers share one fetch.
   */
  constructor(name: string, url: string, options: { retry?: RetryOptions; cacheMs?: number } = {}) {
    this.name = name;
    let base: URL;
    try {
      base = new URL(url.endsWith('/') ? url : `${url}/`);
    } catch {
      throw new PackageError('RepositoryUnavailable', `package repository ${name} has an invalid URL ${JSON.stringify(url)}`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new PackageError('RepositoryUnavailable', `package repository ${name} must use http or https, not ${base.protocol}`);
    }
    this.indexUrl = new URL('index.json', base);
    this.retry = options.retry ?? {};
    this.cacheMs = options.cacheMs ?? 30_000;
  }

  /** The archive of this product version, or undefined when the index does not list it. */
  async find(ref: PackageRef): Promise<ArchiveLocation | undefined> {
    const index = await this.index();
    // Own keys only: an image named constructor:1 must find nothing, not Object's constructor.
    const entry = ownValue(ownValue(index.products, ref.product)?.versions, ref.version);
    if (!entry) return undefined;
    const url = new URL(entry.archive, this.indexUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new PackageError('RepositoryUnavailable', `repository ${this.name} lists ${ref.product} ${ref.version} at a non-HTTP location ${url.href}`);
    }
    return { url: url.href, sha256: entry.sha256.toLowerCase(), stripComponents: entry.stripComponents ?? 0 };
  }

  private async index(): Promise<RepositoryIndex> {
    if (this.cached && Date.now() - this.cached.at < this.cacheMs) return this.cached.index;
    const index = parseIndex(await fetchText(this.indexUrl.href, this.retry), this.indexUrl.href);
    this.cached = { index, at: Date.now() };
    return index;
  }
}
