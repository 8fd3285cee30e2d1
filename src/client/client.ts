// A thin Kubernetes client: one pooled HTTPS agent per cluster, JSON requests with typed errors,
// retries with backoff for idempotent requests, streaming responses for watches and logs, and
// resource names resolved through discovery (never guessed).
import { Agent, request, type Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import { trace, SpanStatusCode } from '@opentelemetry/api';
import { loadConnection, type ClusterConnection } from './kubeconfig.ts';
import { CredentialSource, type Credentials } from './credentials.ts';
import { KubeApiError, isTransient } from './errors.ts';
import { Discovery } from './discovery.ts';
import { ResourceApi } from './resource.ts';
import type { KubeObject } from '../api/meta.ts';
import { clientMetrics } from './metrics.ts';

export type QueryValue = string | number | boolean | string[] | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Defaults to application/json when there is a body. */
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  /** Retry on transient failures. Defaults to true for GET, false otherwise. */
  retry?: boolean;
  /** Overall time limit for non-streaming requests. */
  timeoutMs?: number;
}

export interface ClientOptions {
  userAgent?: string;
  /** Attempts for a retried request, the first included. */
  maxAttempts?: number;
  connections?: number;
}

const tracer = trace.getTracer('granary-client');

export class KubeClient {
  readonly connection: ClusterConnection;
  readonly discovery: Discovery;
  private readonly credentials: CredentialSource;
  private readonly userAgent: string;
  private readonly maxAttempts: number;
  private readonly connections: number;
  private agent?: { dispatcher: Agent; identity: string };

  constructor(connection: ClusterConnection, opts: ClientOptions = {}) {
    this.connection = connection;
    this.credentials = new CredentialSource(connection);
    this.userAgent = opts.userAgent ?? 'granary/0.1';
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.connections = opts.connections ?? 64;
    this.discovery = new Discovery(this);
  }

  static fromKubeconfig(kubeconfig?: string, opts: ClientOptions & { context?: string } = {}): KubeClient {
    return new KubeClient(loadConnection({ kubeconfig, context: opts.context }), opts);
  }

  get defaultNamespace(): string {
    return this.connection.namespace;
  }

  /** A typed client for one kind, resolved through discovery on first use. */
  resource<T extends KubeObject = KubeObject>(apiVersion: string, kind: string): ResourceApi<T> {
    return new ResourceApi<T>(this, apiVersion, kind);
  }

  /**
   * Uses another client certificate from now on (a renewed one): new requests connect with it,
   * requests and watches already open finish on their connections.
   */
  setClientCertificate(cert: string, key: string): void {
    this.connection.cert = cert;
    this.connection.key = key;
  }

  async close(): Promise<void> {
    await this.agent?.dispatcher.close();
    this.agent = undefined;
  }

  /** A JSON request; resolves with the parsed body, or throws KubeApiError. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const retry = opts.retry ?? (method === 'GET');
    return tracer.startActiveSpan(`kube ${method}`, { attributes: { 'http.request.method': method, 'url.path': path } }, async (span) => {
      try {
        for (let attempt = 1; ; attempt++) {
          try {
            const res = await this.send(method, path, opts, false);
            const text = await res.body.text();
            span.setAttribute('http.response.status_code', res.statusCode);
            if (res.statusCode >= 400) throw KubeApiError.fromResponse(res.statusCode, text, method, path, header(res.headers['retry-after']));
            return (text ? JSON.parse(text) : undefined) as T;
          } catch (err) {
            // 429 means the request was not processed, so even a write may be sent again.
            const again = (retry && isTransient(err)) || (err instanceof KubeApiError && err.code === 429);
            if (!again || attempt >= this.maxAttempts || opts.signal?.aborted) throw err;
            clientMetrics.retries.inc({ method });
            await sleep(backoffMs(attempt, err instanceof KubeApiError ? err.retryAfterSeconds : undefined), opts.signal);
          }
        }
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    });
  }

  /** A streaming request (watch, logs): resolves once headers arrive; errors still throw KubeApiError. */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<Readable> {
    const res = await this.send(method, path, opts, true);
    if (res.statusCode >= 400) {
      const text = await res.body.text();
      throw KubeApiError.fromResponse(res.statusCode, text, method, path, header(res.headers['retry-after']));
    }
    return res.body as unknown as Readable;
  }

  private async send(method: string, path: string, opts: RequestOptions, streaming: boolean): Promise<Dispatcher.ResponseData> {
    const creds = await this.credentials.get();
    const headers: Record<string, string> = { 'user-agent': this.userAgent, accept: opts.accept ?? 'application/json' };
    if (creds.token) headers.authorization = `Bearer ${creds.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    const started = performance.now();
    try {
      const res = await request(this.connection.server + path + queryString(opts.query), {
        method: method as Dispatcher.HttpMethod, headers, body, dispatcher: this.dispatcher(creds), signal: opts.signal,
        headersTimeout: streaming ? 0 : opts.timeoutMs ?? 60_000, bodyTimeout: streaming ? 0 : opts.timeoutMs ?? 60_000,
      });
      if (res.statusCode === 401 && !this.credentials.isStatic) this.credentials.invalidate();
      clientMetrics.requests.inc({ method, code: String(res.statusCode) });
      clientMetrics.latency.observe({ method }, (performance.now() - started) / 1000);
      return res;
    } catch (err) {
      clientMetrics.requests.inc({ method, code: '<error>' });
      throw err;
    }
  }

  private dispatcher(creds: Credentials): Agent {
    const identity = `${creds.cert ?? ''}\n${creds.key ?? ''}`;
    if (this.agent?.identity === identity) return this.agent.dispatcher;
    const previous = this.agent?.dispatcher;
    const conn = this.connection;
    this.agent = {
      identity,
      dispatcher: new Agent({
        connections: this.connections,
        keepAliveTimeout: 30_000,
        connect: {
          ca: conn.ca, cert: creds.cert, key: creds.key, servername: conn.tlsServerName,
          rejectUnauthorized: !conn.insecureSkipTlsVerify,
        },
      }),
    };
    void previous?.close();
    return this.agent.dispatcher;
  }
}

export function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** Exponential backoff with full jitter, 200 ms base, capped at 10 s; Retry-After wins when given. */
export function backoffMs(attempt: number, retryAfterSeconds?: number): number {
  if (retryAfterSeconds !== undefined && retryAfterSeconds > 0) return Math.min(retryAfterSeconds * 1000, 30_000);
  const cap = Math.min(10_000, 200 * 2 ** (attempt - 1));
  return cap / 2 + Math.random() * (cap / 2);
}

/** The longest delay setTimeout takes; a longer one fires at once (with a TimeoutOverflowWarning). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Resolves after `ms` (however long: a year's wait is waited in steps) or when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const until = Date.now() + ms;
    let timer = setTimeout(step, Math.min(ms, MAX_TIMEOUT_MS));
    function step() {
      const left = until - Date.now();
      if (left > 0) timer = setTimeout(step, Math.min(left, MAX_TIMEOUT_MS));
      else done();
    }
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
