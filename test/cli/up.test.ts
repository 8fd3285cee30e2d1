// `granary up`, `status`, `install`, `operator` and `down` as a user runs them, through the
// repository's ./granary launcher: the control plane, three local node agents, the default package
// repository, the operators and their demo; Ctrl-C leaves no process behind; a rerun resumes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '../support/apiserver.ts';
import { freePort } from '../support/net.ts';
import { Kubectl } from '../support/kubectl.ts';
import { eventually } from '../support/eventually.ts';
import { lockLocalNodes } from '../support/local-nodes.ts';
import { OPERATORS } from '../../src/operators/index.ts';
import { ALL_CRDS } from '../../src/cli/crds.ts';
import { processesMentioning } from '../../src/agent/runtimes/host.ts';

const run = promisify(execFile);
const GRANARY = join(REPO_ROOT, 'granary');
const NODES = [['granary-node-1', '127.0.0.2'], ['granary-node-3', '127.0.0.4'], ['granary-node-2', '127.0.0.3']].sort();
const DEMO = OPERATORS.flatMap((o) => o.demo ?? []);

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/PID/stat, after the command name in parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return children;
}

/** State and command line, for failure messages. */
function describeProcess(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `[${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]}] ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 200)}`;
  } catch {
    return '(gone)';
  }
}

/** Running (a zombie has exited; only its parent, often init, has yet to collect its status). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

interface Up { child: ChildProcess; exited: Promise<number | null>; ready: Promise<void>; output(): string }

function startUp(home: string, listen: string, extra: string[] = []): Up {
  const child = spawn(GRANARY, ['up', '--listen', listen, '--wait', '240', ...extra], { env: { ...process.env, GRANARY_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // `granary up` waits at most 240 s for the nodes and the demo before it prints its summary.
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`granary up printed no summary within 420 s:\n${out}`)), 420_000);
    child.stdout!.on('data', () => {
      if (out.includes('Granary is up')) (clearTimeout(timer), resolve());
    });
    void exited.then((code) => (clearTimeout(timer), reject(new Error(`granary up exited early with ${code}:\n${out}`))));
  });
  ready.catch(() => {});
  return { child, exited, ready, output: () => out };
}

/** Ctrl-C as a terminal sends it; resolves with the exit code. Gives up (SIGKILL) after 180 s. */
async function interrupt(up: Up): Promise<number | null> {
  if (up.child.exitCode !== null || up.child.signalCode !== null) return up.child.exitCode;
  up.child.kill('SIGINT');
  const timer = setTimeout(() => up.child.kill('SIGKILL'), 180_000);
  const code = await up.exited;
  clearTimeout(timer);
  return code;
}

async function usageError(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const result = await run(GRANARY, args, { env }).then(() => undefined, (err: { code: number; stderr: string }) => err);
  assert.ok(result, `granary ${args.join(' ')} should fail`);
  assert.equal(result.code, 2, `granary ${args.join(' ')} is a usage error (exit 2): ${result.stderr}`);
  return result.stderr;
}

test('granary up: control plane, three Ready local nodes, the debian repository, operators, the monitoring stack and demo; status with firing alerts; Ctrl-C leaves nothing running; a rerun resumes, without monitoring when asked', async (t) => {
  t.after(await lockLocalNodes());
  const home = tempDir('up');
  const env = { ...process.env, GRANARY_HOME: home };
  delete (env as NodeJS.ProcessEnv).KUBECONFIG;
  const kubeconfig = join(home, 'admin.kubeconfig');
  const listen = `127.0.0.1:${await freePort()}`;
  const started: Up[] = [];
  // Whatever fails, nothing of this cluster may keep running (it would hold the node addresses).
  t.after(async () => {
    for (const up of started) await interrupt(up);
    for (const pid of processesMentioning(home)) process.kill(pid, 'SIGKILL');
  });

  const first = startUp(home, listen);
  started.push(first);
  await first.ready;
  const out = first.output();
  assert.match(out, /control plane ready at https:\/\/127\.0\.0\.1:\d+/);
  for (const crd of ALL_CRDS) assert.ok(out.includes(crd.metadata.name!), `up installs ${crd.metadata.name}:\n${out}`);
  assert.match(out, /package repository "debian" \(the host's apt\) created/);
  assert.match(out, /started 3 node agents \((systemd|process) runtime\): granary-node-1 on 127\.0\.0\.2, granary-node-2 on 127\.0\.0\.3, granary-node-3 on 127\.0\.0\.4/);
  for (const operator of OPERATORS) assert.match(out, new RegExp(`started the operators: .*${operator.name}`));
  assert.match(out, new RegExp(`Its kubeconfig is ${kubeconfig}`));
  assert.match(out, new RegExp(`export KUBECONFIG=${kubeconfig}`));
  assert.match(out, /kubectl get nodes/);

  const kubectl = new Kubectl('1.33', kubeconfig);
  const readyNodes = async () => {
    const lines = (await kubectl.ok(['get', 'nodes', '-l', 'granary.dev/local=true', '-o',
      'jsonpath={range .items[*]}{.metadata.name} {.status.addresses[?(@.type=="InternalIP")].address} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}'])).trim().split('\n').sort();
    return lines.every((l) => l.endsWith(' True')) && lines.length === 3 ? lines.map((l) => l.split(' ').slice(0, 2)) : undefined;
  };
  // The summary comes once the nodes are Ready, unless the wait ran out; then they are still coming.
  assert.deepEqual(await eventually('three Ready local nodes', readyNodes, 120_000), NODES);
  for (const [name] of NODES) assert.match(out, new RegExp(`node ${name} is Ready`));
  assert.equal(await kubectl.ok(['get', 'packagerepository', 'debian', '-o', 'jsonpath={.spec.os.packageManager}']), 'apt');
  // The monitoring stack, by default: Prometheus finds every agent, the API server and the operators.
  assert.match(out, /monitoring MonitoringStack default\/monitoring created/);
  assert.match(out, /MonitoringStack default\/monitoring: available, Prometheus at http:\/\/127\.0\.0\.2:9090, Alertmanager at http:\/\/127\.0\.0\.2:9093\n {4}(no alerts firing|\d+ alerts? firing:)/);
  const jobs = await eventually('Prometheus to discover its targets', async () => {
    const targets = (await (await fetch('http://127.0.0.2:9090/api/v1/targets')).json() as { data: { activeTargets: { labels: { job: string } }[] } }).data.activeTargets;
    const count = (job: string) => targets.filter((t) => t.labels.job === job).length;
    return count('granary-agents') === 3 && count('pods') === 3 ? targets.map((t) => t.labels.job).sort() : undefined;
  }, 60_000);
  assert.deepEqual([...new Set(jobs)], ['alertmanager', 'granary-agents', 'granary-apiserver', 'granary-operators', 'pods', 'prometheus']);
  for (const object of DEMO) {
    assert.match(out, new RegExp(`demo ${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name} created`));
    await kubectl.ok(['get', `${object.kind!.toLowerCase()}.${object.apiVersion!.split('/')[0]}`, object.metadata.name!, ...(object.metadata.namespace ? ['-n', object.metadata.namespace] : [])]);
  }
  const nodeUids = await kubectl.ok(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.uid}']);
  await kubectl.ok(['create', 'configmap', 'kept', '--from-literal=mine=yes']);
  const keptUid = await kubectl.ok(['get', 'configmap', 'kept', '-o', 'jsonpath={.metadata.uid}']);

  const status = (await run(GRANARY, ['status'], { env })).stdout;
  assert.match(status, new RegExp(`granary is up \\(pid ${first.child.pid}\\), control plane https://${listen}`));
  assert.match(status, /nodes: 3 \(3 ready\)/);
  assert.match(status, /pods: \d+/);
  for (const object of DEMO.filter((o) => o.metadata.namespace)) assert.match(status, new RegExp(`${object.kind} default/${object.metadata.name}`), `status summarises the demo:\n${status}`);
  assert.match(status, /^MonitoringStack default\/monitoring: available, Prometheus at http:\/\/127\.0\.0\.2:9090.*\n {2}(no alerts firing|\d+ alerts? firing:)$/m, 'status shows the firing alerts');

  // The demo ensemble speaks TLS to clients with a certificate: up wrote one, and the printed zkCli.sh command works.
  if (out.includes('demo ZookeeperCluster default/demo is available')) {
    for (const file of ['tls.crt', 'tls.key', 'ca.crt', 'keystore.p12', 'truststore.p12']) assert.equal(statSync(join(home, 'zookeeper-client', file)).mode & 0o777, 0o600, file);
    const command = /^ {4}(CLIENT_JVMFLAGS=".*") \\\n {6}(\S+zkCli\.sh -server \S+)$/m.exec(out);
    assert.ok(command, `up prints a zkCli.sh command:\n${out}`);
    const cli = await run('bash', ['-c', `${command[1]} ${command[2]} ls /`], { env });
    assert.match(cli.stdout, /\[zookeeper\]|zookeeper\]/, `the printed zkCli.sh command lists the root znode:\n${cli.stdout}\n${cli.stderr}`);
  }
  assert.match(status, new RegExp(`kubeconfig: ${kubeconfig}`));

  // Against another cluster: what a user with their own Kubernetes runs, by hand or with `granary install`.
  const printed = (await run(GRANARY, ['crd', 'print'], { env })).stdout;
  const applied = await kubectl.ok(['apply', '--dry-run=server', '-f', '-'], { input: printed });
  for (const crd of ALL_CRDS) assert.match(applied, new RegExp(`customresourcedefinition.apiextensions.k8s.io/${crd.metadata.name}`));
  const installed = (await run(GRANARY, ['install', '--kubeconfig', kubeconfig], { env })).stdout;
  for (const crd of ALL_CRDS) assert.match(installed, new RegExp(`customresourcedefinition ${crd.metadata.name} installed`));
  assert.match(await usageError(['install'], env), /--kubeconfig FILE/);
  assert.match(await usageError(['install', 'everything', '--kubeconfig', kubeconfig], env), /takes no arguments/);
  assert.match(await usageError(['operator', '--kubeconfig', kubeconfig], env), new RegExp(`one of all${OPERATORS.map((o) => `, ${o.name}`).join('')}`));
  assert.match(await usageError(['operator', 'nosuch', '--kubeconfig', kubeconfig], env), /unknown operator "nosuch"/);
  await usageError(['operator', 'all', '--no-such-flag'], env);
  assert.match(await usageError(['up', '--listen', listen], env), /already up/);

  // The rerun leaves monitoring out; a stack from before would stay, so it goes now.
  await kubectl.ok(['delete', 'monitoringstack', 'monitoring', '--wait=true', '--timeout=60s']);
  await eventually('the monitoring pods gone', async () => ((await kubectl.ok(['get', 'pods', '-o', 'name'])).includes('monitoring-') ? undefined : true), 60_000);

  // Everything this cluster runs: agents and operators (children of granary up) and the pods' services.
  const children = childrenOf(first.child.pid!);
  assert.equal(children.length, 3 + (OPERATORS.length > 0 ? 1 : 0), `three agents and the operators run as child processes of granary up: ${children}`);
  const running = processesMentioning(home);
  for (const pid of children) assert.ok(running.includes(pid));
  const services = running.filter((pid) => !children.includes(pid) && pid !== first.child.pid);

  assert.equal(await interrupt(first), 0, `Ctrl-C stops granary up cleanly:\n${first.output()}`);
  assert.match(first.output(), /• stopped\n/);
  const left = running.filter(alive).map((pid) => `${pid} ${describeProcess(pid)}`);
  assert.deepEqual(left, [], `every agent, the operators and every pod service are gone after Ctrl-C:\n${first.output()}`);
  assert.deepEqual(processesMentioning(home), [], 'no process of the cluster is left');
  const stopped = await run(GRANARY, ['status'], { env }).catch((err: { code: number; stdout: string }) => err);
  assert.equal((stopped as { code: number }).code, 3);

  // The rerun resumes the same cluster: same Node objects, the user's ConfigMap, the demo kept as it is.
  const resumedAt = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const second = startUp(home, listen, ['--no-monitoring']);
  started.push(second);
  await second.ready;
  // Its summary comes once this run's operators said the demo is available, not from the first run's status.
  const available = JSON.parse(await kubectl.ok(['get', 'zookeepercluster', 'demo', '-o', 'jsonpath={.status.conditions[?(@.type=="Available")]}'])) as { status: string; lastTransitionTime: string };
  assert.equal(available.status, 'True');
  assert.ok(available.lastTransitionTime >= resumedAt, `Available since ${available.lastTransitionTime}, before the rerun began at ${resumedAt}:\n${second.output()}`);
  assert.doesNotMatch(second.output(), /MonitoringStack/, `--no-monitoring leaves the stack out:\n${second.output()}`);
  assert.equal(await kubectl.ok(['get', 'monitoringstacks', '-o', 'name']), '');
  assert.match(second.output(), /package repository "debian" \(the host's apt\) kept as it is/);
  for (const object of DEMO) assert.match(second.output(), new RegExp(`demo ${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name} exists; kept as it is`));
  assert.deepEqual(await eventually('three Ready local nodes after the rerun', readyNodes, 120_000), NODES);
  assert.equal(await kubectl.ok(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.uid}']), nodeUids);
  assert.equal(await kubectl.ok(['get', 'configmap', 'kept', '-o', 'jsonpath={.metadata.uid}']), keptUid);
  if (services.length > 0) {
    // The pods' services stopped with Ctrl-C; the agents start them again.
    await eventually('the pods\' services running again', async () => {
      const now = processesMentioning(home).filter((pid) => pid !== second.child.pid && !childrenOf(second.child.pid!).includes(pid));
      return now.length >= services.length ? now : undefined;
    }, 120_000);
  }

  const down = await run(GRANARY, ['down'], { env });
  assert.match(down.stdout, new RegExp(`granary stopped \\(pid ${second.child.pid}\\)`));
  assert.equal(await second.exited, 0);
  assert.deepEqual(processesMentioning(home), [], 'granary down leaves no process of the cluster');
});
