// `granary apiserver`: assembles storage, watch cache, registry, the server's own controllers and
// the HTTPS front end, and runs them until asked to stop.
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { BUILTIN_RESOURCES, INITIAL_NAMESPACES } from '../api/builtin.ts';
import { ResourceCatalog } from './registry/catalog.ts';
import { Registry } from './registry/registry.ts';
import type { ServiceRanges } from './registry/service-allocator.ts';
import { SqliteBackend } from './storage/sqlite.ts';
import { EtcdBackend, type EtcdBackendOptions } from './storage/etcd.ts';
import type { StorageBackend } from './storage/backend.ts';
import { WatchCache } from './storage/cache.ts';
import { loadEncryptionConfig } from './storage/encryption.ts';
import type { Duplex } from 'node:stream';
import { createHandler, type SubresourceHandler } from './http/handler.ts';
import { requestEntry } from './http/entry.ts';
import { OpenWatches } from './http/watch.ts';
import { HeavyWrites } from './http/heavy.ts';
import { yamlDecoder } from './decode/yaml-pool.ts';
import { OverloadGuard, type OverloadLimits } from './http/overload.ts';
import { AuditLog, loadAuditPolicy } from './audit.ts';
import { ApiError } from './errors.ts';
import { ensurePki, type CertificateAuthority } from './pki.ts';
import { OpenApiCache } from './openapi/cache.ts';
import { CrdController } from './controllers/crd.ts';
import { NamespaceController } from './controllers/namespace.ts';
import { GarbageCollector } from './controllers/garbage-collector.ts';
import { CertificateController } from './controllers/certificates.ts';
import { BootstrapTokenCleaner } from './controllers/bootstrap-token-cleaner.ts';
import { podBinding, podLogs, namespaceFinalize } from './subresources.ts';
import { createLogger, type Logger } from '../common/log.ts';
import { ensureUnlistableDir } from '../common/private-files.ts';
import { ApiMetrics } from './metrics.ts';
import { AccessControl, loadAccessCredentials, type AccessControlOptions } from './auth/access-control.ts';

/** Where objects are kept: SQLite in the data directory (one server), or an etcd cluster (one or several servers). */
export type StorageOptions = { kind: 'sqlite' } | ({ kind: 'etcd' } & Omit<EtcdBackendOptions, 'log'>);

export interface ApiServerOptions {
  dataDir: string;
  /** SQLite (DATA_DIR/state.db) unless given. */
  storage?: StorageOptions;
  /** host:port to listen on; port 0 picks a free one. */
  listen: string;
  /** How often an idle watch with bookmarks gets one. */
  bookmarkIntervalMs?: number;
  /** How often storage history is compacted (kept one interval back). */
  compactIntervalMs?: number;
  /** Events the watch cache keeps for watches that resume from an older resourceVersion. */
  watchHistory?: number;
  /** Authentication beyond client certificates: a static token file, ServiceAccount token settings. */
  auth?: Omit<AccessControlOptions, 'dataDir'>;
  /** An EncryptionConfiguration file: which resources (Secrets) are encrypted at rest, with which keys. */
  encryptionConfig?: string;
  /** Where to append the audit log, and the audit Policy to apply (Metadata for everything without one). */
  audit?: { path: string; policyFile?: string };
  /** The longest client certificate the signer issues for a CertificateSigningRequest (default a year). */
  nodeCertificateDurationSeconds?: number;
  /** Where Services' cluster IPs and node ports come from (10.96.0.0/12 and 30000-32767 unless given). */
  services?: Partial<ServiceRanges>;
  /** Caps on concurrent requests, watches and per-user request rates. */
  limits?: Partial<OverloadLimits>;
  /** How long clients may take over TLS handshakes, headers, whole requests and idle keep-alive connections. */
  timeouts?: Partial<ServerTimeouts>;
  logger?: Logger;
}

/** The Kubernetes version whose API this server speaks (reported at /version). */
export const KUBERNETES_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.0+granary' };

/** A year, as Kubernetes' --cluster-signing-duration. */
export const DEFAULT_CERTIFICATE_DURATION_SECONDS = 365 * 24 * 3600;

export interface ServerTimeouts {
  /** A TLS handshake must complete within this (a connection that never does holds a file descriptor). */
  handshakeMs: number;
  /** The request line and headers must arrive within this (Kubernetes' ReadHeaderTimeout is 32 s). */
  headersMs: number;
  /** The whole request, body included, must arrive within this (Kubernetes' --request-timeout is 60 s). */
  requestMs: number;
  /** An idle keep-alive connection is closed, without a response, after this. */
  keepAliveMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = { handshakeMs: 10_000, headersMs: 30_000, requestMs: 60_000, keepAliveMs: 65_000 };

export class ApiServer {
  readonly registry: Registry;
  readonly log: Logger;
  private readonly https: Server;
  private readonly backend: StorageBackend;
  private readonly controllers: { stop(): void }[] = [];
  private readonly access: AccessControl;
  private readonly timers: NodeJS.Timeout[] = [];
  private ready = false;
  private readonly opts: ApiServerOptions;
  readonly kubeconfigPath: string;
  private port = 0;
  private readonly host: string;
  private readonly watches: OpenWatches;

  private constructor(opts: ApiServerOptions, backend: StorageBackend, registry: Registry, https: Server, log: Logger, kubeconfigPath: string, host: string, access: AccessControl, watches: OpenWatches) {
    this.opts = opts;
    this.watches = watches;
    this.access = access;
    this.backend = backend;
    this.registry = registry;
    this.https = https;
    this.log = log;
    this.kubeconfigPath = kubeconfigPath;
    this.host = host;
  }

  static async start(opts: ApiServerOptions): Promise<ApiServer> {
    const log = opts.logger ?? createLogger('apiserver');
    const { host, port } = parseListen(opts.listen);
    // Keys, the admin kubeconfig and (with SQLite) every object live here: no one else lists it.
    await ensureUnlistableDir(opts.dataDir);
    const pki = await ensurePki(opts.dataDir, { listenHost: host });
    const credentials = await loadAccessCredentials({ ...opts.auth, dataDir: opts.dataDir });
    const storage = opts.storage ?? { kind: 'sqlite' };
    const backend = storage.kind === 'etcd'
      ? new EtcdBackend({ ...storage, log: log.child({ subsystem: 'etcd' }) })
      : new SqliteBackend(join(opts.dataDir, 'state.db'));
    const transformer = opts.encryptionConfig ? loadEncryptionConfig(opts.encryptionConfig) : undefined;
    const cache = new WatchCache(backend, { historyLimit: opts.watchHistory, transformer });
    try {
      await cache.start();
    } catch (err) {
      await backend.close();
      throw err;
    }
    const catalog = new ResourceCatalog(BUILTIN_RESOURCES);
    const registry = new Registry(catalog, cache, BUILTIN_RESOURCES, opts.services);
    const metrics = new ApiMetrics();
    const openapi = new OpenApiCache(catalog, KUBERNETES_VERSION.gitVersion);
    const access = new AccessControl(registry, credentials, opts.auth ?? {}, log.child({ subsystem: 'auth' }));
    const subresources = new Map<string, SubresourceHandler>([
      ['pods/binding', podBinding],
      ['namespaces/finalize', namespaceFinalize],
      // Logs come from the pod's node agent; the admin credentials identify this server to it.
      ['pods/log', podLogs((name) => registry.lookup('v1', 'Node', undefined, name), { cert: pki.adminCertPem, key: pki.adminKeyPem })],
      ...access.subresources,
    ]);
    let server!: ApiServer;
    const openWatches = new OpenWatches();
    const handler = createHandler({
      catalog,
      storeFor: (def) => registry.storeFor(def),
      openapi,
      version: { ...KUBERNETES_VERSION, gitCommit: '', gitTreeState: 'clean', buildDate: '', goVersion: '', compiler: 'node', platform: `${process.platform}/${process.arch}` },
      serverAddress: `${host}:${port}`,
      subresources,
      computedResources: access.computedResources,
      writeCheck: (req, def) => access.writeCheck(req, def),
      // Not ready while the watch cache cannot follow storage (it would serve stale objects).
      ready: () => server.ready && registry.cache.healthy() === undefined,
      bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 10_000,
      observe: (o) => metrics.observe(o),
      openLongRunning: (labels) => metrics.openLongRunning(labels),
      openWatches,
      heavyWrites: new HeavyWrites(),
    });
    const overload = new OverloadGuard(opts.limits);
    const audit = opts.audit ? new AuditLog(opts.audit.path, opts.audit.policyFile ? loadAuditPolicy(opts.audit.policyFile) : undefined, log.child({ subsystem: 'audit' })) : undefined;
    const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    const https = createServer({
      // The CA follows the serving certificate, so that a joining host can check it against the
      // CA hash it was given before it trusts this server with a token (src/client/pinned-ca.ts).
      key: pki.serverKeyPem, cert: `${pki.serverCertPem.trimEnd()}\n${pki.caPem}`, ca: pki.caPem,
      requestCert: true, rejectUnauthorized: false,
      handshakeTimeout: timeouts.handshakeMs,
      keepAliveTimeout: timeouts.keepAliveMs, headersTimeout: timeouts.headersMs, requestTimeout: timeouts.requestMs,
      // How often the header and request timeouts are checked: the default (30 s) lets a slow
      // client keep its connection up to 30 s past them.
      connectionsCheckingInterval: Math.min(1000, timeouts.headersMs),
    }, requestEntry({
      log, audit, overload, metrics, handler, requestTimeoutMs: timeouts.requestMs,
      authorize: (req) => access.check(req),
      identityOf: (req) => access.identityOf(req),
    }));
    https.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      // A request that does not parse as HTTP gets its 400 (431 for oversized headers) when no
      // response is under way on the connection. Anything else (a timeout: an idle keep-alive
      // connection, headers or a body sent too slowly, a TLS handshake never finished) closes the
      // connection without a word, as Go's server does: a client holding an idle connection must
      // never read a response it did not ask for.
      const parseError = err.code?.startsWith('HPE_') === true;
      if (parseError && socket.writable && !(socket as { _httpMessage?: unknown })._httpMessage) {
        socket.end(err.code === 'HPE_HEADER_OVERFLOW'
          ? 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n'
          : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      } else {
        socket.destroy();
      }
      log.debug({ err: String(err) }, 'client connection error');
    });
    if (audit) https.once('close', () => void audit.close());
    server = new ApiServer(opts, backend, registry, https, log, pki.kubeconfigPath, host, access, openWatches);
    await server.bootstrap(pki.ca);
    try {
      await new Promise<void>((resolve, reject) => {
        https.once('error', reject);
        https.listen(port, host, () => {
          https.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      // Nothing may keep the process alive after a failed start (e.g. the address is in use).
      await server.stop(0);
      throw new Error(`cannot listen on ${opts.listen}: ${(err as Error).message}`);
    }
    server.port = (https.address() as { port: number }).port;
    await pki.writeAdminKubeconfig(`https://${formatHost(localClientHost(host))}:${server.port}`);
    server.ready = true;
    log.info({ listen: `${host}:${server.port}`, kubeconfig: pki.kubeconfigPath, storage: storage.kind }, 'API server ready');
    return server;
  }

  get url(): string {
    return `https://${formatHost(this.host)}:${this.port}`;
  }

  private async bootstrap(ca: CertificateAuthority): Promise<void> {
    const namespaces = this.registry.storageStore('', 'namespaces')!;
    for (const name of INITIAL_NAMESPACES) {
      try {
        namespaces.get(undefined, name);
      } catch {
        try {
          await namespaces.create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { warnings: [], fieldManager: 'granary-apiserver' });
        } catch (err) {
          // Another replica on the same etcd made it first.
          if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
        }
      }
    }
    const crds = new CrdController(this.registry, this.log.child({ controller: 'crd' }));
    await crds.start();
    const namespaceController = new NamespaceController(this.registry, this.log.child({ controller: 'namespace' }));
    namespaceController.start();
    const gc = new GarbageCollector(this.registry, this.log.child({ controller: 'garbage-collector' }));
    gc.start();
    await this.access.start();
    const certificates = new CertificateController(this.registry, {
      ca, maxDurationSeconds: this.opts.nodeCertificateDurationSeconds ?? DEFAULT_CERTIFICATE_DURATION_SECONDS,
      authorize: (user, attributes) => this.access.authorize(user, attributes),
    }, this.log.child({ controller: 'certificates' }));
    certificates.start();
    const tokenCleaner = new BootstrapTokenCleaner(this.registry, this.log.child({ controller: 'bootstrap-token-cleaner' }));
    tokenCleaner.start();
    this.controllers.push(crds, namespaceController, gc, this.access, certificates, tokenCleaner);
    const interval = this.opts.compactIntervalMs ?? 5 * 60_000;
    let previous = this.backend.currentRevision();
    this.timers.push(setInterval(() => {
      const target = previous;
      previous = this.backend.currentRevision();
      this.backend.compact(target).catch((err) => this.log.warn({ err: String(err) }, 'compaction failed'));
    }, interval).unref());
  }

  /** Stops taking requests, lets in-flight ones finish (up to `graceMs`), ends watches, closes storage. */
  async stop(graceMs = 10_000): Promise<void> {
    this.ready = false;
    for (const t of this.timers) clearInterval(t);
    const closed = new Promise<void>((resolve) => this.https.close(() => resolve()));
    this.https.closeIdleConnections();
    for (const c of this.controllers) c.stop();
    // Watches would hold their connections forever: they end now, each stream complete.
    await this.watches.endAll();
    this.registry.cache.stop();
    this.https.closeIdleConnections();
    const deadline = setTimeout(() => this.https.closeAllConnections(), graceMs);
    // Connections that go idle from now on (their last request done) close at once.
    const sweep = setInterval(() => this.https.closeIdleConnections(), 100);
    await closed;
    clearInterval(sweep);
    await yamlDecoder.close();
    clearTimeout(deadline);
    await this.backend.close();
    this.log.info('API server stopped');
  }
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen must be HOST:PORT (e.g. 127.0.0.1:6443), got ${JSON.stringify(listen)}`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`--listen port must be at most 65535, got ${port}`);
  return { host: m[1] ?? m[2], port };
}

/**
 * The address a client on this machine reaches a server listening on `host` at: a wildcard
 * address through loopback, which the serving certificate always names (0.0.0.0 does not appear
 * in it, so a kubeconfig naming it would fail verification).
 */
function localClientHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  return host === '::' ? '::1' : host;
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
