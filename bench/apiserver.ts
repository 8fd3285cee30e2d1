// `npm run bench:apiserver`: throughput and latency of granary apiserver over HTTPS, beside the raw
// SQLite durable insert rate of this machine measured in the same run. A benchmark, not a test:
// it prints numbers (and the targets from docs/benchmarks.md) and never fails on them.
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { request } from 'undici';
import { startApiServer, tempDir } from '../test/support/apiserver.ts';
import { fmt, readKubeconfig, summarise, tlsAgent } from './support.ts';

const CLIENTS = 64;
const WRITES = Number(process.env.BENCH_WRITES ?? 20_000);
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

async function main(): Promise<void> {
  const raw = rawSqlite();
  console.log(`raw SQLite (WAL, synchronous=FULL): ${raw.singleCommitsPerSec.toFixed(0)} single-row commits/s, ${raw.batchedRowsPerSec.toFixed(0)} rows/s in 64-row transactions`);

  const server = await startApiServer();
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

    // Creates and updates from 64 keep-alive clients.
    const runPhase = async (label: string, op: (i: number) => Promise<unknown>) => {
      const latencies: number[] = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(Array.from({ length: CLIENTS }, async () => {
        while (next < WRITES) {
          const i = next++;
          const t0 = performance.now();
          await op(i);
          latencies.push(performance.now() - t0);
        }
      }));
      const seconds = (performance.now() - started) / 1000;
      const s = summarise(latencies);
      console.log(`${label}: ${(WRITES / seconds).toFixed(0)}/s over ${WRITES} requests from ${CLIENTS} clients; p50 ${fmt(s.p50)}, p99 ${fmt(s.p99)}`);
    };
    const versions: string[] = [];
    await runPhase('ConfigMap creates', async (i) => {
      const created = JSON.parse(await call('POST', '/api/v1/namespaces/bench/configmaps', { metadata: { name: `cm-${i}` }, data: { index: String(i) } }));
      versions[i] = created.metadata.resourceVersion;
    });
    await runPhase('ConfigMap updates', (i) => call('PUT', `/api/v1/namespaces/bench/configmaps/cm-${i}`, {
      metadata: { name: `cm-${i}`, resourceVersion: versions[i] }, data: { index: String(i), updated: 'yes' },
    }));

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
  } finally {
    await agent.close();
    await server.stop();
  }
}

await main();
