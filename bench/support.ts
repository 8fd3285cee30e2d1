// Shared pieces of the benchmarks: an HTTPS client built from a kubeconfig, and percentiles.
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { parse as parseYaml } from 'yaml';

export interface KubeconfigCredentials { server: string; ca: string; cert: string; key: string }

export function readKubeconfig(path: string): KubeconfigCredentials {
  const cfg = parseYaml(readFileSync(path, 'utf8'));
  const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  return {
    server: cfg.clusters[0].cluster.server,
    ca: b64(cfg.clusters[0].cluster['certificate-authority-data']),
    cert: b64(cfg.users[0].user['client-certificate-data']),
    key: b64(cfg.users[0].user['client-key-data']),
  };
}

export function tlsAgent(creds: KubeconfigCredentials, connections: number): Agent {
  return new Agent({ connections, pipelining: 1, keepAliveTimeout: 60_000, connect: { ca: creds.ca, cert: creds.cert, key: creds.key } });
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))];
}

export function summarise(samplesMs: number[]): { p50: number; p99: number; max: number; n: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, n: sorted.length };
}

export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
