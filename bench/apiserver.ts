// `npm run bench:apiserver`: throughput and latency of granary apiserver over HTTPS, beside the raw
// SQLite durable insert rate of this machine measured in the same run. A benchmark, not a test:
// it prints numbers (and the targets from docs/benchmarks.md) and never fails on them.
// Creates and updates are driven by wrk (a C load generator, installed by the npm script) with a
// bearer token; the rest by undici with the admin's client certificate.
import { DatabaseSync } from 'node:sqlite';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { startApiServer, tempDir } from '../test/support/apiserver.ts';
import { fmt, readKubeconfig, summarise, tlsAgent } from './support.ts';

const CLIENTS = 64;
/** wrk threads; each updates the objects it created, so both phases use the same number. */
const WRK_THREADS = 2;
const WRITE_SECONDS = Number(process.env.BENCH_WRITE_SECONDS ?? 15);
const WARMUP_SECONDS = 3;
const PODS = 10_000;
const WATCHERS = 1_000;
const EVENT_RATE = 1_000;
const EVENT_SECONDS = 10;

function rawSqlite(): { singleCommitsPerSec: number; batchedRowsPerSec: number } {
  const db = new DatabaseSync(join(tempDir('bench-sqlite'), 'raw.db'));
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE kv (id INTEGER PRIMARY KEY, name TEXT, value TEXT)');
  const insert = db.prepare('INSERT INTO kv (name, value) VALUES (?, ?)');
  const value = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' }, data: { k: 'v' } });
  let start = performance.now();
  const singles = 2_000;
  for (let i = 0; i < singles; i++) insert.run(`/single/${i}`, value);
  const singleCommitsPerSec = singles / ((performance.now() - start) / 1000);
  start = performance.now();
  const batches = 400;
  for (let b = 0; b < batches; b++) {
    db.exec('BEGIN');
    for (let i = 0; i < 64; i++) insert.run(`/batch/${b}/${i}`, value);
    db.exec('COMMIT');
  }
  const batchedRowsPerSec = (batches * 64) / ((performance.now() - start) / 1000);
  db.close();
  return { singleCommitsPerSec, batchedRowsPerSec };
}

/** CPU time (user + system) of a process, or one of its threads, in ms, from /proc. */
function cpuMs(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface WrkResult { requests: number; seconds: number; p50_ms: number; p99_ms: number; max_ms: number; failed: number; socket_errors: number }

const run = promisify(execFile);

/** One wrk run of bench/configmaps.lua; returns its summary and the server's CPU time meanwhile. */
async function wrkPhase(url: string, seconds: number, mode: 'create' | 'update', token: string, namespace: string, rvFile: string, serverPid: number) {
  const before = { total: cpuMs(serverPid), main: cpuMs(serverPid, serverPid) };
  const { stdout } = await run('wrk', [
    `-t${WRK_THREADS}`, `-c${CLIENTS}`, `-d${seconds}s`, '--timeout', '10s', '-s', join(import.meta.dirname, 'configmaps.lua'), url,
    '--', mode, token, namespace, rvFile,
  ], { maxBuffer: 1 << 20 });
  const after = { total: cpuMs(serverPid), main: cpuMs(serverPid, serverPid) };
  const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
  const result = JSON.parse(line) as WrkResult;
  if (result.failed > 0 || result.socket_errors > 0) throw new Error(`wrk ${mode}: ${result.failed} failed requests, ${result.socket_errors} socket errors`);
  return { ...result, cpuPerRequestMs: (after.total - before.total) / result.requests, mainCpuPerRequestMs: (after.main - before.main) / result.requests };
}

/** Other work on the machine moves every number here; the load average says how much there was. */
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(): Promise<void> {
  console.log(`load average at start (1, 5, 15 min): ${load()}`);
  const raw = rawSqlite();
  const rawLine = `raw SQLite (WAL, synchronous=FULL): ${raw.singleCommitsPerSec.toFixed(0)} single-row commits/s, ${raw.batchedRowsPerSec.toFixed(0)} rows/s in 64-row transactions`;
  console.log(rawLine);

  const dir = tempDir('bench-apiserver');
  const token = `bench-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(tokenFile, `${token},bench,bench-uid,"system:masters"\n`, { mode: 0o600 });
  const server = await startApiServer({ args: ['--token-auth-file', tokenFile] });
  const serverPid = server.process.pid!;
  const creds = readKubeconfig(server.kubeconfig);
  const agent = tlsAgent(creds, CLIENTS);
  const call = async (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) => {
    const res = await request(`${creds.server}${path}`, {
      method, dispatcher: agent, body: body === undefined ? undefined : JSON.stringify(body),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
    return text;
  };
  try {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'bench' } });
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'bench-warmup' } });

    // Creates, then updates of what was created (each with its resourceVersion), from 64
    // keep-alive HTTPS connections, after a short warm-up so the JIT has seen the request path.
    await wrkPhase(server.url, WARMUP_SECONDS, 'create', token, 'bench-warmup', join(dir, 'warmup-rv.txt'), serverPid);
    const rvFile = join(dir, 'rv.txt');
    for (const mode of ['create', 'update'] as const) {
      const r = await wrkPhase(server.url, WRITE_SECONDS, mode, token, 'bench', rvFile, serverPid);
      console.log(`ConfigMap ${mode}s: ${(r.requests / r.seconds).toFixed(0)}/s over ${r.requests} requests in ${r.seconds.toFixed(1)} s from ${CLIENTS} clients (wrk); ` +
        `p50 ${fmt(r.p50_ms)}, p99 ${fmt(r.p99_ms)}; server CPU ${r.cpuPerRequestMs.toFixed(3)} ms per request (main thread ${r.mainCpuPerRequestMs.toFixed(3)} ms)`);
    }

    // LIST of 10,000 pods.
    let created = 0;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (created < PODS) {
        const i = created++;
        await call('POST', '/api/v1/namespaces/bench/pods', {
          metadata: { name: `pod-${i}`, labels: { app: 'bench', shard: String(i % 10) } },
          spec: { nodeName: `node-${i % 100}`, containers: [{ name: 'main', image: 'zookeeper:3.8.0', args: ['--port', '2181'], env: [{ name: 'A', value: 'b' }] }] },
        });
      }
    }));
    const listTimes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const body = await call('GET', '/api/v1/pods');
      listTimes.push(performance.now() - t0);
      if (i === 0 && JSON.parse(body).items.length !== PODS) throw new Error('LIST did not return every pod');
    }
    const list = summarise(listTimes);
    console.log(`LIST of ${PODS} pods: p50 ${fmt(list.p50)}, max ${fmt(list.max)} over ${list.n} lists`);

    // Watch delivery: 1,000 watchers, each watching its own namespace; 1,000 events/s spread over them.
    for (let w = 0; w < WATCHERS; w++) await call('POST', '/api/v1/namespaces', { metadata: { name: `watch-${w}` } });
    const watchAgent = tlsAgent(creds, WATCHERS + 10);
    const delivery: number[] = [];
    const streams = await Promise.all(Array.from({ length: WATCHERS }, async (_, w) => {
      const res = await request(`${creds.server}/api/v1/namespaces/watch-${w}/configmaps?watch=true&resourceVersion=${JSON.parse(await call('GET', `/api/v1/namespaces/watch-${w}/configmaps`)).metadata.resourceVersion}`, {
        dispatcher: watchAgent, headers: { accept: 'application/json' },
      });
      let buffered = '';
      res.body.on('data', (chunk: Buffer) => {
        const now = performance.timeOrigin + performance.now();
        buffered += chunk.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const m = /"sent":"(\d+(?:\.\d+)?)"/.exec(line);
          if (m) delivery.push(now - Number(m[1]));
        }
      });
      return res;
    }));
    const total = EVENT_RATE * EVENT_SECONDS;
    const started = performance.now();
    let sent = 0;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (sent < total) {
        const i = sent++;
        const due = started + (i * 1000) / EVENT_RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await call('POST', `/api/v1/namespaces/watch-${i % WATCHERS}/configmaps`, {
          metadata: { name: `ev-${i}`, annotations: { sent: String(performance.timeOrigin + performance.now()) } },
        });
      }
    }));
    const achieved = total / ((performance.now() - started) / 1000);
    await new Promise((r) => setTimeout(r, 1000));
    const d = summarise(delivery);
    console.log(`watch delivery to ${WATCHERS} watchers at ${achieved.toFixed(0)} events/s (each event to the watcher of its namespace): ${d.n}/${total} delivered, p50 ${fmt(d.p50)}, p99 ${fmt(d.p99)}`);
    for (const s of streams) s.body.destroy();
    await watchAgent.close();
    console.log(`(beside ${rawLine}; load average at the end: ${load()})`);
  } finally {
    await agent.close();
    await server.stop();
  }
}

await main();
