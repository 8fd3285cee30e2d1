// `npm run bench:monitoring`: what a MonitoringStack's discovery costs at 1,000 nodes, and how fast
// it follows changes. A benchmark: prints numbers (targets in docs/benchmarks.md), never fails on them.
//   1. `granary apiserver`, one real agent, `granary operator monitoring`, and 1,000 simulated nodes
//      (`granary agent --simulate`); a window with no MonitoringStack: the API server's CPU per
//      second, request rate and latency (from its own /metrics), and the operator's CPU.
//   2. A MonitoringStack with Debian's Prometheus (default intervals: targets asked every 10 s, scraped
//      every 30 s): time until every node's agent target and node exporter target is there; then the
//      same window again, plus the HTTP service discovery's own latency and answer size as served by
//      the operator.
//   3. 100 nodes more, then deleted: time from the change until Prometheus has (or no longer has)
//      their targets. Prometheus' log: error and warning lines.
// Addresses: 127.0.13.40 (operators) and .41 (the real node), beside the discovery test's .20 and .21.
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { startDiscoveryStack, type DiscoveryStack, type Target } from '../test/support/discovery-stack.ts';
import { fmt, readKubeconfig, summarise, tlsAgent } from './support.ts';

const NODES = Number(process.env.BENCH_NODES ?? 1_000);
const MORE = Number(process.env.BENCH_MORE_NODES ?? 100);
// Three of the simulated nodes' 20 s lease periods, so that both windows see the same renewals.
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 60_000);
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

type Samples = Map<string, number>;

/** The API server's request counters and latency buckets, by series. */
async function serverMetrics(stack: DiscoveryStack): Promise<Samples> {
  const creds = readKubeconfig(stack.server.kubeconfig);
  const res = await request(`${creds.server}/metrics`, { dispatcher: tlsAgent(creds, 1) });
  const text = await res.body.text();
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total') && !line.startsWith('apiserver_request_duration_seconds_bucket')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** Requests per second by verb and resource, and p50/p99 latency (upper bucket bounds) over a window. */
function requestsOver(before: Samples, after: Samples, seconds: number): string {
  const byVerb = new Map<string, number>();
  const buckets = new Map<number, number>();
  for (const [series, value] of after) {
    const delta = value - (before.get(series) ?? 0);
    if (series.startsWith('apiserver_request_total')) {
      const verb = `${/verb="([^"]+)"/.exec(series)?.[1] ?? '?'} ${/resource="([^"]*)"/.exec(series)?.[1] ?? ''}`.trim();
      byVerb.set(verb, (byVerb.get(verb) ?? 0) + delta);
    } else {
      const le = /le="([^"]+)"/.exec(series)?.[1];
      const bound = le === '+Inf' ? Infinity : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + delta);
    }
  }
  const total = [...byVerb.values()].reduce((a, b) => a + b, 0);
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const quantile = (q: number) => sorted.find(([, count]) => count >= q * total)?.[0] ?? NaN;
  const verbs = [...byVerb].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).map(([v, n]) => `${v} ${(n / seconds).toFixed(1)}`).join(', ');
  return `${(total / seconds).toFixed(1)} requests/s (${verbs}); latency p50 ≤ ${quantile(0.5) * 1000} ms, p99 ≤ ${quantile(0.99) * 1000} ms`;
}

async function measureWindow(stack: DiscoveryStack, what: string): Promise<void> {
  const server = stack.server.process.pid!;
  const operator = stack.operator.child.pid!;
  const before = { server: cpuSeconds(server), operator: cpuSeconds(operator), metrics: await serverMetrics(stack), at: Date.now() };
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const seconds = (Date.now() - before.at) / 1000;
  const requests = requestsOver(before.metrics, await serverMetrics(stack), seconds);
  console.log(`${what}, ${seconds.toFixed(0)} s:`);
  console.log(`  API server CPU ${((cpuSeconds(server) - before.server) / seconds * 1000).toFixed(0)} ms/s; ${requests}`);
  console.log(`  operator CPU ${((cpuSeconds(operator) - before.operator) / seconds * 1000).toFixed(0)} ms/s`);
}

/** Agent (node role) and node exporter (pod role) targets of simulated nodes named PREFIX-*. */
function simulatedTargets(targets: Target[], prefix: string): { agents: number; exporters: number } {
  const ours = (node: string | undefined) => node?.startsWith(`${prefix}-`) ?? false;
  return {
    agents: targets.filter((t) => t.labels.job === 'granary-agents' && ours(t.labels.node)).length,
    exporters: targets.filter((t) => t.labels.job === 'pods' && t.labels.component === 'node-exporter' && ours(t.labels.node)).length,
  };
}

/** Seconds from `since` until Prometheus has `agents` and `exporters` targets of PREFIX-* nodes, each counted on its own. */
async function untilTargets(stack: DiscoveryStack, prefix: string, want: number, since: number): Promise<{ agents: number; exporters: number }> {
  const seen: { agents?: number; exporters?: number } = {};
  const deadline = Date.now() + 300_000;
  while (seen.agents === undefined || seen.exporters === undefined) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${want} targets of ${prefix}-* nodes`);
    const now = simulatedTargets(await stack.targets(), prefix);
    const at = (Date.now() - since) / 1000;
    if (seen.agents === undefined && now.agents === want) seen.agents = at;
    if (seen.exporters === undefined && now.exporters === want) seen.exporters = at;
    await new Promise((r) => setTimeout(r, 250));
  }
  return seen as { agents: number; exporters: number };
}

async function discoveryLatency(stack: DiscoveryStack, role: 'nodes' | 'pods'): Promise<string> {
  const token = (await stack.kubectl.ok(['create', 'token', 'mon-prometheus', '--duration=1h'])).trim();
  const { Agent } = await import('undici');
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  const samples: number[] = [];
  let bytes = 0;
  let groups = 0;
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    const res = await request(`${stack.operatorEndpoint}/discovery/${role}`, { dispatcher, headers: { authorization: `Bearer ${token}` } });
    const body = await res.body.text();
    samples.push(performance.now() - started);
    bytes = body.length;
    groups = (JSON.parse(body) as unknown[]).length;
  }
  await dispatcher.close();
  const s = summarise(samples);
  return `/discovery/${role}: ${groups} target groups, ${(bytes / 1024).toFixed(0)} KiB; p50 ${fmt(s.p50)}, max ${fmt(s.max)} over ${s.n} requests`;
}

async function main(): Promise<void> {
  console.log(`bench:monitoring — ${NODES} simulated nodes, ${MORE} added and removed; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  const stack = await startDiscoveryStack({ subnet: '127.0.13', firstHost: 40 });
  try {
    let started = Date.now();
    await stack.simulate('sim', NODES);
    console.log(`${NODES} simulated nodes Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await measureWindow(stack, `no MonitoringStack, ${NODES} nodes`);

    started = Date.now();
    await stack.startMonitoring();
    console.log(`MonitoringStack available (Prometheus and Alertmanager installed and ready) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const first = await untilTargets(stack, 'sim', NODES, started);
    console.log(`every node's targets in Prometheus, from the stack's creation: agents ${first.agents.toFixed(1)} s, node exporters ${first.exporters.toFixed(1)} s`);
    await measureWindow(stack, `MonitoringStack discovering ${NODES} nodes`);
    console.log(`  ${await discoveryLatency(stack, 'nodes')}`);
    console.log(`  ${await discoveryLatency(stack, 'pods')}`);

    started = Date.now();
    const more = await stack.simulate('more', MORE);
    const added = await untilTargets(stack, 'more', MORE, started);
    console.log(`${MORE} nodes added: their targets in Prometheus after agents ${added.agents.toFixed(1)} s, node exporters ${added.exporters.toFixed(1)} s (from the simulator's start; its nodes register within ~1 s)`);
    await more.stop();
    started = Date.now();
    await stack.kubectl.ok(['delete', 'nodes', '-l', 'granary.dev/sim-group=more', '--wait=false']);
    const removed = await untilTargets(stack, 'more', 0, started);
    console.log(`${MORE} nodes deleted: their targets gone from Prometheus after agents ${removed.agents.toFixed(1)} s, node exporters ${removed.exporters.toFixed(1)} s`);

    const log = await stack.prometheusLog();
    const problems = log.split('\n').filter((l) => /level=(error|warn)/.test(l));
    console.log(`Prometheus' log: ${problems.length} error or warning lines${problems.length ? `, e.g. ${problems[0]}` : ''}`);
    console.log(`load average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  } finally {
    await stack.stop();
  }
}

await main();
