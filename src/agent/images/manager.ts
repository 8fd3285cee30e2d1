// Images for the container runtime, as a kubelet handles them: the pull policy (IfNotPresent by
// default, Always for :latest), credentials from the pod's imagePullSecrets, ErrImagePull with
// the registry's own words and then ImagePullBackOff while the next try waits (10 s doubling to
// 5 minutes), and garbage collection of images no pod on the node has wanted for a while.
//
// Before the CRI runtime pulls anything, the agent asks the registry itself what the reference
// names and checks the manifest (manifest.ts), then has the runtime pull exactly that digest.
// The cache (tag → digest, last use) is kept in <root>/images.json across agent restarts.
//
// An image pulled with credentials is private: a pod may run it from the cache only with the same
// credentials (or once the registry has let the pod's own credentials read it, or none if it is
// public), as Kubernetes' KubeletEnsureSecretPulledImages does; otherwise any pod on the node could
// run a private image another pod pulled. Pulls in flight and their back-off are shared only by
// pods with the same credentials, so a pod without them does not put one with them in back-off.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../common/log.ts';
import type { AuthConfig, CriClient } from '../runtimes/cri/client.ts';
import type { Secret } from '../pod-types.ts';
import { DEFAULT_IMAGE_LIMITS, resolveImage, type ImageLimits } from './manifest.ts';
import { ImageError, parseImageReference, type ImageReference } from './reference.ts';
import { RegistryClient, type RegistryCredentials } from './registry.ts';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface ImageManagerOptions {
  cri: CriClient;
  /** The cache file. */
  stateFile: string;
  /** Registries (host:port) reached over plain HTTP; loopback registries always are, as containerd does. */
  insecureRegistries?: string[];
  limits?: ImageLimits;
  /** Longest a pull may take. */
  pullTimeoutMs?: number;
  /** Back-off after a failed pull: initial and maximum delay. */
  backOff?: { initialSeconds: number; maxSeconds: number };
  log?: Logger;
}

interface CacheEntry {
  pinned: string;
  lastUsed: string;
  /** Keys (credentialsKey) of the credentials the registry let read this image; "" when it needed none. */
  pulledWith?: string[];
}
interface Failure { count: number; retryAt: number; message: string }

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/;

/** Kubernetes' default: Always for :latest or no tag, IfNotPresent otherwise. */
export function defaultPullPolicy(ref: ImageReference): PullPolicy {
  return !ref.digest && ref.tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Credentials for `registry` from kubernetes.io/dockerconfigjson Secrets, the first that has them. */
export function credentialsFor(registry: string, secrets: Secret[]): RegistryCredentials | undefined {
  for (const secret of secrets) {
    if (secret.type !== 'kubernetes.io/dockerconfigjson') continue;
    const encoded = secret.data?.['.dockerconfigjson'];
    const text = encoded !== undefined ? Buffer.from(encoded, 'base64').toString('utf8') : secret.stringData?.['.dockerconfigjson'];
    if (!text || text.length > 1024 * 1024) continue;
    let found: RegistryCredentials | undefined;
    try {
      found = dockerConfigCredentials(JSON.parse(text), registry);
    } catch {
      continue;
    }
    if (found) return found;
  }
  return undefined;
}

/**
 * Credentials for `registry` in a Docker config (the JSON of a dockerconfigjson Secret,
 * ~/.docker/config.json, podman's auth.json): its "auths" entry for the registry's host, with
 * "auth" (base64 of user:password) or "username" and "password".
 */
export function dockerConfigCredentials(config: unknown, registry: string): RegistryCredentials | undefined {
  const auths = (config as { auths?: unknown } | null)?.auths;
  if (!auths || typeof auths !== 'object') return undefined;
  for (const [key, value] of Object.entries(auths)) {
    const host = key.replace(/^https?:\/\//, '').split('/')[0];
    if (host !== registry || !value || typeof value !== 'object') continue;
    const entry = value as { auth?: unknown; username?: unknown; password?: unknown };
    if (typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
    if (typeof entry.auth === 'string') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  return undefined;
}

/** Identifies credentials without keeping them: "" for none. */
function credentialsKey(credentials: RegistryCredentials | undefined): string {
  return credentials ? createHash('sha256').update(`${credentials.username}\0${credentials.password}`).digest('hex') : '';
}

export class ImageManager {
  private readonly options: ImageManagerOptions;
  private readonly insecure: Set<string>;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly failures = new Map<string, Failure>();
  private readonly pulls = new Map<string, Promise<string>>();

  private constructor(options: ImageManagerOptions) {
    this.options = options;
    this.insecure = new Set(options.insecureRegistries ?? []);
  }

  static async open(options: ImageManagerOptions): Promise<ImageManager> {
    const manager = new ImageManager(options);
    try {
      const saved = JSON.parse(await readFile(options.stateFile, 'utf8')) as Record<string, CacheEntry>;
      for (const [image, entry] of Object.entries(saved)) if (typeof entry?.pinned === 'string') manager.cache.set(image, entry);
    } catch {
      // No cache yet, or an unreadable one: images are looked up again.
    }
    return manager;
  }

  isInsecure(registry: string): boolean {
    return this.insecure.has(registry) || LOOPBACK.test(registry);
  }

  /**
   * The image ready to run, pinned to its digest: pulled now if the policy says so. Throws
   * ImageError: InvalidImageName, ErrImagePull (this try failed) or ImagePullBackOff (waiting
   * before the next try), with a message for the pod's status.
   */
  async ensure(image: string, policy: PullPolicy | undefined, secrets: Secret[]): Promise<string> {
    const ref = parseImageReference(image);
    const effective = policy ?? defaultPullPolicy(ref);
    const credentials = credentialsFor(ref.registry, secrets);
    const key = credentialsKey(credentials);
    const cached = this.cache.get(image);
    const mayUse = cached?.pulledWith?.some((k) => k === '' || k === key) ?? false;
    if (effective !== 'Always' && cached && mayUse && (await this.options.cri.imageStatus(cached.pinned))) {
      await this.touch(image, cached.pinned, key);
      return cached.pinned;
    }
    if (effective === 'Never') {
      throw new ImageError('ErrImagePull', cached && !mayUse
        ? `image ${image} was pulled with credentials this pod does not have, and its pull policy is Never (ErrImageNeverPull)`
        : `image ${image} is not present on this node and its pull policy is Never (ErrImageNeverPull)`);
    }
    const attempt = `${image}\0${key}`;
    const failure = this.failures.get(attempt);
    if (failure && Date.now() < failure.retryAt) {
      throw new ImageError('ImagePullBackOff', `Back-off pulling image "${image}": ${failure.message}`);
    }
    // One pull per image and credentials at a time, shared by the pods that wait for it.
    let pull = this.pulls.get(attempt);
    if (!pull) {
      pull = this.pull(image, ref, credentials).finally(() => this.pulls.delete(attempt));
      this.pulls.set(attempt, pull);
    }
    try {
      const pinned = await pull;
      this.failures.delete(attempt);
      return pinned;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const count = (failure?.count ?? 0) + 1;
      const { initialSeconds, maxSeconds } = this.options.backOff ?? { initialSeconds: 10, maxSeconds: 300 };
      this.failures.set(attempt, { count, retryAt: Date.now() + Math.min(maxSeconds, initialSeconds * 2 ** (count - 1)) * 1000, message });
      this.options.log?.warn({ image, err: message }, 'pulling an image failed');
      throw err instanceof ImageError ? err : new ImageError('ErrImagePull', message);
    }
  }

  /** Asks the registry with these credentials (so a cached image is also checked against them), then pulls what is missing. */
  private async pull(image: string, ref: ImageReference, credentials: RegistryCredentials | undefined): Promise<string> {
    const client = new RegistryClient({ registry: ref.registry, insecure: this.isInsecure(ref.registry), credentials });
    const resolved = await resolveImage(client, ref, this.options.limits ?? DEFAULT_IMAGE_LIMITS);
    if (!(await this.options.cri.imageStatus(resolved.pinned))) {
      const began = Date.now();
      // containerd parses the server address as a URL: "host:port" alone does not parse.
      const serverAddress = `${this.isInsecure(ref.registry) ? 'http' : 'https'}://${ref.registry}`;
      const auth: AuthConfig | undefined = credentials ? { username: credentials.username, password: credentials.password, server_address: serverAddress } : undefined;
      try {
        await this.options.cri.pullImage(resolved.pinned, auth, this.options.pullTimeoutMs ?? 15 * 60_000);
      } catch (err) {
        throw new ImageError('ErrImagePull', `pulling ${resolved.pinned}: ${(err as { details?: string }).details ?? (err as Error).message}`);
      }
      this.options.log?.info({ image, pinned: resolved.pinned, bytes: resolved.size, ms: Date.now() - began }, 'image pulled');
    }
    await this.touch(image, resolved.pinned, credentialsKey(credentials));
    return resolved.pinned;
  }

  /** Records a use of the image, by a pod the registry let read it with credentials `key`. */
  private async touch(image: string, pinned: string, key: string): Promise<void> {
    const earlier = this.cache.get(image);
    const pulledWith = earlier?.pinned === pinned ? earlier.pulledWith ?? [] : [];
    this.cache.set(image, { pinned, lastUsed: new Date().toISOString(), pulledWith: pulledWith.includes(key) ? pulledWith : [...pulledWith, key] });
    await this.save();
  }

  /** Marks the images pods on this node use now, so that garbage collection keeps them. */
  async inUse(images: Iterable<string>): Promise<void> {
    let changed = false;
    for (const image of images) {
      const entry = this.cache.get(image);
      if (entry) {
        entry.lastUsed = new Date().toISOString();
        changed = true;
      }
    }
    if (changed) await this.save();
  }

  /**
   * Removes the images this manager pulled that no pod named for `unusedForMs` and no container
   * (running or kept for its logs) uses. Returns what was removed.
   */
  async collectGarbage(unusedForMs: number, inUse: ReadonlySet<string>): Promise<string[]> {
    const used = new Set((await this.options.cri.listContainers()).map((c) => c.image_ref));
    const removed: string[] = [];
    const pinnedStillWanted = new Set([...this.cache].filter(([image]) => inUse.has(image)).map(([, e]) => e.pinned));
    for (const [image, entry] of [...this.cache]) {
      if (inUse.has(image) || pinnedStillWanted.has(entry.pinned) || used.has(entry.pinned) || Date.now() - Date.parse(entry.lastUsed) < unusedForMs) continue;
      const status = await this.options.cri.imageStatus(entry.pinned);
      if (status && used.has(status.id)) continue;
      if (status) await this.options.cri.removeImage(entry.pinned);
      this.cache.delete(image);
      removed.push(image);
    }
    if (removed.length) {
      await this.save();
      this.options.log?.info({ images: removed }, 'removed unused images');
    }
    return removed;
  }

  private async save(): Promise<void> {
    await mkdir(dirname(this.options.stateFile), { recursive: true });
    const temporary = `${this.options.stateFile}.tmp`;
    await writeFile(temporary, JSON.stringify(Object.fromEntries(this.cache), null, 2), { mode: 0o600 });
    await rename(temporary, this.options.stateFile);
  }
}
