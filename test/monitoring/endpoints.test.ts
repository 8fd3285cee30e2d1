// The metrics endpoints of an agent and of the operators, protected as a kubelet's is, and the
// events an agent records — end to end: `granary apiserver`, an agent under its node's own
// credential (process runtime, node address 127.0.13.2) running Debian's node exporter as a pod,
// and `granary operator zookeeper`. A scrape without credentials is refused (401); a
// ServiceAccount token is refused (403) until a ClusterRole allows nodes/metrics (agent) or the
// non-resource URL /metrics (operator); `kubectl get events` and `kubectl describe` tell the pod's story.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { REPO_ROOT, startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { Kubectl } from '../support/kubectl.ts';
import { freePort } from '../support/net.ts';
import { eventually } from '../support/eventually.ts';
import { writeNodeKubeconfig } from '../../src/apiserver/auth/node-credentials.ts';
import { KubeClient } from '../../src/client/client.ts';

const NODE = 'metrics-node-1';
const NODE_IP = '127.0.13.2';
const CLI = join(REPO_ROOT, 'src/cli/main.ts');
const insecure = new Agent({ connect: { rejectUnauthorized: false } });

function startProcess(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<void>; stop: () => Promise<void> } {
  let out = '';
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GRANARY_LOG_LEVEL: 'info' } });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child, output: () => out, exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function scrape(url: string, token?: string): Promise<{ status: number; body: string }> {
  const res = await request(url, { dispatcher: insecure, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, body: await res.body.text() };
}

describe('metrics endpoints and events', () => {
  let server: RunningApiServer;
  let client: KubeClient;
  let kubectl: Kubectl;
  let agent: ReturnType<typeof startProcess>;
  let operator: ReturnType<typeof startProcess>;
  let agentUrl: string;
  let operatorUrl: string;

  before(async () => {
    server = await startApiServer();
    client = KubeClient.fromKubeconfig(server.kubeconfig);
    kubectl = new Kubectl('1.33', server.kubeconfig);
    const install = startProcess(['install', '--kubeconfig', server.kubeconfig]);
    await install.exited;
    assert.equal(install.child.exitCode, 0, install.output());
    await kubectl.ok(['wait', '--for=condition=Established', 'crd/packagerepositories.packages.granary.dev']);
    await kubectl.ok(['apply', '-f', '-'], { input: 'apiVersion: packages.granary.dev/v1alpha1\nkind: PackageRepository\nmetadata: {name: debian}\nspec: {os: {packageManager: apt}}\n' });
    const root = tempDir('metrics-agent');
    chmodSync(root, 0o755);
    const nodeKubeconfig = await writeNodeKubeconfig(server.dataDir, NODE, server.url);
    agent = startProcess(['agent', '--kubeconfig', nodeKubeconfig, '--node-name', NODE, '--node-ip', NODE_IP, '--port', '0', '--runtime', 'process', '--root', root]);
    const port = await eventually('the node to register its kubelet port', async () => {
      const node = await client.resource('v1', 'Node').get(NODE) as { status?: { daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } };
      return node.status?.daemonEndpoints?.kubeletEndpoint?.Port || undefined;
    }, 30_000);
    agentUrl = `https://${NODE_IP}:${port}/metrics`;
    operator = startProcess(['operator', 'zookeeper', '--kubeconfig', server.kubeconfig, '--metrics-bind-address', '127.0.13.1:0']);
    operatorUrl = await eventually('the operator to serve metrics', async () => {
      const m = /"msg":"serving metrics"/.test(operator.output()) && /"address":\{"address":"127\.0\.13\.1","family":"IPv4","port":(\d+)\}/.exec(operator.output());
      return m ? `https://127.0.13.1:${m[1]}/metrics` : undefined;
    }, 30_000);
  });

  after(async () => {
    await operator?.stop();
    await agent?.stop();
    await client?.close();
    await server?.stop();
  });

  /** A token of a new ServiceAccount, bound to a ClusterRole with `rules` when they are given. */
  async function serviceAccountToken(name: string, rules?: string): Promise<string> {
    await kubectl.ok(['create', 'serviceaccount', name]);
    if (rules) {
      await kubectl.ok(['apply', '-f', '-'], { input: `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: ${name}}\nrules: ${rules}\n` });
      await kubectl.ok(['create', 'clusterrolebinding', name, `--clusterrole=${name}`, `--serviceaccount=default:${name}`]);
    }
    return (await kubectl.ok(['create', 'token', name, '--duration=1h'])).trim();
  }

  test('an agent serves kubelet metrics only to callers allowed nodes/metrics', async () => {
    assert.equal((await scrape(agentUrl)).status, 401, 'no credentials');
    assert.equal((await scrape(agentUrl, 'not-a-token')).status, 401, 'a token the API server does not know');
    const refused = await scrape(agentUrl, await serviceAccountToken('nobody'));
    assert.equal(refused.status, 403);
    assert.match(refused.body, /system:serviceaccount:default:nobody/);
    const token = await serviceAccountToken('agent-scraper', '[{apiGroups: [""], resources: [nodes/metrics], verbs: [get]}]');
    const allowed = await scrape(agentUrl, token);
    assert.equal(allowed.status, 200);
    assert.match(allowed.body, new RegExp(`^kubelet_node_name\\{node="${NODE}"\\} 1$`, 'm'));
    assert.match(allowed.body, /^kubelet_running_pods \d+$/m);
    const ttl = Number(/^kubelet_certificate_manager_client_ttl_seconds (\S+)$/m.exec(allowed.body)?.[1]);
    assert.ok(ttl > 3600, `the node certificate's remaining life is reported (${ttl} s)`);
    assert.match(allowed.body, /^rest_client_requests_total\{/m);
    // Metrics do not open the logs (nodes/proxy), which only the API server reads.
    assert.equal((await scrape(agentUrl.replace('/metrics', '/containerLogs/default/x/y'), token)).status, 403);
  });

  test('an operator serves controller-runtime metrics only to callers allowed /metrics', async () => {
    assert.equal((await scrape(operatorUrl)).status, 401);
    assert.equal((await scrape(operatorUrl, await serviceAccountToken('nobody-else'))).status, 403);
    const allowed = await scrape(operatorUrl, await serviceAccountToken('operator-scraper', '[{nonResourceURLs: [/metrics], verbs: [get]}]'));
    assert.equal(allowed.status, 200);
    assert.match(allowed.body, /^leader_election_master_status\{name="granary-operator-zookeeper"\} 1$/m);
    assert.match(allowed.body, /^workqueue_depth\{name="[^"]+"\} \d+$/m);
    assert.match(allowed.body, /^controller_runtime_reconcile_total\{controller="[^"]+",result="success"\} \d+$/m);
    assert.match(allowed.body, /^process_cpu_seconds_total /m);
  });

  test('the agent records what a kubelet records, and kubectl shows it', async () => {
    const port = await freePort(NODE_IP);
    await kubectl.ok(['apply', '-f', '-'], { input: `
apiVersion: v1
kind: Pod
metadata: { name: node-exporter }
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 5
  containers:
  - name: exporter
    image: prometheus-node-exporter:1.5.0
    command: [/usr/bin/prometheus-node-exporter, --web.listen-address=${NODE_IP}:${port}, --collector.disable-defaults, --collector.loadavg]
    readinessProbe: { httpGet: { path: /metrics, port: ${port} }, periodSeconds: 1 }
` });
    await kubectl.ok(['wait', '--for=condition=Ready', 'pod/node-exporter', '--timeout=120s']);
    const reasons = await eventually('Pulled, Created and Started events', async () => {
      const out = await kubectl.ok(['get', 'events', '--field-selector', 'involvedObject.name=node-exporter', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
      const seen = new Set(out.trim().split('\n'));
      return ['Pulled', 'Created', 'Started'].every((r) => seen.has(r)) ? seen : undefined;
    });
    assert.ok(reasons.has('Started'));
    const described = await kubectl.ok(['describe', 'pod', 'node-exporter']);
    assert.match(described, /Started\s+\S+\s+granary-agent\s+Started container exporter/);
    await kubectl.ok(['delete', 'pod', 'node-exporter', '--wait=true', '--timeout=60s']);
    await eventually('a Killing event', async () => {
      const out = await kubectl.ok(['get', 'events', '--field-selector', 'involvedObject.name=node-exporter,reason=Killing', '-o', 'name']);
      return out.trim() ? out : undefined;
    });
  });
});
