// The ZooKeeper operator end to end: Debian's real ZooKeeper on three real node agents (each
// its own node on 127.0.10.1-3), with the systemd runtime (systemd as PID 1 in a namespace) and
// with the process runtime, driven through kubectl and checked with a real ZooKeeper client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod, Secret } from '../../src/api/kinds/core.ts';
import { createCertificateAuthority } from '../../src/common/x509.ts';
import { DEFAULT_CA_NAMESPACE, defaultCaSecretName, SECRET_CLASS_API_VERSION, type SecretClass } from '../../src/runtime/secret-class.ts';
import type { KubeObject } from '../../src/api/meta.ts';
import { serverState, quorumHealth } from '../../src/operators/zookeeper/four-letter.ts';
import type { ZookeeperCluster } from '../../src/operators/zookeeper/crd.ts';
import { ZooKeeperSession, withZooKeeper } from '../../src/operators/zookeeper/zk-client.ts';
import { eventually } from '../support/eventually.ts';
import { plainTextAnswer, presentedCertificate, zookeeperPlainTextProbes } from '../support/net.ts';
import { startSystemd, systemdUnavailable, type TestSystemd } from '../support/systemd.ts';
import { startZookeeperStack, type ZookeeperStack } from '../support/zookeeper-stack.ts';

const CLUSTER = 'zk';
const WAIT_MS = 180_000;

const clusterYaml = (replicas: number) => `
apiVersion: zookeeper.granary.dev/v1alpha1
kind: ZookeeperCluster
metadata: { name: ${CLUSTER} }
spec:
  # Plain text: this test is about the operator's lifecycle; zookeeper-tls.test.ts covers TLS.
  clusterConfig: { tls: { serverSecretClass: "", quorumSecretClass: "" } }
  servers:
    config: { tickTime: 500, heapMiB: 96 }
    roleGroups:
      default: { replicas: ${replicas} }
`;

type ServerAddress = { id: number; address: string; clientPort: number };

for (const runtime of ['systemd', 'process'] as const) {
  describe(`ZooKeeper on three agents (${runtime} runtime)`, { skip: runtime === 'systemd' ? systemdUnavailable() : undefined }, () => {
    let systemd: TestSystemd | undefined;
    let stack: ZookeeperStack;
    const clusters = () => stack.client.resource<ZookeeperCluster>('zookeeper.granary.dev/v1alpha1', 'ZookeeperCluster');
    const serverPods = async () => (await stack.client.resource<Pod & KubeObject>('v1', 'Pod').list('default', { labelSelector: `app.kubernetes.io/instance=${CLUSTER},app.kubernetes.io/component=server` })).items;
    const servers = async (): Promise<ServerAddress[]> => {
      const cluster = await clusters().get(CLUSTER, 'default');
      return (cluster.status?.connectionString ?? '').split(',').filter(Boolean).map((hostPort, i) => {
        const [address, port] = hostPort.split(':');
        return { id: i + 1, address, clientPort: Number(port) };
      });
    };
    /** The cluster settled: `replicas` servers, all Ready on the latest configuration, and a quorum. */
    const settled = async (replicas: number) => {
      let seen = '';
      try {
        return await eventually(`${replicas} settled servers with a quorum`, async () => {
          const cluster = await clusters().get(CLUSTER, 'default');
          const conditions = cluster.status?.conditions ?? [];
          const pods = await serverPods();
          seen = `${JSON.stringify(conditions)}\npods: ${pods.map((p) => `${p.metadata.name} ${p.status?.phase} ${JSON.stringify(p.status?.containerStatuses?.map((c) => c.state))}`).join('\n')}`;
          const is = (type: string, status: string) => conditions.some((c) => c.type === type && c.status === status && c.observedGeneration === cluster.metadata.generation);
          if (!is('Available', 'True') || !is('Progressing', 'False')) return undefined;
          if (pods.length !== replicas || pods.some((p) => p.metadata.deletionTimestamp)) return undefined;
          return cluster;
        }, WAIT_MS, 500);
      } catch (err) {
        // The servers' own words say best why they do not come up: the running container's
        // log, and the one before it for a server that has restarted.
        const logs = await Promise.all((await serverPods()).map(async (p) => {
          const restarted = (p.status?.containerStatuses?.[0]?.restartCount ?? 0) > 0;
          const log = async (previous: boolean) => (await stack.kubectl.run(['logs', p.metadata.name!, '-c', 'zookeeper', ...(previous ? ['--previous'] : []), '--tail=15'])).stdout;
          return `--- ${p.metadata.name}:\n${restarted ? `${await log(true)}--- (restarted)\n` : ''}${await log(false)}`;
        }));
        throw new Error(`${(err as Error).message}; last seen: ${seen}\n${logs.join('\n')}`);
      }
    };
    const podOn = (pods: Pod[], id: number) => pods.find((p) => p.metadata.labels?.['granary.dev/pod-id'] === String(id))!;
    const pidListeningOn = (address: string, port: number): number | undefined => {
      const out = execFileSync('ss', ['-Hltnp', `src ${address}:${port}`], { encoding: 'utf8' });
      const pid = /pid=(\d+)/.exec(out)?.[1];
      return pid ? Number(pid) : undefined;
    };
    const dataDirOf = (nodeName: string, id: number) => join(stack.nodes.find((n) => n.name === nodeName)!.root, 'volumes', 'zookeeper', 'default', CLUSTER, `server-${id}`);

    before(async () => {
      if (runtime === 'systemd') systemd = await startSystemd();
      stack = await startZookeeperStack({ runtime, systemd });
    });
    after(async () => {
      await stack?.stop();
      await systemd?.stop();
    });

    test('a three-server ensemble: one leader, two followers, discovery, and a znode written through one server is read through another', async (t) => {
      t.diagnostic('agent output is printed on failure');
      try {
        await stack.kubectl.ok(['apply', '-f', '-'], { input: clusterYaml(3) });
        const cluster = await settled(3);
        const pods = await serverPods();
        assert.deepEqual(new Set(pods.map((p) => p.spec?.nodeName)), new Set(stack.nodes.map((n) => n.name)), 'one server per node');
        const addresses = await servers();
        assert.deepEqual(addresses.map((s) => s.address).sort(), stack.nodes.map((n) => n.address).sort(), 'each server is reached at its own node\'s address');
        const modes = (await Promise.all(addresses.map((s) => serverState(s.address, s.clientPort)))).map((s) => (s.serving ? s.mode : 'down')).sort();
        assert.deepEqual(modes, ['follower', 'follower', 'leader']);

        const discovery = await stack.kubectl.ok(['get', 'configmap', CLUSTER, '-o', 'jsonpath={.data.ZOOKEEPER}']);
        assert.equal(discovery, cluster.status?.connectionString);
        assert.equal(discovery.split(',').length, 3);

        const [first, second] = addresses;
        await withZooKeeper(`${first.address}:${first.clientPort}`, (zk) => zk.mkdirp('/granary-test/hello', Buffer.from('written through server 1')));
        const read = await withZooKeeper(`${second.address}:${second.clientPort}`, async (zk) => {
          // A follower may lag a moment behind the leader.
          return eventually('the znode on another server', async () => (await zk.getData('/granary-test/hello'))?.toString());
        });
        assert.equal(read, 'written through server 1');

        const table = await stack.kubectl.ok(['get', 'zk', CLUSTER]);
        assert.match(table, /True/, 'kubectl get zk shows it available');
      } catch (err) {
        t.diagnostic(stack.agentOutput().slice(-5000));
        throw err;
      }
    });

    test('a ZookeeperZnode gets a znode and a ConfigMap with its chroot; deleting it removes the znode', async () => {
      await stack.kubectl.ok(['apply', '-f', '-'], { input: `apiVersion: zookeeper.granary.dev/v1alpha1\nkind: ZookeeperZnode\nmetadata: { name: kafka }\nspec: { clusterRef: { name: ${CLUSTER} } }\n` });
      const data = await eventually('the znode\'s ConfigMap', async () => {
        const cm = await stack.client.resource('v1', 'ConfigMap').get('kafka', 'default').catch(() => undefined);
        return (cm as { data?: Record<string, string> } | undefined)?.data;
      }, 30_000);
      // The ConfigMap is published a moment before the status names the path.
      const path = await eventually('the znode\'s path in its status', async () =>
        (await stack.client.resource<KubeObject & { status?: { path?: string } }>('zookeeper.granary.dev/v1alpha1', 'ZookeeperZnode').get('kafka', 'default')).status?.path, 30_000);
      assert.match(path, /^\/znode-[0-9a-f-]+$/);
      assert.equal(data.ZOOKEEPER_CHROOT, path);
      assert.equal(data.ZOOKEEPER, `${(await clusters().get(CLUSTER, 'default')).status!.connectionString}${path}`);
      const exists = (p: string) => withZooKeeper(data.ZOOKEEPER_HOSTS, async (zk) => (await zk.getData(p)) !== undefined);
      assert.equal(await exists(path), true);
      // A client using the chroot sees the znode as its root.
      await withZooKeeper(data.ZOOKEEPER, (zk) => zk.mkdirp('/brokers'));
      assert.equal(await exists(`${path}/brokers`), true);

      await stack.kubectl.ok(['delete', 'zookeeperznode', 'kafka', '--wait=true', '--timeout=60s']);
      assert.equal(await exists(path), false, 'the znode is removed with its resource');
    });

    test('a killed server process comes back with the same id; a deleted pod comes back on its node with its data', async () => {
      const before = await serverPods();
      const target = podOn(before, 2);
      const node = target.spec!.nodeName!;
      const addresses = await servers();
      const server = addresses.find((s) => s.address === stack.nodes.find((n) => n.name === node)!.address)!;
      const pid = pidListeningOn(server.address, server.clientPort);
      assert.ok(pid, 'the server process listens on its node\'s address');
      process.kill(pid, 'SIGKILL');
      await eventually('the server restarted by its agent', async () => {
        const now = pidListeningOn(server.address, server.clientPort);
        const state = await serverState(server.address, server.clientPort);
        return now !== undefined && now !== pid && state.serving ? true : undefined;
      }, WAIT_MS, 500);
      const restarted = await eventually('the restart counted in the pod\'s status', async () => {
        const pod = podOn(await serverPods(), 2);
        return (pod.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? pod : undefined;
      });
      assert.equal(restarted.metadata.uid, target.metadata.uid, 'the same pod');

      const dataDir = dataDirOf(node, 2);
      assert.equal(execFileSync('cat', [join(dataDir, 'myid')], { encoding: 'utf8' }).trim(), '2', 'myid on the host volume');
      const logsBefore = readdirSync(join(dataDir, 'version-2'));
      assert.ok(logsBefore.length > 0, 'the server wrote data');
      await stack.kubectl.ok(['delete', 'pod', target.metadata.name!, '--wait=true', '--timeout=60s']);
      await settled(3);
      const recreated = podOn(await serverPods(), 2);
      assert.notEqual(recreated.metadata.uid, target.metadata.uid, 'a new pod');
      assert.equal(recreated.spec?.nodeName, node, 'on the same node');
      const logsAfter = readdirSync(join(dataDir, 'version-2'));
      for (const file of logsBefore) assert.ok(logsAfter.includes(file), `${file} is still there`);
      const read = await withZooKeeper(`${server.address}:${server.clientPort}`, async (zk) => (await zk.getData('/granary-test/hello'))?.toString());
      assert.equal(read, 'written through server 1');
    });

    /** The cluster's events as `TYPE REASON: MESSAGE` lines, as kubectl lists them. */
    const clusterEvents = async () => (await stack.kubectl.ok(['get', 'events', '--field-selector', `involvedObject.kind=ZookeeperCluster,involvedObject.name=${CLUSTER}`,
      '-o', 'jsonpath={range .items[*]}{.type} {.reason}: {.message}{"\\n"}{end}'])).trim().split('\n');
    const hasEvent = (events: string[], pattern: RegExp) => assert.ok(events.some((e) => pattern.test(e)), `an event matching ${pattern} in:\n${events.join('\n')}`);

    // Membership changes are operator logic, the same on every runtime: 3 → 5 → 3 runs on systemd,
    // 3 → 1 → 3 (through a standalone server) on supervised processes, so that CI pays for each once.
    if (runtime === 'process') test('scaling 3 → 1 → 3 keeps every znode: the last server restarts standalone, and grown back it leads, so the newcomers take its data', async () => {
      for (const s of await servers()) await withZooKeeper(`${s.address}:${s.clientPort}`, (zk) => zk.mkdirp(`/granary-test/at-3-via-${s.address}`));
      await clusters().patch(CLUSTER, 'default', { spec: { servers: { roleGroups: { default: { replicas: 1 } } } } }, 'merge');
      await settled(1);
      const [alone] = await servers();
      const state = await serverState(alone.address, alone.clientPort);
      assert.ok(state.serving && state.mode === 'standalone', JSON.stringify(state));
      await withZooKeeper(`${alone.address}:${alone.clientPort}`, (zk) => zk.mkdirp('/granary-test/at-1'));

      await clusters().patch(CLUSTER, 'default', { spec: { servers: { roleGroups: { default: { replicas: 3 } } } } }, 'merge');
      await settled(3);
      const three = await servers();
      assert.equal((await quorumHealth(three)).healthy, true);
      // Read through each server on its own: a newcomer that had elected without server 1 would serve an empty tree.
      for (const s of three) {
        const children = await withZooKeeper(`${s.address}:${s.clientPort}`, (zk) => zk.children('/granary-test'));
        assert.ok(children.includes('hello') && children.includes('at-1'), `${s.address} serves every znode: ${children.join(' ')}`);
        assert.equal(children.filter((c) => c.startsWith('at-3-')).length, 3, `${s.address}: ${children.join(' ')}`);
      }
      const events = await clusterEvents();
      hasEvent(events, new RegExp(`^Normal RollingRestart: restarting ${CLUSTER}-server-default-1 at once: the 1 staying server\\(s\\) are fewer than a majority of the 3 they ran with`));
      hasEvent(events, new RegExp(`^Normal RollingRestart: restarting ${CLUSTER}-server-default-1 at once: the 1 running server\\(s\\) are fewer than a majority of the 3 to come`));
    });

    if (runtime === 'systemd') test('scaling 3 → 5 → 3 keeps every znode', async () => {
      const writeEach = async (label: string) => {
        for (const s of await servers()) {
          await withZooKeeper(`${s.address}:${s.clientPort}`, (zk) => zk.mkdirp(`/granary-test/${label}-via-${s.address}-${s.clientPort}`));
        }
      };
      await writeEach('at-3');
      await clusters().patch(CLUSTER, 'default', { spec: { servers: { roleGroups: { default: { replicas: 5 } } } } }, 'merge');
      await settled(5);
      const five = await servers();
      assert.equal(five.length, 5);
      assert.equal((await quorumHealth(five)).healthy, true);
      await writeEach('at-5');
      await clusters().patch(CLUSTER, 'default', { spec: { servers: { roleGroups: { default: { replicas: 3 } } } } }, 'merge');
      await settled(3);
      const three = await servers();
      const children = await withZooKeeper(three.map((s) => `${s.address}:${s.clientPort}`).join(','), async (zk) => {
        await zk.mkdirp('/granary-test/sync-barrier');
        return eventually('every znode', async () => {
          const names = await zk.children('/granary-test');
          return names.length >= 1 + 3 + 5 + 1 ? names : undefined;
        });
      });
      assert.ok(children.includes('hello'));
      assert.equal(children.filter((c) => c.startsWith('at-3-')).length, 3);
      assert.equal(children.filter((c) => c.startsWith('at-5-')).length, 5);
      // The operator's events say what it did: two servers created, the others rolled onto the new membership, the two removed.
      const events = await clusterEvents();
      for (const id of [4, 5]) {
        hasEvent(events, new RegExp(`^Normal SuccessfulCreate: created pod ${CLUSTER}-server-default-${id} on node `));
        hasEvent(events, new RegExp(`^Normal SuccessfulDelete: deleted pod ${CLUSTER}-server-default-${id}: beyond the replicas of role group default$`));
      }
      hasEvent(events, new RegExp(`^Normal RollingRestart: restarting ${CLUSTER}-server-default-\\d to apply a new configuration`));
    });

    test('a rolling Restart keeps a quorum throughout, checked continuously by a client', async () => {
      const addresses = await servers();
      const before = new Map((await serverPods()).map((p) => [p.metadata.name, p.metadata.uid]));
      const session = await ZooKeeperSession.connect(addresses.map((s) => `${s.address}:${s.clientPort}`).join(','));
      let writes = 0;
      let minimumUp = addresses.length;
      let checking = true;
      const checker = (async () => {
        while (checking) {
          // At most one server may be down at any moment of a rolling restart.
          const up = (await Promise.all(addresses.map((s) => serverState(s.address, s.clientPort)))).filter((s) => s.serving || !/cannot be reached/.test(s.reason)).length;
          minimumUp = Math.min(minimumUp, up);
          await session.mkdirp(`/granary-test/restart/${String(writes++).padStart(5, '0')}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      try {
        await stack.kubectl.ok(['apply', '-f', '-'], { input: `apiVersion: command.zookeeper.granary.dev/v1alpha1\nkind: Restart\nmetadata: { name: roll }\nspec: { name: ${CLUSTER} }\n` });
        await stack.kubectl.ok(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'restart/roll', `--timeout=${WAIT_MS / 1000}s`], { timeoutMs: WAIT_MS + 10_000 });
      } finally {
        checking = false;
        await checker.finally(() => session.close());
      }
      const after = await serverPods();
      for (const pod of after) assert.notEqual(pod.metadata.uid, before.get(pod.metadata.name), `${pod.metadata.name} was restarted`);
      assert.ok(minimumUp >= addresses.length - 1, `at most one server was down at a time (fewest up: ${minimumUp})`);
      const written = await withZooKeeper(addresses.map((s) => `${s.address}:${s.clientPort}`).join(','), (zk) => zk.children('/granary-test/restart'));
      assert.equal(written.length, writes, 'every write during the restart succeeded and is there');
      const events = await clusterEvents();
      for (const pod of after) hasEvent(events, new RegExp(`^Normal RollingRestart: restarting ${pod.metadata.name} for Restart command roll$`));
    });

    test('Stop stops every server and keeps the data; Start brings the ensemble back', async () => {
      const addresses = await servers();
      await stack.kubectl.ok(['apply', '-f', '-'], { input: `apiVersion: command.zookeeper.granary.dev/v1alpha1\nkind: Stop\nmetadata: { name: stop }\nspec: { name: ${CLUSTER} }\n` });
      await stack.kubectl.ok(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'stop/stop', `--timeout=${WAIT_MS / 1000}s`], { timeoutMs: WAIT_MS + 10_000 });
      assert.equal((await serverPods()).length, 0);
      for (const s of addresses) assert.equal(pidListeningOn(s.address, s.clientPort), undefined, `nothing listens on ${s.address}:${s.clientPort}`);
      await stack.kubectl.ok(['apply', '-f', '-'], { input: `apiVersion: command.zookeeper.granary.dev/v1alpha1\nkind: Start\nmetadata: { name: start }\nspec: { name: ${CLUSTER} }\n` });
      await stack.kubectl.ok(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'start/start', `--timeout=${WAIT_MS / 1000}s`], { timeoutMs: WAIT_MS + 10_000 });
      await settled(3);
      const read = await withZooKeeper(addresses.map((s) => `${s.address}:${s.clientPort}`).join(','), async (zk) => (await zk.getData('/granary-test/hello'))?.toString());
      assert.equal(read, 'written through server 1', 'the data survived the stop');
    });

    test('the cluster\'s events tell its story: servers created, availability lost and regained, in kubectl describe too', async () => {
      const events = await clusterEvents();
      for (const id of [1, 2, 3]) hasEvent(events, new RegExp(`^Normal SuccessfulCreate: created pod ${CLUSTER}-server-default-${id} on node `));
      // Lost (Stop, or a quorum lost on the way) with its reason, and regained.
      hasEvent(events, /^Warning \w+: Available is False: \S/);
      hasEvent(events, /^Normal QuorumHealthy: Available is True: server \d leads \d follower/);
      const described = await stack.kubectl.ok(['describe', 'zk', CLUSTER]);
      // The Age column may read "5s (x5 over 51s)": servers are created again by restarts.
      assert.match(described, /Events:[\s\S]*SuccessfulCreate\s+\S.*\s+zookeeper-operator\s+created pod/);
    });

    // Once (the process runtime is the cheaper stack): TLS turned on, then its CA rotated, each
    // under a write load while a checker polls every server.
    if (runtime === 'process') {
      /** Writes /load/N one after another and polls every server, until `work` is done; the client follows the discovery ConfigMap (TLS, CA). */
      const underLoad = async (label: string, rolls: number, t: { diagnostic(message: string): void }, work: () => Promise<void>) => {
        const addresses = await servers();
        const hostList = addresses.map((s) => `${s.address}:${s.clientPort}`).join(',');
        const discovery = async () => (await stack.client.resource('v1', 'ConfigMap').get(CLUSTER, 'default') as unknown as { data: Record<string, string> }).data;
        const tlsOf = (d: Record<string, string>) => (d.ZOOKEEPER_TLS === 'true' ? { ca: d['ca.crt'] } : undefined);
        let tls = tlsOf(await discovery());
        const polls: { at: number; serving: number; running: number }[] = [];
        /** Whether a server serves, or at least runs (answers, e.g. while it elects a leader). */
        const stateOf = async (s: ServerAddress) => {
          let running = false;
          // The way clients are told first; the other as well, since mid-way a server may take
          // either (plain text to a TLS-only port is only given up on after a timeout).
          for (const way of tls ? [tls, undefined] : [undefined]) {
            const state = await serverState(s.address, s.clientPort, way);
            if (state.serving) return { serving: true, running: true };
            running ||= !/cannot be reached/.test(state.reason);
          }
          return { serving: false, running };
        };
        const acknowledged: string[] = [];
        let retries = 0;
        let reconnects = 0;
        let running = true;
        const writer = (async () => {
          let session = await ZooKeeperSession.connect(hostList, 10_000, tls);
          await session.mkdirp(`/load-${label}`);
          try {
            for (let n = 0; running; n++) {
              if (n % 10 === 0) {
                // A new session when discovery names another way to connect (TLS, or a new CA).
                const now = tlsOf(await discovery());
                if (JSON.stringify(now) !== JSON.stringify(tls)) {
                  tls = now;
                  session.close();
                  session = await ZooKeeperSession.connect(hostList, 10_000, tls);
                  reconnects++;
                }
              }
              const name = String(n).padStart(6, '0');
              for (;;) {
                try {
                  await session.create(`/load-${label}/${name}`, Buffer.from(name));
                  break;
                } catch (err) {
                  // A write the session lost the answer to may have been applied: then it exists.
                  if (/NODE_EXISTS/.test(String(err))) break;
                  if (!/CONNECTION_LOSS|OPERATION_TIMEOUT/.test(String(err)) || !running) throw err;
                  retries++;
                  await new Promise((r) => setTimeout(r, 100));
                }
              }
              acknowledged.push(name);
            }
          } finally {
            session.close();
          }
        })();
        const checker = (async () => {
          while (running) {
            const states = await Promise.all(addresses.map(stateOf));
            polls.push({ at: Date.now(), serving: states.filter((x) => x.serving).length, running: states.filter((x) => x.running).length });
            await new Promise((r) => setTimeout(r, 250));
          }
        })();
        const started = Date.now();
        try {
          await work();
        } finally {
          running = false;
          await Promise.allSettled([writer, checker]);
        }
        await writer;
        const seconds = (Date.now() - started) / 1000;
        // Each roll restarts the leader last, and its followers elect a new one: for that moment no
        // server serves, in any rolling restart. A server on a stage the others cannot talk to would
        // instead leave them without a quorum for a whole restart (seconds) and more than once a roll.
        const majority = Math.floor(addresses.length / 2) + 1;
        const gaps: number[] = [];
        for (let i = 0; i < polls.length; i++) {
          if (polls[i].serving >= majority) continue;
          const first = i;
          while (i + 1 < polls.length && polls[i + 1].serving < majority) i++;
          gaps.push((polls[i + 1]?.at ?? polls[i].at) - polls[first].at);
        }
        t.diagnostic(`${label}: ${seconds.toFixed(1)} s, ${rolls} roll(s); ${polls.length} polls of every server, fewest serving ${Math.min(...polls.map((p) => p.serving))}, fewest running ${Math.min(...polls.map((p) => p.running))}; `
          + `${gaps.length} moment(s) without a serving majority (${gaps.map((g) => `${g} ms`).join(', ') || 'none'}); ${acknowledged.length} writes acknowledged (${retries} retried after a lost connection, ${reconnects} new session(s) as discovery changed)`);
        assert.ok(polls.length > 20, 'the checker polled throughout');
        assert.ok(polls.every((p) => p.running >= majority), 'a majority of the servers ran at every poll');
        assert.ok(gaps.length <= rolls, `at most one leader election per roll without a serving majority, not ${gaps.length}`);
        assert.ok(gaps.every((g) => g < 3_000), `each over within 3 s, a leader election, not a restart: ${gaps.join(', ')} ms`);
        const stored = new Set(await withZooKeeper(hostList, (zk) => zk.children(`/load-${label}`), tls));
        assert.deepEqual(acknowledged.filter((n) => !stored.has(n)), [], 'no acknowledged write is lost');
        return { addresses, hostList, tls, reconnects };
      };
      /** Every server pod replaced since `before`, and the cluster settled. */
      const rolledSince = async (before: Pod[]) => {
        await eventually('every server restarted', async () => {
          const now = await serverPods();
          return now.length === 3 && now.every((p) => !before.some((b) => b.metadata.uid === p.metadata.uid)) ? true : undefined;
        }, WAIT_MS, 500);
        await settled(3);
      };

      test('turning TLS on rolls through its stages keeping a quorum (bar each roll\'s leader election) and every acknowledged write; then no plain-text port is open', async (t) => {
        const { addresses, hostList, reconnects } = await underLoad('tls-on', 3, t, async () => {
          await clusters().patch(CLUSTER, 'default', { spec: { clusterConfig: { tls: { serverSecretClass: 'tls', quorumSecretClass: 'tls' } } } }, 'merge');
          await eventually('every server on the last TLS stage', async () => {
            const status = (await clusters().get(CLUSTER, 'default')).status;
            return status?.tls?.client === 'tls' && status.tls.quorum === 'tls' ? true : undefined;
          }, WAIT_MS, 500);
          await settled(3);
        });
        assert.equal(reconnects, 1, 'the client was told to switch to TLS mid-way');
        // Three stages, one roll each, as the events say.
        const stages = (await clusterEvents()).filter((e) => /^Normal TlsStage: /.test(e));
        assert.deepEqual(stages.map((e) => /client (\S+), quorum ([\w-]+)/.exec(e)!.slice(1).join('/')), ['unified/unified-plain', 'tls/unified-tls', 'tls/tls']);

        // No plain text left: the client port, the election port of every server and the leader's quorum port refuse a plain-text peer.
        const { connectRequest, electionHello } = zookeeperPlainTextProbes();
        for (const s of addresses) {
          // (Only the leader listens on 2888: the others refuse the connection, which closes it with nothing sent.)
          for (const [port, payload] of [[s.clientPort, connectRequest], [3888, electionHello], [2888, electionHello]] as const) {
            const answer = await plainTextAnswer(s.address, port, payload);
            assert.ok(answer.closed, `${s.address}:${port} closes a plain-text peer`);
            assert.ok(answer.bytes.length === 0 || answer.bytes[0] === 0x15, `${s.address}:${port} sends a plain-text peer nothing but a TLS alert`);
          }
        }
        await assert.rejects(ZooKeeperSession.connect(hostList, 3_000), /could not connect/);
      });

      test('rotating the CA of the servers\' SecretClass in two steps rolls them onto certificates of the new CA, keeping a quorum (bar each roll\'s leader election)', async (t) => {
        const secrets = stack.client.resource<Secret>('v1', 'Secret');
        const classes = stack.client.resource<SecretClass>(SECRET_CLASS_API_VERSION, 'SecretClass');
        const old = await secrets.get(defaultCaSecretName('tls'), DEFAULT_CA_NAMESPACE);
        const next = await createCertificateAuthority('granary test rotated CA', 1);
        const b64 = (pem: string) => Buffer.from(pem).toString('base64');
        // The secrets operator reads the Secret again every 30 s; a touched class is read at once.
        const step = async (n: number, data: Record<string, string>) => {
          const before = await serverPods();
          await secrets.patch(old.metadata.name!, DEFAULT_CA_NAMESPACE, { data }, 'merge');
          await classes.patch('tls', undefined, { metadata: { annotations: { 'test.granary.dev/rotation-step': String(n) } } }, 'merge');
          await rolledSince(before);
        };
        const { addresses, tls } = await underLoad('ca-rotation', 2, t, async () => {
          // 1: every server trusts both CAs; 2: they get certificates of the new one, still trusting the old.
          await step(1, { 'ca.crt': b64(next.certPem) });
          await step(2, { 'tls.crt': b64(next.certPem), 'tls.key': b64(next.keyPem), 'ca.crt': old.data!['tls.crt'] });
        });
        const newCa = new X509Certificate(next.certPem);
        for (const s of addresses) {
          const presented = await presentedCertificate(s.address, s.clientPort, tls!);
          assert.ok(presented.checkIssued(newCa) && presented.verify(newCa.publicKey), `${s.address} presents a certificate of the new CA`);
        }
      });
    }

    test('deleting the cluster stops every service and removes its data', async () => {
      const addresses = await servers();
      const placements = (await clusters().get(CLUSTER, 'default')).status!.servers!;
      await stack.kubectl.ok(['delete', 'zk', CLUSTER, '--wait=true', `--timeout=${WAIT_MS / 1000}s`], { timeoutMs: WAIT_MS + 10_000 });
      // The finished cleanup pods go with the cluster, through the garbage collector.
      await eventually('no pod left', async () => ((await stack.client.resource('v1', 'Pod').list('default')).items.length === 0 ? true : undefined), 30_000);
      for (const s of addresses) assert.equal(pidListeningOn(s.address, s.clientPort), undefined, `nothing listens on ${s.address}:${s.clientPort}`);
      const sd = systemd;
      if (sd) {
        const services = () => sd.run(['systemctl', 'list-units', '--no-legend', '--type=service', '--all', 'granary-*']);
        const units = await eventually('every service gone', async () => {
          const listed = await services();
          return listed.stdout.trim() === '' ? listed : undefined;
        }, 30_000).catch(services);
        assert.equal(units.stdout.trim(), '', 'no granary service is left, not even a finished one');
        const activeSlices = () => sd.run(['systemctl', 'list-units', '--no-legend', '--type=slice', '--state=active', 'granary-*']);
        const slices = await eventually('every pod slice gone', async () => {
          const listed = await activeSlices();
          return listed.stdout.trim() === '' ? listed : undefined;
        }, 30_000).catch(activeSlices);
        assert.equal(slices.stdout.trim(), '', 'no slice of a removed pod is left');
      }
      for (const p of placements) assert.equal(existsSync(dataDirOf(p.node, p.id)), false, `the data of server ${p.id} on ${p.node} is removed`);
    });

    test('a cluster that asks to keep its data leaves it on the node when deleted', async () => {
      await stack.kubectl.ok(['apply', '-f', '-'], { input: `apiVersion: zookeeper.granary.dev/v1alpha1\nkind: ZookeeperCluster\nmetadata: { name: kept }\nspec:\n  clusterConfig: { tls: { serverSecretClass: \"\", quorumSecretClass: \"\" } }\n  retainDataOnDelete: true\n  servers: { config: { heapMiB: 96 }, roleGroups: { default: { replicas: 1 } } }\n` });
      await stack.kubectl.ok(['wait', '--for=condition=Available', 'zk/kept', `--timeout=${WAIT_MS / 1000}s`], { timeoutMs: WAIT_MS + 10_000 });
      const [placement] = (await clusters().get('kept', 'default')).status!.servers!;
      const dataDir = join(stack.nodes.find((n) => n.name === placement.node)!.root, 'volumes', 'zookeeper', 'default', 'kept', `server-${placement.id}`);
      assert.equal(existsSync(join(dataDir, 'myid')), true);
      await stack.kubectl.ok(['delete', 'zk', 'kept', '--wait=true', `--timeout=${WAIT_MS / 1000}s`], { timeoutMs: WAIT_MS + 10_000 });
      assert.equal(existsSync(join(dataDir, 'myid')), true, 'the data directory is kept');
    });
  });
}
