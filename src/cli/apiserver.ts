// `granary apiserver`: the embedded control plane on its own.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiServer, DEFAULT_TIMEOUTS, type ServerTimeouts, type StorageOptions } from '../apiserver/server.ts';
import type { OverloadLimits } from '../apiserver/http/overload.ts';
import { parseEndpoint } from '../apiserver/storage/etcd-client.ts';
import { parseNodePortRange, parseServiceIpRange, type ServiceRanges } from '../apiserver/registry/service-allocator.ts';
import { runUntilSignal, UsageError } from './process.ts';
import { parseDuration } from '../common/duration.ts';

export const APISERVER_USAGE = `  apiserver --data-dir DIR [--listen HOST:PORT] [--token-auth-file FILE]
            [--storage sqlite|etcd] [--etcd-endpoints URL,...] [--etcd-prefix /registry]
            [--etcd-cafile FILE] [--etcd-certfile FILE] [--etcd-keyfile FILE]
            [--encryption-provider-config FILE] [--audit-log-path FILE] [--audit-policy-file FILE]
            [--max-requests-inflight N] [--max-mutating-requests-inflight N]
            [--max-watches-per-user N] [--requests-per-second-per-user N]
            [--node-certificate-duration 8760h]
            [--service-cluster-ip-range 10.96.0.0/12] [--service-node-port-range 30000-32767]
                                                  run the embedded Kubernetes-compatible API server alone`;

const ETCD_FLAGS = ['etcd-endpoints', 'etcd-prefix', 'etcd-cafile', 'etcd-certfile', 'etcd-keyfile'] as const;

export async function apiserverCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      listen: { type: 'string', default: '127.0.0.1:6443' },
      'token-auth-file': { type: 'string' },
      storage: { type: 'string', default: 'sqlite' },
      'etcd-endpoints': { type: 'string' },
      'etcd-prefix': { type: 'string' },
      'etcd-cafile': { type: 'string' },
      'etcd-certfile': { type: 'string' },
      'etcd-keyfile': { type: 'string' },
      'encryption-provider-config': { type: 'string' },
      'audit-log-path': { type: 'string' },
      'audit-policy-file': { type: 'string' },
      'max-requests-inflight': { type: 'string' },
      'max-mutating-requests-inflight': { type: 'string' },
      'max-watches-per-user': { type: 'string' },
      'requests-per-second-per-user': { type: 'string' },
      'node-certificate-duration': { type: 'string' },
      'service-cluster-ip-range': { type: 'string' },
      'service-node-port-range': { type: 'string' },
    },
    strict: true,
  });
  if (!values['data-dir']) throw new UsageError('granary apiserver needs --data-dir DIR (where state, certificates and admin.kubeconfig live)');
  const storage = storageOptions(values);
  // GRANARY_WATCH_HISTORY tunes how many events a watch may resume across (tests make it small).
  const watchHistory = process.env.GRANARY_WATCH_HISTORY ? Number(process.env.GRANARY_WATCH_HISTORY) : undefined;
  // GRANARY_MIN_TOKEN_EXPIRATION_SECONDS lets tests issue ServiceAccount tokens that expire within seconds.
  const minTokenExpirationSeconds = process.env.GRANARY_MIN_TOKEN_EXPIRATION_SECONDS ? Number(process.env.GRANARY_MIN_TOKEN_EXPIRATION_SECONDS) : undefined;
  const tokenAuthFile = values['token-auth-file'] ? resolve(values['token-auth-file']) : undefined;
  // GRANARY_HTTP_TIMEOUTS (e.g. "headers=2s,request=4s,keepAlive=3s,handshake=1s") shortens the
  // connection timeouts for tests of slow and idle clients.
  const timeouts = httpTimeouts(process.env.GRANARY_HTTP_TIMEOUTS);
  const server = await ApiServer.start({
    dataDir: resolve(values['data-dir']), listen: values.listen!, watchHistory, storage,
    auth: { tokenAuthFile, minTokenExpirationSeconds }, limits: overloadLimits(values),
    encryptionConfig: values['encryption-provider-config'] ? resolve(values['encryption-provider-config']) : undefined,
    audit: auditOptions(values['audit-log-path'], values['audit-policy-file']),
    nodeCertificateDurationSeconds: certificateDuration(values['node-certificate-duration']),
    services: serviceRanges(values['service-cluster-ip-range'], values['service-node-port-range']),
    timeouts,
  });
  process.stdout.write(`granary apiserver listening on ${server.url}\nkubeconfig: ${server.kubeconfigPath}\n`);
  await runUntilSignal(() => server.stop());
}

/** --node-certificate-duration: how long the client certificates the server signs are valid at most. */
function certificateDuration(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 1000) throw new UsageError(`--node-certificate-duration takes a duration of at least 1s such as 720h or 30s, got ${JSON.stringify(raw)}`);
  return Math.floor(ms / 1000);
}

/** --service-cluster-ip-range and --service-node-port-range, checked before the server starts. */
function serviceRanges(clusterIpRange: string | undefined, nodePortRange: string | undefined): Partial<ServiceRanges> {
  try {
    if (clusterIpRange !== undefined) parseServiceIpRange(clusterIpRange);
    if (nodePortRange !== undefined) parseNodePortRange(nodePortRange);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return { ...(clusterIpRange ? { clusterIpRange } : {}), ...(nodePortRange ? { nodePortRange } : {}) };
}

function httpTimeouts(raw: string | undefined): Partial<ServerTimeouts> | undefined {
  if (!raw) return undefined;
  const out: Partial<ServerTimeouts> = {};
  for (const part of raw.split(',')) {
    const [name, value] = part.split('=');
    const ms = parseDuration(value ?? '');
    const key = `${name.trim()}Ms` as keyof ServerTimeouts;
    if (!(key in DEFAULT_TIMEOUTS) || ms === undefined || ms <= 0) throw new UsageError(`GRANARY_HTTP_TIMEOUTS: ${JSON.stringify(part)} must be NAME=DURATION with NAME one of handshake, headers, request, keepAlive`);
    out[key] = ms;
  }
  return out;
}

function auditOptions(path: string | undefined, policyFile: string | undefined) {
  if (policyFile && !path) throw new UsageError('--audit-policy-file needs --audit-log-path FILE (where the audit events go)');
  return path ? { path: resolve(path), policyFile: policyFile ? resolve(policyFile) : undefined } : undefined;
}

/** The overload flags; a rate of N allows bursts of 2N. */
function overloadLimits(flags: Record<string, string | boolean | undefined>): Partial<OverloadLimits> {
  const count = (name: string): number | undefined => {
    const raw = flags[name];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} takes a whole number of at least 1, got ${JSON.stringify(raw)}`);
    return n;
  };
  const rate = count('requests-per-second-per-user');
  const limits: Partial<OverloadLimits> = {
    maxReadOnlyInFlight: count('max-requests-inflight'),
    maxMutatingInFlight: count('max-mutating-requests-inflight'),
    maxWatchesPerUser: count('max-watches-per-user'),
    ...(rate !== undefined ? { requestsPerSecondPerUser: rate, burstPerUser: rate * 2 } : {}),
  };
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
}

type StorageFlags = { storage?: string } & Partial<Record<(typeof ETCD_FLAGS)[number], string>>;

/** --storage and the --etcd-* flags, checked together. */
export function storageOptions(flags: StorageFlags): StorageOptions {
  if (flags.storage === undefined || flags.storage === 'sqlite') {
    const stray = ETCD_FLAGS.filter((f) => flags[f] !== undefined);
    if (stray.length > 0) throw new UsageError(`--${stray[0]} applies only with --storage etcd`);
    return { kind: 'sqlite' };
  }
  if (flags.storage !== 'etcd') throw new UsageError(`--storage must be sqlite or etcd, got ${JSON.stringify(flags.storage)}`);
  const endpoints = (flags['etcd-endpoints'] ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (endpoints.length === 0) throw new UsageError('--storage etcd needs --etcd-endpoints URL,... (the client URLs of the etcd members, e.g. http://127.0.0.1:2379)');
  for (const endpoint of endpoints) {
    try {
      parseEndpoint(endpoint);
    } catch (err) {
      throw new UsageError(`--etcd-endpoints: ${(err as Error).message}`);
    }
  }
  const read = (flag: 'etcd-cafile' | 'etcd-certfile' | 'etcd-keyfile') => {
    const path = flags[flag];
    if (path === undefined) return undefined;
    try {
      return readFileSync(resolve(path));
    } catch (err) {
      throw new UsageError(`--${flag} ${path}: ${(err as Error).message}`);
    }
  };
  const tls = { ca: read('etcd-cafile'), cert: read('etcd-certfile'), key: read('etcd-keyfile') };
  return { kind: 'etcd', endpoints, prefix: flags['etcd-prefix'], tls: tls.ca || tls.cert || tls.key ? tls : undefined };
}
