// Granary on a fleet, installed the way an administrator installs it: the Debian package built
// from this repository goes with dpkg onto three Debian hosts (each its own root filesystem,
// systemd as PID 1, host name and loopback address 127.0.15.N; test/support/debian-hosts.ts).
// `granary init` on the first, `granary join` on the others (after one refused attempt with a
// wrong CA hash), a ZooKeeper ensemble across the three, an upgrade to a newer build that keeps
// every object and the ensemble's data, `granary leave` moving a server, and finally remove,
// reinstall and purge on the control plane host.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../src/api/meta.ts';
import { KubeClient } from '../../src/client/client.ts';
import { withZooKeeper } from '../../src/operators/zookeeper/zk-client.ts';
import { baseRootfs, bootHost, debianHostsUnavailable, type DebianHost } from '../support/debian-hosts.ts';
import { granaryDebs, type GranaryDebs } from '../support/granary-debs.ts';
import { eventually } from '../support/eventually.ts';
import { Kubectl } from '../support/kubectl.ts';
import { runDir } from '../support/run-artifacts.ts';

const SERVER = 'https://127.0.15.1:6443';
const HOSTS = [1, 2, 3].map((i) => ({ name: `host-${i}`, address: `127.0.15.${i}` }));
const UNITS = ['granary-apiserver.service', 'granary-operator.service', 'granary-agent.service'];
const WAIT_MS = 240_000;
const ZNODE = '/granary-fleet/upgrade';

const ZOOKEEPER = `
apiVersion: zookeeper.granary.dev/v1alpha1
kind: ZookeeperCluster
metadata: { name: fleet }
spec:
  servers:
    config: { tickTime: 500, heapMiB: 96 }
    roleGroups:
      default: { replicas: 3 }
`;

type Pod = KubeObject & { spec: { nodeName?: string }; status?: { phase?: string } };
type Cluster = KubeObject & { status?: { connectionString?: string; conditions?: { type: string; status: string; message?: string }[] } };

describe('Granary on a fleet from its Debian package', { skip: debianHostsUnavailable() }, () => {
  let debs: GranaryDebs;
  const hosts: DebianHost[] = [];
  let kubectl: Kubectl;
  let admin: KubeClient;
  let joinLine = '';
  const timings: Record<string, number> = {};

  const host = (name: string) => hosts.find((h) => h.name === name)!;
  const granary = (h: DebianHost, args: string[]) => h.run(['granary', ...args], { timeoutMs: WAIT_MS + 60_000 });
  const serverPods = async () => (await admin.resource<Pod>('v1', 'Pod').list('default', { labelSelector: 'app.kubernetes.io/instance=fleet' })).items
    .filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'server');
  const cluster = () => admin.resource<Cluster>('zookeeper.granary.dev/v1alpha1', 'ZookeeperCluster').get('fleet', 'default');
  /** How a client reaches the ensemble: its servers, over TLS with the CA the discovery ConfigMap carries. */
  const zookeeper = async (): Promise<[string, { ca: string }]> => {
    const discovery = await admin.resource<KubeObject & { data?: Record<string, string> }>('v1', 'ConfigMap').get('fleet', 'default');
    assert.equal(discovery.data?.ZOOKEEPER_TLS, 'true', 'the ensemble speaks TLS, as by default');
    return [(await cluster()).status!.connectionString!, { ca: discovery.data!['ca.crt'] }];
  };
  const available = async () => {
    const c = await cluster();
    return c.status?.conditions?.some((x) => x.type === 'Available' && x.status === 'True') ? c : undefined;
  };
  const unitState = async (h: DebianHost, unit: string) => ({
    enabled: (await h.run(['systemctl', 'is-enabled', unit])).stdout.trim(),
    active: (await h.run(['systemctl', 'is-active', unit])).stdout.trim(),
  });
  /** Every object the API server holds (Events aside, which come and go), as apiVersion/kind/namespace/name → uid. */
  const everyObject = async (): Promise<Map<string, string>> => {
    const kinds = (await kubectl.ok(['api-resources', '--verbs=list', '-o', 'name'])).trim().split('\n').filter((k) => !/^events(\.|$)/.test(k));
    const list = JSON.parse(await kubectl.ok(['get', kinds.join(','), '--all-namespaces', '-o', 'json'], { timeoutMs: 120_000 })) as { items: KubeObject[] };
    return new Map(list.items.map((o) => [`${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o.metadata.uid!]));
  };
  /** The service's run: systemd's invocation id changes with every (re)start. */
  const invocation = async (h: DebianHost, unit: string) => (await h.exec(['systemctl', 'show', '--property=InvocationID', '--value', unit])).trim();

  before(async () => {
    const started = Date.now();
    const [rootfs, built] = await Promise.all([baseRootfs(), granaryDebs()]);
    debs = built;
    timings.artifactsSeconds = (Date.now() - started) / 1000;
    for (const { name, address } of HOSTS) hosts.push(await bootHost(rootfs, name, address, [debs.dir]));
  });

  let failed = false;
  afterEach((t) => {
    // The steps build on one another: after a failure, the journals say what went wrong.
    if (!(t as unknown as { passed: boolean }).passed) failed = true;
  });

  after(async () => {
    if (failed) {
      for (const args of [['get', 'nodes,pods', '-o', 'wide'], ['get', 'zookeeperclusters', 'fleet', '-o', 'yaml'], ['get', 'events', '--sort-by=.lastTimestamp']]) {
        const out = await kubectl?.run(args).catch((err: Error) => ({ stdout: '', stderr: err.message }));
        process.stderr.write(`--- kubectl ${args.join(' ')} ---\n${out?.stdout ?? ''}${out?.stderr ?? ''}\n`);
      }
      for (const h of hosts) {
        const journal = await h.run(['journalctl', '--no-pager', '-n', '200', ...UNITS.flatMap((u) => ['-u', u])]);
        process.stderr.write(`--- ${h.name} journal ---\n${journal.stdout}\n`);
      }
    }
    await admin?.close();
    await Promise.all(hosts.map((h) => h.stop()));
    process.stderr.write(`fleet timings: ${JSON.stringify(timings)}\n`);
  });

  test('dpkg installs the package on bare Debian hosts; nothing is enabled or started', async () => {
    for (const h of hosts) {
      const started = Date.now();
      await h.exec(['dpkg', '-i', debs.current]);
      timings[`install-${h.name}`] = (Date.now() - started) / 1000;
      assert.equal((await h.exec(['dpkg-query', '-W', '-f=${Version}', 'granary'])).trim(), debs.version);
      for (const unit of UNITS) assert.deepEqual(await unitState(h, unit), { enabled: 'disabled', active: 'inactive' }, `${unit} on ${h.name}`);
      assert.match(await h.exec(['getent', 'passwd', '_granary']), /^_granary:/);
      assert.match(await h.exec(['granary', 'help']), /join --server URL --token/);
    }
  });

  test('granary init starts the control plane and operators as services and prints the join command', async (t) => {
    // The operators' metrics would listen on every address by default, shared by all hosts here.
    await host('host-1').exec(['sh', '-c', `echo 'GRANARY_OPERATOR_ARGS="--metrics-bind-address ${HOSTS[0].address}:8443"' > /etc/granary/operator.env`]);
    const result = await granary(host('host-1'), ['init', '--listen', `${HOSTS[0].address}:6443`]);
    t.diagnostic(result.stdout);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Granary's control plane is running at https:\/\/127\.0\.15\.1:6443/);
    assert.match(result.stdout, /this host is node host-1, Ready/);
    joinLine = /granary join .*\\\n\s*--ca-cert-hash sha256:[0-9a-f]{64}/.exec(result.stdout)?.[0].replace(/\\\n\s*/, '') ?? '';
    assert.match(joinLine, /^granary join --server https:\/\/127\.0\.15\.1:6443 --token [a-z0-9]{6}\.[a-z0-9]{16} --ca-cert-hash sha256:[0-9a-f]{64}$/);
    for (const unit of UNITS) assert.deepEqual(await unitState(host('host-1'), unit), { enabled: 'enabled', active: 'active' }, unit);
    // The control plane runs as its own user, sandboxed, and logs to journald.
    const apiserverUser = (await host('host-1').exec(['sh', '-c', 'stat -c %U "/proc/$(systemctl show --property=MainPID --value granary-apiserver.service)"'])).trim();
    assert.equal(apiserverUser, '_granary');
    assert.equal((await host('host-1').exec(['systemctl', 'show', '--property=ProtectSystem', '--value', 'granary-apiserver.service'])).trim(), 'strict');
    assert.match(await host('host-1').exec(['journalctl', '--no-pager', '-u', 'granary-apiserver.service']), /API server ready/);
    assert.equal((await host('host-1').exec(['stat', '-c', '%U %a', '/var/lib/granary/apiserver'])).trim(), '_granary 700');

    const kubeconfig = join(runDir(), 'fleet-admin.kubeconfig');
    writeFileSync(kubeconfig, await host('host-1').exec(['cat', '/var/lib/granary/apiserver/admin.kubeconfig']), { mode: 0o600 });
    kubectl = new Kubectl('1.33', kubeconfig);
    admin = KubeClient.fromKubeconfig(kubeconfig);
  });

  test('granary join with a wrong CA hash refuses before it sends the token anywhere', async (t) => {
    const wrong = joinLine.replace(/sha256:[0-9a-f]{64}/, `sha256:${'0'.repeat(64)}`).split(' ').slice(1);
    const result = await granary(host('host-2'), wrong);
    t.diagnostic(result.stderr);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /refusing to join: the server at https:\/\/127\.0\.15\.1:6443 is not the control plane you pinned/);
    assert.deepEqual(await unitState(host('host-2'), 'granary-agent.service'), { enabled: 'disabled', active: 'inactive' });
    assert.equal((await host('host-2').run(['test', '-e', '/etc/granary/bootstrap.kubeconfig'])).code, 1, 'no bootstrap kubeconfig written');
    const csrs = JSON.parse(await kubectl.ok(['get', 'csr', '-o', 'json'])) as { items: { spec: { username: string } }[] };
    assert.equal(csrs.items.length, 1, 'only host-1 has asked for a certificate');
  });

  test('granary join on two more hosts: three nodes Ready', async (t) => {
    for (const h of hosts.slice(1)) {
      const started = Date.now();
      const result = await granary(h, [...joinLine.split(' ').slice(1), '--node-ip', h.address]);
      timings[`join-${h.name}`] = (Date.now() - started) / 1000;
      t.diagnostic(result.stdout);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, new RegExp(`This host is node ${h.name} \\(${h.address.replaceAll('.', '\\.')}\\) and it is Ready`));
      assert.deepEqual(await unitState(h, 'granary-agent.service'), { enabled: 'enabled', active: 'active' });
      assert.equal((await h.run(['test', '-e', '/etc/granary/bootstrap.kubeconfig'])).code, 1, 'the token is not left on the host');
      assert.equal((await h.exec(['stat', '-c', '%a', '/var/lib/granary/agent/pki/node.kubeconfig'])).trim(), '600');
    }
    const nodes = (await kubectl.ok(['get', 'nodes', '--no-headers', '-o', 'custom-columns=NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,IP:.status.addresses[0].address'])).trim().split('\n').map((l) => l.split(/\s+/));
    assert.deepEqual(nodes.sort(), HOSTS.map((h) => [h.name, 'True', h.address]));
  });

  test('a ZooKeeper ensemble runs across the three hosts', async () => {
    await kubectl.ok(['apply', '-f', '-'], { input: ZOOKEEPER });
    const ready = await eventually('the ZooKeeper cluster to be Available', available, WAIT_MS, 1000);
    const pods = await serverPods();
    assert.deepEqual(pods.map((p) => p.spec.nodeName).sort(), HOSTS.map((h) => h.name), 'one server per host');
    const [hosts, tls] = await zookeeper();
    assert.equal(hosts, ready.status!.connectionString);
    await withZooKeeper(hosts, (zk) => zk.mkdirp(ZNODE, Buffer.from('written before the upgrade')), tls);
    // Each server is a systemd service on its host, started by that host's agent.
    for (const pod of pods) {
      const units = await host(pod.spec.nodeName!).exec(['systemctl', 'list-units', '--no-legend', '--plain', 'granary-default_*']);
      assert.match(units, new RegExp(`granary-default_${pod.metadata.name}_\\S+\\.service\\s+loaded active running`));
    }
  });

  test('upgrading the package to a newer build restarts the services and keeps every object and the ensemble\'s data', async () => {
    const before = await everyObject();
    const podsBefore = new Map((await serverPods()).map((p) => [p.metadata.name!, p.metadata.uid!]));
    const runsBefore = new Map<string, string>();
    for (const h of hosts) for (const unit of UNITS) runsBefore.set(`${h.name} ${unit}`, await invocation(h, unit));
    for (const h of hosts) {
      const started = Date.now();
      await h.exec(['dpkg', '-i', debs.newer]);
      timings[`upgrade-${h.name}`] = (Date.now() - started) / 1000;
      assert.equal((await h.exec(['dpkg-query', '-W', '-f=${Version}', 'granary'])).trim(), debs.newerVersion);
    }
    for (const [key, run] of runsBefore) {
      const [name, unit] = key.split(' ');
      const state = await unitState(host(name), unit);
      if (!run) {
        assert.equal(state.active, 'inactive', `${key} was not running and is not started`);
        continue;
      }
      assert.equal(state.active, 'active', `${key} runs after the upgrade`);
      assert.notEqual(await invocation(host(name), unit), run, `${key} was restarted with the new code`);
    }
    await eventually('three Ready nodes after the upgrade', async () => {
      const out = await kubectl.ok(['get', 'nodes', '--no-headers']);
      return (out.match(/ Ready /g) ?? []).length === 3 ? true : undefined;
    }, WAIT_MS, 1000);
    const afterUpgrade = await everyObject();
    const lost = [...before].filter(([key, uid]) => afterUpgrade.get(key) !== uid).map(([key]) => key);
    assert.deepEqual(lost, [], 'every object is still there, with its uid');
    assert.deepEqual(new Map((await serverPods()).map((p) => [p.metadata.name!, p.metadata.uid!])), podsBefore, 'the ZooKeeper servers were not recreated');
    await eventually('the ensemble Available after the upgrade', available, WAIT_MS, 1000);
    const [servers, tls] = await zookeeper();
    const data = await withZooKeeper(servers, (zk) => zk.getData(ZNODE), tls);
    assert.equal(data?.toString(), 'written before the upgrade');
  });

  test('granary leave drains and removes a node; its ZooKeeper server moves to another host', async (t) => {
    const leaving = host('host-3');
    const result = await granary(leaving, ['leave']);
    t.diagnostic(result.stdout);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /node host-3 deleted from the cluster/);
    assert.deepEqual(await unitState(leaving, 'granary-agent.service'), { enabled: 'disabled', active: 'inactive' });
    assert.equal((await leaving.run(['test', '-e', '/var/lib/granary/agent/pki/node.kubeconfig'])).code, 1, 'the node credential is gone');
    assert.equal((await leaving.exec(['sh', '-c', 'systemctl list-units --no-legend --plain "granary-default_*" | wc -l'])).trim(), '0', 'no pod service is left on the host');
    const nodes = (await kubectl.ok(['get', 'nodes', '--no-headers', '-o', 'custom-columns=NAME:.metadata.name'])).trim().split('\n');
    assert.deepEqual(nodes.sort(), ['host-1', 'host-2']);
    await eventually('the ensemble Available again on two hosts', async () => {
      const pods = await serverPods();
      const c = await available();
      return c && pods.length === 3 && pods.every((p) => p.spec.nodeName !== 'host-3' && p.status?.phase === 'Running') ? c : undefined;
    }, WAIT_MS, 1000);
    const [servers, tls] = await zookeeper();
    const data = await withZooKeeper(servers, (zk) => zk.getData(ZNODE), tls);
    assert.equal(data?.toString(), 'written before the upgrade');
  });

  test('removing the package stops the services and keeps the state; reinstalling resumes; purging removes it', async () => {
    const plane = host('host-1');
    await plane.exec(['dpkg', '--remove', 'granary']);
    for (const unit of UNITS) assert.equal((await unitState(plane, unit)).active, 'inactive', unit);
    assert.equal((await plane.run(['test', '-s', '/var/lib/granary/apiserver/state.db'])).code, 0, 'the state stays');
    await plane.exec(['dpkg', '-i', debs.newer]);
    await plane.exec(['systemctl', 'start', 'granary-apiserver.service']);
    const cm = await eventually('the API server back with its objects', () => kubectl.ok(['get', 'configmap', 'fleet', '-o', 'name']).then((o) => o.trim() || undefined), 60_000, 500);
    assert.equal(cm, 'configmap/fleet');
    await plane.exec(['dpkg', '--purge', 'granary']);
    for (const path of ['/var/lib/granary', '/etc/granary', '/usr/lib/granary', '/etc/systemd/system/multi-user.target.wants/granary-apiserver.service']) {
      assert.equal((await plane.run(['test', '-e', path])).code, 1, `${path} is gone`);
    }
  });
});
