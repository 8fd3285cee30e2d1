// A small etcd v3 client over gRPC: ranges, transactions, compaction and watch streams against a
// cluster given as several endpoints. Requests go to one endpoint at a time; an endpoint that
// fails to answer is left for the next one, so a cluster that keeps its quorum stays usable while
// a member is down. Reads are retried on the other endpoints; writes never are, because a write
// whose answer was lost may still have been applied.
import * as grpc from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../common/log.ts';

export interface KeyValue {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
}

interface ResponseHeader { revision: number }

export interface RangeRequest {
  key: Buffer;
  /** Exclusive end of the range; absent means the single key. */
  range_end?: Buffer;
  limit?: number;
  /** 0 reads the newest state. */
  revision?: number;
}

export interface RangeResponse { header: ResponseHeader; kvs: KeyValue[]; more: boolean }

export type Compare =
  | { key: Buffer; target: 'CREATE'; result: 'EQUAL' | 'GREATER'; create_revision: number }
  | { key: Buffer; target: 'MOD'; result: 'EQUAL'; mod_revision: number };

export type RequestOp =
  | { request_range: RangeRequest }
  | { request_put: { key: Buffer; value: Buffer } }
  | { request_delete_range: { key: Buffer } };

export interface TxnRequest { compare: Compare[]; success: RequestOp[]; failure: RequestOp[] }

export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: { response_range?: RangeResponse | null }[];
}

export interface WatchCreateRequest {
  key: Buffer;
  range_end: Buffer;
  /** The first revision to deliver (inclusive); 0 means "from now". */
  start_revision: number;
  prev_kv: boolean;
}

export interface WatchEvent { type: 'PUT' | 'DELETE'; kv: KeyValue; prev_kv: KeyValue | null }

export interface WatchResponse {
  header: ResponseHeader | null;
  created: boolean;
  canceled: boolean;
  /** Set when the watch asked for revisions that compaction removed: the oldest revision left. */
  compact_revision: number;
  cancel_reason: string;
  events: WatchEvent[];
}

export interface EtcdTls {
  /** PEM of the CA that signed the etcd members' certificates; the system's CAs when absent. */
  ca?: Buffer;
  /** PEM client certificate and key, for clusters that require client certificates. */
  cert?: Buffer;
  key?: Buffer;
}

export interface EtcdClientOptions {
  /** Client URLs of the cluster's members, e.g. http://127.0.0.1:2379. */
  endpoints: string[];
  tls?: EtcdTls;
  /** How long one request may take before the endpoint counts as failed. */
  requestTimeoutMs?: number;
  log?: Logger;
}

export interface WatchStream { cancel(): void }

const definitions = loadSync(fileURLToPath(new URL('./etcd.proto', import.meta.url)), {
  keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true,
});
const kv = definitions['etcdserverpb.KV'] as unknown as {
  Range: MethodDefinition<RangeRequest, RangeResponse>;
  Txn: MethodDefinition<TxnRequest, TxnResponse>;
  Compact: MethodDefinition<{ revision: number }, { header: ResponseHeader }>;
};
const watchService = definitions['etcdserverpb.Watch'] as unknown as {
  Watch: MethodDefinition<{ create_request: WatchCreateRequest }, WatchResponse>;
};

/** Raised when a read or compaction names a revision that compaction has already removed. */
export class EtcdCompacted extends Error {}

/** Raised when no endpoint answered; `mayHaveApplied` tells whether a write could still have taken effect. */
export class EtcdUnavailable extends Error {
  readonly mayHaveApplied: boolean;
  constructor(message: string, mayHaveApplied: boolean) {
    super(message);
    this.mayHaveApplied = mayHaveApplied;
  }
}

/** "http://127.0.0.1:2379" → the gRPC address and whether it needs TLS. */
export function parseEndpoint(url: string): { address: string; tls: boolean } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`etcd endpoint ${JSON.stringify(url)} is not a URL; write it like http://127.0.0.1:2379`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`etcd endpoint ${JSON.stringify(url)} must start with http:// or https://`);
  }
  if (parsed.pathname !== '/' || parsed.search || parsed.username) {
    throw new Error(`etcd endpoint ${JSON.stringify(url)} must be only scheme, host and port, like http://127.0.0.1:2379`);
  }
  return { address: `${parsed.hostname}:${parsed.port || '2379'}`, tls: parsed.protocol === 'https:' };
}

/** The key right after every key that starts with `prefix`: the exclusive end of a prefix range. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every byte is 0xff: the range runs to the end of the key space
}

interface Endpoint { address: string; client: grpc.Client }

export class EtcdClient {
  private readonly endpoints: Endpoint[];
  private readonly requestTimeoutMs: number;
  private readonly log: Logger | undefined;
  /** Index of the endpoint requests go to until it fails. */
  private preferred = 0;
  private closed = false;

  constructor(opts: EtcdClientOptions) {
    if (opts.endpoints.length === 0) throw new Error('etcd needs at least one endpoint, e.g. http://127.0.0.1:2379');
    const parsed = opts.endpoints.map(parseEndpoint);
    const secure = parsed.some((p) => p.tls);
    if (secure && !parsed.every((p) => p.tls)) throw new Error('etcd endpoints must be all http:// or all https://');
    if (!secure && (opts.tls?.ca || opts.tls?.cert)) throw new Error('etcd TLS files were given but the endpoints are http://; use https:// endpoints');
    if (Boolean(opts.tls?.cert) !== Boolean(opts.tls?.key)) throw new Error('an etcd client certificate needs its key, and a key its certificate');
    const credentials = secure
      ? grpc.credentials.createSsl(opts.tls?.ca ?? null, opts.tls?.key ?? null, opts.tls?.cert ?? null)
      : grpc.credentials.createInsecure();
    this.endpoints = parsed.map(({ address }) => ({
      address,
      client: new grpc.Client(address, credentials, {
        'grpc.max_receive_message_length': -1,
        // Notice a member that vanished without closing the connection; etcd accepts pings every 5 s.
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.keepalive_permit_without_calls': 1,
        // A member that comes back is tried again soon.
        'grpc.initial_reconnect_backoff_ms': 200,
        'grpc.max_reconnect_backoff_ms': 2_000,
      }),
    }));
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.log = opts.log;
  }

  /** Reads a key or range; tried on every endpoint before giving up. */
  range(req: RangeRequest): Promise<RangeResponse> {
    return this.request(kv.Range, req, true);
  }

  /** One transaction; sent once, to one endpoint. */
  txn(req: TxnRequest): Promise<TxnResponse> {
    return this.request(kv.Txn, req, false);
  }

  /** Compacts history before `revision`; a revision already compacted raises EtcdCompacted. */
  async compact(revision: number): Promise<void> {
    await this.request(kv.Compact, { revision }, true);
  }

  /**
   * Opens one watch on the preferred endpoint. `onClosed` is called once when the stream ends for
   * any reason other than cancel(); the caller decides whether and where to resume.
   */
  watch(req: WatchCreateRequest, onResponse: (res: WatchResponse) => void, onClosed: (err: Error) => void): WatchStream {
    const endpoint = this.pick();
    // Ask the member to end the stream when it loses its leader, instead of going silent.
    const metadata = new grpc.Metadata();
    metadata.set('hasleader', 'true');
    const call = endpoint.client.makeBidiStreamRequest(watchService.Watch.path, watchService.Watch.requestSerialize,
      watchService.Watch.responseDeserialize, metadata);
    let done = false;
    const close = (err: Error) => {
      if (done) return;
      done = true;
      this.failed(endpoint, err);
      onClosed(new Error(`etcd watch on ${endpoint.address} ended: ${err.message}`));
    };
    call.on('data', (res: WatchResponse) => {
      if (!done) onResponse(res);
    });
    call.on('error', close);
    call.on('end', () => close(new Error('the member closed the stream')));
    call.write({ create_request: req });
    return {
      cancel: () => {
        if (done) return;
        done = true;
        call.cancel();
      },
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const e of this.endpoints) e.client.close();
  }

  private async request<Req, Res extends { header: ResponseHeader }>(method: MethodDefinition<Req, Res>, req: Req, idempotent: boolean): Promise<Res> {
    const attempts = idempotent ? this.endpoints.length : 1;
    for (let attempt = 1; ; attempt++) {
      const endpoint = this.pick();
      try {
        return await this.unary(endpoint, method, req);
      } catch (err) {
        const e = err as grpc.ServiceError;
        if (e.code === grpc.status.OUT_OF_RANGE && /compacted/.test(e.details)) throw new EtcdCompacted(`etcd: ${e.details}`);
        if (!unavailable(e)) throw new Error(`etcd at ${endpoint.address} refused the request: ${e.details || e.message}`);
        this.failed(endpoint, e);
        if (attempt >= attempts) {
          const reason = e.details || e.message;
          throw new EtcdUnavailable(idempotent
            ? `no etcd endpoint answered (tried ${this.endpoints.map((x) => x.address).join(', ')}): ${reason}`
            : `etcd at ${endpoint.address} did not answer: ${reason}; the write may or may not have been applied, so read the object before retrying`,
          !idempotent);
        }
      }
    }
  }

  private unary<Req, Res>(endpoint: Endpoint, method: MethodDefinition<Req, Res>, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      endpoint.client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, req, new grpc.Metadata(),
        { deadline: Date.now() + this.requestTimeoutMs }, (err, res) => (err ? reject(err) : resolve(res!)));
    });
  }

  /** The preferred endpoint, unless its connection is known to be failing and another's is not. */
  private pick(): Endpoint {
    for (let i = 0; i < this.endpoints.length; i++) {
      const index = (this.preferred + i) % this.endpoints.length;
      const state = this.endpoints[index].client.getChannel().getConnectivityState(true);
      if (state !== grpc.connectivityState.TRANSIENT_FAILURE) {
        this.preferred = index;
        return this.endpoints[index];
      }
    }
    return this.endpoints[this.preferred];
  }

  /** Moves requests off an endpoint that failed (once, however many requests saw the failure). */
  private failed(endpoint: Endpoint, err: Error): void {
    if (this.closed || this.endpoints[this.preferred] !== endpoint || this.endpoints.length === 1) return;
    this.preferred = (this.preferred + 1) % this.endpoints.length;
    this.log?.warn({ failed: endpoint.address, next: this.endpoints[this.preferred].address, err: err.message }, 'etcd endpoint failed; using the next one');
  }
}

function unavailable(err: grpc.ServiceError): boolean {
  return err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED;
}
