// A client of the OCI distribution API (what `docker pull/push` speak): manifests, blobs,
// catalog and tags, with the registries' two ways of authenticating (Basic, and Bearer tokens
// from the realm the registry names). HTTPS always, unless the registry is one the caller was
// told is insecure. Everything a registry sends is bounded before it is read, and every
// manifest is checked against the digest it was asked by.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { ImageError } from './reference.ts';
import { BodyTooLargeError, readBounded as readAtMost } from '../../common/bounded-body.ts';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerList, MEDIA_TYPES.dockerManifest].join(', ');
/** Largest manifest or index read (containerd's own limit is the same order). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_JSON_BYTES = 4 * 1024 * 1024;
const MAX_TOKEN_BYTES = 64 * 1024;

export interface RegistryCredentials { username: string; password: string }

export interface RegistryClientOptions {
  /** host[:port] */
  registry: string;
  /** Plain HTTP instead of HTTPS: only for registries the node or user said are insecure. */
  insecure?: boolean;
  credentials?: RegistryCredentials;
  /** Where the user gives credentials, for the errors that ask for them (default: a pod's imagePullSecrets). */
  credentialsHint?: { missing: string; denied: string };
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

export interface FetchedManifest { mediaType: string; digest: string; body: Buffer }

export const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A registry that could not be reached or answered with an error: the pull fails with this message. */
const pullError = (message: string) => new ImageError('ErrImagePull', message);

async function readBounded(body: Dispatcher.ResponseData['body'], limit: number, what: string): Promise<Buffer> {
  try {
    return await readAtMost(body, limit);
  } catch (err) {
    throw err instanceof BodyTooLargeError ? pullError(`${what} is larger than ${limit} bytes; refusing it`) : err;
  }
}

/** Parameters of a WWW-Authenticate challenge: Bearer realm="...",service="...",scope="...". */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const match of header.slice(space + 1).matchAll(/([a-zA-Z]+)="([^"]*)"/g)) params[match[1].toLowerCase()] = match[2];
  return { scheme, params };
}

export class RegistryClient {
  readonly registry: string;
  private readonly base: string;
  private readonly credentials?: RegistryCredentials;
  private readonly credentialsHint: { missing: string; denied: string };
  private readonly timeoutMs: number;
  private readonly dispatcher?: Dispatcher;
  /** Authorization header per scope, learnt from the registry's challenges. */
  private readonly authorization = new Map<string, string>();

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    this.base = `${options.insecure ? 'http' : 'https'}://${options.registry}`;
    this.credentials = options.credentials;
    this.credentialsHint = options.credentialsHint ?? { missing: 'an imagePullSecret of type kubernetes.io/dockerconfigjson', denied: 'check the imagePullSecrets' };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.dispatcher = options.dispatcher;
  }

  /**
   * One request, authenticating when challenged. `scope` is the token scope the request needs
   * (repository:NAME:pull, ...); the body is a function so that a retried upload reopens it.
   */
  private async send(method: Dispatcher.HttpMethod, path: string, scope: string, init: { headers?: Record<string, string>; body?: () => Buffer | Readable } = {}): Promise<Dispatcher.ResponseData> {
    for (let attempt = 0; ; attempt++) {
      const auth = this.authorization.get(scope);
      const url = path.startsWith('http') ? path : `${this.base}${path}`;
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          method, headers: { ...init.headers, ...(auth ? { authorization: auth } : {}) }, body: init.body?.(),
          headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, dispatcher: this.dispatcher,
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string }; code?: string; message: string });
        const detail = cause.cause?.code ?? cause.code ?? cause.message;
        throw pullError(`registry ${this.registry} cannot be reached (${method} ${url}: ${detail})${this.base.startsWith('https') && /EPROTO|ERR_SSL|WRONG_VERSION/.test(String(detail)) ? '; if it speaks plain HTTP, mark it insecure' : ''}`);
      }
      if (response.statusCode !== 401 || attempt > 0) return response;
      const challenge = response.headers['www-authenticate'];
      await response.body.dump();
      if (typeof challenge !== 'string') return { ...response, statusCode: 401 } as Dispatcher.ResponseData;
      await this.authenticate(challenge, scope);
    }
  }

  private async authenticate(header: string, scope: string): Promise<void> {
    const { scheme, params } = parseChallenge(header);
    const basic = this.credentials ? `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}` : undefined;
    if (scheme === 'basic') {
      if (!basic) throw pullError(`registry ${this.registry} requires a user name and password (${this.credentialsHint.missing})`);
      this.authorization.set(scope, basic);
      return;
    }
    if (scheme !== 'bearer' || !params.realm) throw pullError(`registry ${this.registry} asks for an authentication scheme Granary does not speak: ${header.slice(0, 200)}`);
    let realm: URL;
    try {
      realm = new URL(params.realm);
    } catch {
      throw pullError(`registry ${this.registry} names an invalid token realm ${JSON.stringify(params.realm.slice(0, 200))}`);
    }
    // Credentials go to the token service only over HTTPS, or to the registry's own host.
    const sameHost = realm.host === this.registry;
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && sameHost && this.base.startsWith('http:'))) {
      throw pullError(`registry ${this.registry} names a token realm ${realm.origin} that is neither HTTPS nor the registry itself; refusing to send credentials there`);
    }
    realm.searchParams.set('service', params.service ?? '');
    realm.searchParams.set('scope', params.scope ?? scope);
    const response = await request(realm, {
      headers: basic ? { authorization: basic } : {}, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, dispatcher: this.dispatcher,
    }).catch((err: Error) => { throw pullError(`token service ${realm.origin} of registry ${this.registry} cannot be reached: ${err.message}`); });
    const text = await readBounded(response.body, MAX_TOKEN_BYTES, `the token from ${realm.origin}`);
    if (response.statusCode !== 200) throw pullError(`registry ${this.registry} refused the credentials (token service answered HTTP ${response.statusCode})`);
    let token: unknown;
    try {
      const parsed = JSON.parse(text.toString('utf8')) as { token?: unknown; access_token?: unknown };
      token = parsed.token ?? parsed.access_token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token.length === 0 || /[\r\n]/.test(token)) throw pullError(`token service ${realm.origin} of registry ${this.registry} sent no usable token`);
    this.authorization.set(scope, `Bearer ${token}`);
  }

  private async failure(response: Dispatcher.ResponseData, what: string): Promise<ImageError> {
    const text = (await readBounded(response.body, 64 * 1024, 'an error answer').catch(() => Buffer.alloc(0))).toString('utf8');
    let detail = '';
    try {
      const errors = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors ?? [];
      detail = errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
    } catch {
      detail = text.slice(0, 200);
    }
    const hint = response.statusCode === 401 || response.statusCode === 403
      ? ` (access denied: ${this.credentialsHint.denied})`
      : response.statusCode === 404 ? ' (not found)' : '';
    return pullError(`${what}: registry ${this.registry} answered HTTP ${response.statusCode}${hint}${detail ? `: ${detail.slice(0, 300)}` : ''}`);
  }

  /** A manifest or index by tag or digest, its bytes checked against the digest (asked for or announced). */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const what = `manifest ${repository}:${reference}`.replace(':sha256:', '@sha256:');
    const response = await this.send('GET', `/v2/${repository}/manifests/${reference}`, `repository:${repository}:pull`, { headers: { accept: MANIFEST_ACCEPT } });
    if (response.statusCode !== 200) throw await this.failure(response, what);
    const declared = Number(response.headers['content-length']);
    if (declared > MAX_MANIFEST_BYTES) {
      await response.body.dump();
      throw pullError(`${what} is ${declared} bytes, more than the ${MAX_MANIFEST_BYTES} a manifest may have`);
    }
    const body = await readBounded(response.body, MAX_MANIFEST_BYTES, what);
    const digest = sha256(body);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw pullError(`${what}: the registry sent a manifest whose digest is ${digest}, not the ${reference} asked for`);
    }
    const announced = response.headers['docker-content-digest'];
    if (typeof announced === 'string' && announced.startsWith('sha256:') && announced !== digest) {
      throw pullError(`${what}: the registry announced digest ${announced} but sent a manifest with digest ${digest}`);
    }
    const mediaType = String(response.headers['content-type'] ?? '').split(';')[0].trim();
    return { mediaType, digest, body };
  }

  async blobExists(repository: string, digest: string): Promise<boolean> {
    const response = await this.send('HEAD', `/v2/${repository}/blobs/${digest}`, `repository:${repository}:pull,push`);
    await response.body.dump();
    if (response.statusCode === 200) return true;
    if (response.statusCode === 404) return false;
    throw await this.failure(response, `blob ${digest}`);
  }

  /** Uploads a blob in one piece (POST, then PUT with its digest), unless the registry has it. */
  async pushBlob(repository: string, digest: string, size: number, open: () => Readable | Buffer): Promise<'exists' | 'pushed'> {
    if (await this.blobExists(repository, digest)) return 'exists';
    const scope = `repository:${repository}:pull,push`;
    const started = await this.send('POST', `/v2/${repository}/blobs/uploads/`, scope);
    await started.body.dump();
    const location = started.headers.location;
    if (started.statusCode !== 202 || typeof location !== 'string') throw await this.failure(started, `starting the upload of blob ${digest}`);
    const target = new URL(location, this.base);
    if (target.host !== this.registry) throw pullError(`registry ${this.registry} sent the upload to another host (${target.host}); refusing`);
    target.searchParams.set('digest', digest);
    const put = await this.send('PUT', target.toString(), scope, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) }, body: open,
    });
    if (put.statusCode !== 201) throw await this.failure(put, `uploading blob ${digest}`);
    await put.body.dump();
    return 'pushed';
  }

  async pushManifest(repository: string, tag: string, mediaType: string, body: Buffer): Promise<string> {
    const response = await this.send('PUT', `/v2/${repository}/manifests/${tag}`, `repository:${repository}:pull,push`, {
      headers: { 'content-type': mediaType }, body: () => body,
    });
    if (response.statusCode !== 201) throw await this.failure(response, `pushing manifest ${repository}:${tag}`);
    await response.body.dump();
    return sha256(body);
  }

  private async getJson<T>(path: string, scope: string, what: string): Promise<T> {
    const response = await this.send('GET', path, scope, { headers: { accept: 'application/json' } });
    if (response.statusCode !== 200) throw await this.failure(response, what);
    const text = await readBounded(response.body, MAX_JSON_BYTES, what);
    try {
      return JSON.parse(text.toString('utf8')) as T;
    } catch {
      throw pullError(`${what}: registry ${this.registry} sent something that is not JSON`);
    }
  }

  /** Every repository the registry lists (following its pagination, at most `limit`). */
  async catalog(limit = 10_000): Promise<string[]> {
    const names: string[] = [];
    let last = '';
    while (names.length < limit) {
      const page = await this.getJson<{ repositories?: unknown }>(`/v2/_catalog?n=1000${last ? `&last=${encodeURIComponent(last)}` : ''}`, 'registry:catalog:*', 'the catalog');
      const batch = Array.isArray(page.repositories) ? page.repositories.filter((r): r is string => typeof r === 'string') : [];
      names.push(...batch);
      if (batch.length < 1000 || batch.at(-1) === last) break;
      last = batch.at(-1)!;
    }
    return names.slice(0, limit);
  }

  async tags(repository: string): Promise<string[]> {
    const page = await this.getJson<{ tags?: unknown }>(`/v2/${repository}/tags/list`, `repository:${repository}:pull`, `the tags of ${repository}`);
    return Array.isArray(page.tags) ? page.tags.filter((t): t is string => typeof t === 'string').slice(0, 10_000) : [];
  }
}
