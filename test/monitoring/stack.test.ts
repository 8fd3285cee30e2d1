// A MonitoringStack end to end with Debian's Prometheus, Alertmanager and node exporter on three
// agents (process runtime, nodes 127.0.13.1-3), a ZooKeeper ensemble of three, and
// `granary operator all` as its own process (metrics and discovery at 127.0.13.10). Every target
// is up, asked through Prometheus' HTTP API; node exporter metrics come from each node, ZooKeeper
// metrics from each server, and the agents' and operators' metrics are there. A ZooKeeper server
// killed (again each time it comes back) fires the shipped alert, which reaches Alertmanager; once
// it is left to start again, the alert resolves. The stack's spec shortens intervals and `for`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/apiserver.ts';
import { eventually } from '../support/eventually.ts';
import { startOperatorProcess, type OperatorProcess } from '../support/operator-process.ts';
import { startZookeeperStack, type ZookeeperStack } from '../support/zookeeper-stack.ts';
import { processesMentioning } from '../../src/agent/runtimes/host.ts';
import { MONITORING_STACK_CRD } from '../../src/operators/monitoring/crd.ts';
import { monitoringOperator } from '../../src/operators/monitoring/index.ts';

const SUBNET = '127.0.13';

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return await res.json() as T;
}

type Vector = { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
type Targets = { data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string; scrapeUrl: string }[] } };

describe('a MonitoringStack with the real Prometheus, Alertmanager and node exporter', () => {
  let stack: ZookeeperStack;
  let operator: OperatorProcess | undefined;
  let prometheus: string;
  let alertmanager: string;

  const query = (promql: string) => getJson<Vector>(`${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`).then((v) => v.data.result);

  before(async () => {
    stack = await startZookeeperStack({ runtime: 'process', subnet: SUBNET, inProcessOperator: false });
    const { client, kubectl } = stack;
    void client;
    execFileSync(process.execPath, [join(REPO_ROOT, 'src/cli/main.ts'), 'install', '--kubeconfig', stack.server.kubeconfig]);
    await kubectl.ok(['wait', '--for=condition=Established', '--timeout=30s', `crd/${MONITORING_STACK_CRD.metadata.name}`]);
    operator = startOperatorProcess(stack.server.kubeconfig, `${SUBNET}.10:0`, { args: ['--lease-namespace', 'default'], env: { ...process.env, GRANARY_LOG_LEVEL: 'warn' } });
    await kubectl.ok(['apply', '-f', '-'], { input: `
apiVersion: zookeeper.granary.dev/v1alpha1
kind: ZookeeperCluster
metadata: { name: zk }
spec: { servers: { roleGroups: { default: { replicas: 3 } } } }
---
apiVersion: monitoring.granary.dev/v1alpha1
kind: MonitoringStack
metadata: { name: mon }
spec:
  prometheus: { nodeName: zk-node-1, scrapeInterval: 1s, evaluationInterval: 1s, discoveryRefreshInterval: 2s, retention: 1d, retentionSize: 256MB }
  alertmanager: { nodeName: zk-node-2 }
  alerts: { for: 2s }
` });
    const status = await eventually('the stack to be available', async () => {
      const s = await client.resource('monitoring.granary.dev/v1alpha1', 'MonitoringStack').get('mon', 'default') as { status?: { prometheusUrl?: string; alertmanagerUrl?: string; conditions?: { type: string; status: string }[] } };
      return s.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ? s.status : undefined;
    }, 180_000, 500).catch(async (err) => {
      const pods = await kubectl.run(['get', 'pods,monitoringstacks,events', '-o', 'wide']);
      throw new Error(`${(err as Error).message}\n${pods.stdout}\noperators:\n${operator?.output().slice(-3000)}\nagents:\n${stack.agentOutput().slice(-3000)}`);
    });
    prometheus = status.prometheusUrl!;
    alertmanager = status.alertmanagerUrl!;
    assert.equal(prometheus, `http://${SUBNET}.1:9090`);
    assert.equal(alertmanager, `http://${SUBNET}.2:9093`);
    await kubectl.ok(['wait', '--for=condition=Available', 'zookeepercluster/zk', '--timeout=180s']);
  });

  after(async () => {
    await operator?.stop();
    await stack?.stop();
  });

  test('every target is up: Prometheus, Alertmanager, API server, operators, three agents, three node exporters', async () => {
    let seen: Targets['data']['activeTargets'] = [];
    try {
      const targets = await eventually('every target up', async () => {
        const active = (await getJson<Targets>(`${prometheus}/api/v1/targets?state=active`)).data.activeTargets;
        seen = active;
        const jobs = new Map<string, number>();
        for (const target of active) jobs.set(target.labels.job, (jobs.get(target.labels.job) ?? 0) + (target.health === 'up' ? 1 : 0));
        const expected: [string, number][] = [['prometheus', 1], ['alertmanager', 1], ['granary-apiserver', 1], ['granary-operators', 1], ['granary-agents', 3], ['pods', 3]];
        return expected.every(([job, n]) => jobs.get(job) === n) && active.every((a) => a.health === 'up') ? active : undefined;
      }, 60_000, 1000);
      assert.equal(targets.length, 10);
      const exporterNodes = new Set(targets.filter((x) => x.labels.job === 'pods').map((x) => x.labels.node));
      assert.deepEqual([...exporterNodes].sort(), ['zk-node-1', 'zk-node-2', 'zk-node-3']);
      const events = await stack.kubectl.ok(['get', 'events', '--field-selector', 'involvedObject.kind=MonitoringStack,involvedObject.name=mon', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
      for (const pod of ['mon-prometheus', 'mon-alertmanager', 'mon-node-exporter-zk-node-1']) assert.match(events, new RegExp(`^SuccessfulCreate: created pod ${pod} on node `, 'm'));
      assert.match(events, /^Running: Available is True: Prometheus and Alertmanager are ready$/m);
    } catch (err) {
      const logs = await stack.kubectl.run(['logs', 'mon-prometheus', '--tail=30']);
      throw new Error(`${(err as Error).message}: ${JSON.stringify(seen.map((x) => [x.labels.job, x.scrapeUrl, x.health, x.lastError]))}\n${logs.stdout}\n${operator?.output().slice(-3000)}`);
    }
  });

  test('node exporter metrics from each node, ZooKeeper metrics from each server, the agents\' and operators\' metrics', async () => {
    const load = await eventually('node_load1 of three nodes', async () => {
      const r = await query('node_load1');
      return r.length === 3 ? r : undefined;
    }, 30_000, 1000);
    assert.deepEqual(load.map((s) => s.metric.node).sort(), ['zk-node-1', 'zk-node-2', 'zk-node-3']);
    const up = await eventually('zookeeper_up of three servers', async () => {
      const r = await query('zookeeper_up == 1');
      return r.length === 3 ? r : undefined;
    }, 30_000, 1000);
    assert.deepEqual(up.map((s) => s.metric.server_id).sort(), ['1', '2', '3']);
    assert.ok(up.every((s) => s.metric.cluster === 'zk' && s.metric.namespace === 'default' && s.metric.role_group === 'default'));
    assert.equal((await query('sum(zookeeper_server_state{state="leader"})'))[0].value[1], '1');
    assert.ok(Number((await query('max(zookeeper_znode_count)'))[0].value[1]) > 0);
    assert.equal((await query('zookeeper_synced_followers')).length, 1, 'the leader reports its synced followers');
    assert.equal((await query('kubelet_running_pods')).length, 3);
    assert.ok((await query('kubelet_node_name')).every((s) => s.metric.node === s.metric.node_name || s.metric.node !== undefined));
    assert.ok((await query('controller_runtime_reconcile_total{controller="zookeepercluster",job="granary-operators"}')).length > 0);
    assert.ok((await query('apiserver_request_total{job="granary-apiserver"}')).length > 0);
    assert.equal((await query('kube_node_status_condition{condition="Ready",status="true"} == 1')).length, 3);
  });

  test('a killed ZooKeeper server fires ZooKeeperServerDown in Alertmanager; started again, it resolves', async () => {
    const node = stack.nodes[2];
    const javaOf = () => processesMentioning(`${node.root}/`).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'java';
      } catch {
        return false;
      }
    });
    type AmAlert = { labels: Record<string, string>; status: { state: string } };
    const received = await eventually('Alertmanager to receive ZooKeeperServerDown', async () => {
      // Killed again whenever the agent has started it again (back-off 10 s, 20 s, ...).
      for (const pid of javaOf()) process.kill(pid, 'SIGKILL');
      const alerts = await getJson<AmAlert[]>(`${alertmanager}/api/v2/alerts`);
      return alerts.find((a) => a.labels.alertname === 'ZooKeeperServerDown' && a.status.state === 'active');
    }, 90_000, 500);
    assert.equal(received.labels.cluster, 'zk');
    assert.equal(received.labels.pod, 'zk-server-default-3');
    assert.equal(received.labels.severity, 'critical');
    // `granary status` shows it, from the operator's summary.
    const summary = await monitoringOperator.summary!(stack.client);
    assert.equal(summary[0], `MonitoringStack default/mon: available, Prometheus at ${prometheus}, Alertmanager at ${alertmanager}`);
    assert.ok(summary.some((l) => /^ {4}ZooKeeperServerDown \(critical\) since \S+: ZooKeeper server 3 of default\/zk is down$/.test(l)), summary.join('\n'));
    // Left alone, the server is started again; the alert resolves in Prometheus and Alertmanager.
    await eventually('ZooKeeperServerDown to resolve', async () => {
      const firing = (await getJson<{ data: { alerts: { labels: Record<string, string> }[] } }>(`${prometheus}/api/v1/alerts`)).data.alerts
        .filter((a) => a.labels.alertname === 'ZooKeeperServerDown');
      const active = (await getJson<AmAlert[]>(`${alertmanager}/api/v2/alerts`)).filter((a) => a.labels.alertname === 'ZooKeeperServerDown' && a.status.state === 'active');
      return firing.length === 0 && active.length === 0 ? true : undefined;
    }, 120_000, 1000);
    assert.equal((await query('zookeeper_up == 1')).length, 3);
  });
});
