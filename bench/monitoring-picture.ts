// `npm run picture:monitoring`: takes docs/monitoring-rolling-restart.png, the picture in
// docs/monitoring.md — Prometheus' graph of ZooKeeper metrics during a rolling restart, as headless
// Chromium (Debian's) renders Prometheus' own web UI. A ZooKeeper ensemble of three on three agents
// (process runtime, 127.0.13.31-33), `granary operator all` (127.0.13.30) and a MonitoringStack
// scraping every 2 s; a minute of calm, a rolling Restart, a minute more, then the picture.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/support/apiserver.ts';
import { eventually } from '../test/support/eventually.ts';
import { startOperatorProcess, type OperatorProcess } from '../test/support/operator-process.ts';
import { startZookeeperStack } from '../test/support/zookeeper-stack.ts';

const SUBNET = '127.0.13';
const OUT = join(REPO_ROOT, 'docs', 'monitoring-rolling-restart.png');
const CALM_MS = Number(process.env.PICTURE_CALM_MS ?? 60_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const stack = await startZookeeperStack({ runtime: 'process', subnet: SUBNET, firstHost: 31, inProcessOperator: false });
  let operator: OperatorProcess | undefined;
  let stopping = false;
  try {
    // `granary operator all` needs every operator's CRD, the monitoring one included.
    execFileSync(process.execPath, [join(REPO_ROOT, 'src/cli/main.ts'), 'install', '--kubeconfig', stack.server.kubeconfig]);
    await stack.kubectl.ok(['wait', '--for=condition=Established', '--timeout=30s', 'crd/monitoringstacks.monitoring.granary.dev']);
    const started = startOperatorProcess(stack.server.kubeconfig, `${SUBNET}.30:0`, { args: ['--lease-namespace', 'default'], env: { ...process.env, GRANARY_LOG_LEVEL: 'warn' } });
    operator = started;
    started.child.once('exit', (code, signal) => {
      if (!stopping) console.error(`granary operator all exited (${code ?? signal}):\n${started.output().slice(-10_000)}`);
    });
    await stack.kubectl.ok(['apply', '-f', '-'], { input: `
apiVersion: zookeeper.granary.dev/v1alpha1
kind: ZookeeperCluster
metadata: { name: zk }
spec: { servers: { roleGroups: { default: { replicas: 3 } } } }
---
apiVersion: monitoring.granary.dev/v1alpha1
kind: MonitoringStack
metadata: { name: mon }
spec: { prometheus: { nodeName: ${stack.nodes[0].name}, scrapeInterval: 2s, evaluationInterval: 2s, discoveryRefreshInterval: 2s } }
` });
    await stack.kubectl.ok(['wait', '--for=condition=Available', 'zookeepercluster/zk', 'monitoringstack/mon', '--timeout=300s'], { timeoutMs: 310_000 });
    const prometheus = (await stack.kubectl.ok(['get', 'monitoringstack', 'mon', '-o', 'jsonpath={.status.prometheusUrl}'])).trim();
    await eventually('three servers in Prometheus', async () => {
      const r = await (await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent('sum(zookeeper_up)')}`)).json() as { data: { result: { value: [number, string] }[] } };
      return r.data.result[0]?.value[1] === '3' ? true : undefined;
    }, 120_000, 1000);
    const since = Date.now();
    console.log(`Prometheus at ${prometheus}; ${CALM_MS / 1000} s of calm`);
    await sleep(CALM_MS);
    await stack.kubectl.ok(['apply', '-f', '-'], { input: 'apiVersion: command.zookeeper.granary.dev/v1alpha1\nkind: Restart\nmetadata: { name: roll }\nspec: { name: zk }\n' });
    await stack.kubectl.ok(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'restart/roll', '--timeout=300s'], { timeoutMs: 310_000 });
    console.log(`rolling restart done; ${CALM_MS / 1000} s more`);
    await sleep(CALM_MS);

    // Two panels: every server's zookeeper_up, stacked (three while all serve, two while one
    // restarts), and which server leads.
    // The graphs end now and start just before the servers were first seen.
    const range = `${Math.ceil((Date.now() - since) / 60_000)}m`;
    const panel = (i: number, expr: string, stacked: boolean) =>
      `g${i}.expr=${encodeURIComponent(expr)}&g${i}.tab=0&g${i}.stacked=${stacked ? 1 : 0}&g${i}.range_input=${range}&g${i}.show_exemplars=0`;
    const url = `${prometheus}/graph?${panel(0, 'zookeeper_up', true)}&${panel(1, 'zookeeper_server_state{state="leader"}', false)}`;
    const profile = mkdtempSync(join(tmpdir(), 'granary-chromium-'));
    try {
      execFileSync('chromium', [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--hide-scrollbars',
        '--window-size=1400,1560', '--virtual-time-budget=20000', `--screenshot=${OUT}`, url,
      ], { stdio: 'pipe', timeout: 120_000 });
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
    console.log(`${OUT}: ${statSync(OUT).size} bytes, from ${url}`);
  } finally {
    stopping = true; // on purpose: no word about its exit
    await operator?.stop();
    await stack.stop();
  }
}

await main();
