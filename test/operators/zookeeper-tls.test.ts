// ZooKeeper secured by default, end to end with Debian's ZooKeeper on three real agents (process
// runtime, nodes 127.0.14.1-3) and the secrets operator: client port and quorum speak TLS only
// (a plain-text client or peer gets no answer, checked at the socket), clients must present a
// certificate of the client secret class (one without, or of another class, is refused), the
// discovery ConfigMap says so and carries the CA, and when certificates come due the servers are
// restarted one at a time with new ones while a client writes, losing no acknowledged write. A
// node cannot get a certificate for another node's ZooKeeper pod.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'prom-client';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '../../src/api/kinds/core.ts';
import { KubeClient } from '../../src/client/client.ts';
import { writeNodeKubeconfig } from '../../src/apiserver/auth/node-credentials.ts';
import { CertificateRequestRefused, requestCertificate } from '../../src/runtime/certificate-requests.ts';
import {
  CERTIFICATE_USAGES, POD_NAME_ANNOTATION, POD_NAMESPACE_ANNOTATION, POD_UID_ANNOTATION, SECRET_CLASS_API_VERSION, signerName, VOLUME_ANNOTATION,
} from '../../src/runtime/secret-class.ts';
import type { ZookeeperCluster } from '../../src/operators/zookeeper/crd.ts';
import { isAvailable } from '../../src/operators/zookeeper/status.ts';
import { ZooKeeperSession, withZooKeeper } from '../../src/operators/zookeeper/zk-client.ts';
import type { ClientTls } from '../../src/operators/zookeeper/four-letter.ts';
import { plainTextAnswer, presentedCertificate, zookeeperPlainTextProbes } from '../support/net.ts';
import { eventually } from '../support/eventually.ts';
import { startZookeeperStack, type ZookeeperStack } from '../support/zookeeper-stack.ts';

const CLUSTER = 'secure';

describe('ZooKeeper with TLS and client authentication on three agents (process runtime)', () => {
  let stack: ZookeeperStack;
  let clientTls: ClientTls;
  const clusters = () => stack.client.resource<ZookeeperCluster>('zookeeper.granary.dev/v1alpha1', 'ZookeeperCluster');
  const serverPods = async () => (await stack.client.resource<Pod>('v1', 'Pod').list('default', { labelSelector: `app.kubernetes.io/instance=${CLUSTER},app.kubernetes.io/component=server` })).items;
  const hosts = async () => (await clusters().get(CLUSTER, 'default')).status!.connectionString!;

  before(async () => {
    stack = await startZookeeperStack({ runtime: 'process', subnet: '127.0.14' });
    const classes = stack.client.resource(SECRET_CLASS_API_VERSION, 'SecretClass');
    await classes.create({ metadata: { name: 'zk-server' }, spec: {} } as never);
    await classes.create({ metadata: { name: 'zk-clients' }, spec: {} } as never);
    await stack.kubectl.ok(['apply', '-f', '-'], { input: `
apiVersion: zookeeper.granary.dev/v1alpha1
kind: ZookeeperCluster
metadata: { name: ${CLUSTER} }
spec:
  clusterConfig:
    tls: { serverSecretClass: zk-server, quorumSecretClass: zk-server }
    authentication: { tls: { clientSecretClass: zk-clients } }
  servers:
    config: { tickTime: 500, heapMiB: 96 }
    roleGroups: { default: { replicas: 3 } }
` });
    await eventually('the TLS cluster Available', async () => (isAvailable(await clusters().get(CLUSTER, 'default')) ? true : undefined), 180_000, 500);
    // A client of the cluster: a certificate of the client class, asked for and approved by an administrator.
    const issued = await requestCertificate(stack.client, {
      signerName: signerName('zk-clients'), commonName: 'test-client', usages: ['digital signature', 'key encipherment', 'client auth'], namePrefix: 'test-client-', approve: true,
    }, AbortSignal.timeout(30_000));
    const discovery = await stack.client.resource('v1', 'ConfigMap').get(CLUSTER, 'default') as unknown as { data: Record<string, string> };
    clientTls = { ca: discovery.data['ca.crt'], cert: issued.certPem, key: issued.keyPem };
  });

  after(async () => {
    if (!stack) return;
    await clusters().delete(CLUSTER, 'default').catch(() => undefined);
    await eventually('the cluster gone', async () => ((await clusters().list('default')).items.length === 0 ? true : undefined), 60_000, 500).catch(() => undefined);
    await stack.stop();
  });

  test('no plain text anywhere; a client with a certificate of the client class writes and reads, others are refused', async (t) => {
    try {
      const discovery = (await stack.client.resource('v1', 'ConfigMap').get(CLUSTER, 'default') as unknown as { data: Record<string, string> }).data;
      assert.equal(discovery.ZOOKEEPER_TLS, 'true');
      assert.equal(discovery.ZOOKEEPER_CLIENT_AUTH, 'tls');
      assert.equal(discovery.ZOOKEEPER_CLIENT_SECRET_CLASS, 'zk-clients');
      const serverClass = await stack.client.resource(SECRET_CLASS_API_VERSION, 'SecretClass').get('zk-server') as unknown as { status: { trustBundle: string } };
      assert.equal(discovery['ca.crt'], serverClass.status.trustBundle);

      const servers = (await hosts()).split(',').map((h) => ({ host: h.split(':')[0], port: Number(h.split(':')[1]) }));
      assert.deepEqual(servers.map((s) => s.host), ['127.0.14.1', '127.0.14.2', '127.0.14.3']);
      // Plain text at the socket: a four-letter word, and a ZooKeeper connect request, on the client port of each server.
      const { connectRequest, electionHello: election } = zookeeperPlainTextProbes();
      for (const s of servers) {
        for (const payload of [Buffer.from('srvr'), connectRequest]) {
          const answer = await plainTextAnswer(s.host, s.port, payload);
          assert.ok(answer.bytes.length === 0 || answer.bytes[0] === 0x15, `${s.host}:${s.port} answers plain text with nothing or a TLS alert, not ${JSON.stringify(answer.bytes.toString('latin1'))}`);
          // Four bytes are less than a TLS record header: the server waits for more; a request it closes on.
          if (payload.length > 5) assert.ok(answer.closed, `${s.host}:${s.port} closes a plain-text connection`);
        }
      }
      // Plain text to the quorum: the election port of every server, and the leader's quorum port.
      const leaderQuorumPort = 2888;
      for (const s of servers) {
        for (const port of [3888, leaderQuorumPort]) {
          const answer = await plainTextAnswer(s.host, port, election);
          assert.ok(answer.closed, `${s.host}:${port} closes a plain-text peer`);
          assert.ok(answer.bytes.length === 0 || answer.bytes[0] === 0x15, `${s.host}:${port} sends a plain-text peer nothing but a TLS alert`);
        }
      }
      // The operator's own scrape of the servers (mntr for its metrics) speaks TLS with its client certificate.
      const up = await eventually('zookeeper_up of the three TLS servers', async () => {
        const text = await register.getSingleMetricAsString('zookeeper_up');
        const lines = text.split('\n').filter((l) => l.startsWith('zookeeper_up{') && l.includes(`cluster="${CLUSTER}"`));
        return lines.length === 3 ? lines : undefined;
      }, 30_000, 1000);
      assert.ok(up.every((l) => l.endsWith(' 1')), up.join('\n'));
      // And a plain-text ZooKeeper client gets no session.
      await assert.rejects(ZooKeeperSession.connect(await hosts(), 3_000), /could not connect/);

      // With a certificate of the client class: writes and reads, through every server.
      await withZooKeeper(await hosts(), (zk) => zk.mkdirp('/secure/hello', Buffer.from('over TLS')), clientTls);
      for (const s of servers) {
        assert.equal((await withZooKeeper(`${s.host}:${s.port}`, (zk) => zk.getData('/secure/hello'), clientTls))?.toString(), 'over TLS');
      }
      // Without a client certificate, or with one of another class: refused.
      await assert.rejects(ZooKeeperSession.connect(await hosts(), 3_000, { ca: clientTls.ca }), /could not connect/);
      const other = await requestCertificate(stack.client, {
        signerName: signerName('tls'), commonName: 'intruder', usages: ['digital signature', 'key encipherment', 'client auth'], namePrefix: 'intruder-', approve: true,
      }, AbortSignal.timeout(30_000));
      await assert.rejects(ZooKeeperSession.connect(await hosts(), 3_000, { ca: clientTls.ca, cert: other.certPem, key: other.keyPem }), /could not connect/);

      // Each server's key is on its own node only, and a node cannot get a certificate for another node's server.
      const pods = await serverPods();
      const onNode1 = pods.find((p) => p.spec!.nodeName === 'zk-node-1')!;
      const onNode2 = pods.find((p) => p.spec!.nodeName === 'zk-node-2')!;
      const keyPath = (root: string, pod: Pod) => join(root, 'pods', pod.metadata.uid!, 'volumes', 'tls-server', 'tls.key');
      assert.ok(existsSync(keyPath(stack.nodes[0].root, onNode1)));
      assert.ok(!existsSync(keyPath(stack.nodes[1].root, onNode1)) && !existsSync(keyPath(stack.nodes[2].root, onNode1)));
      const node1 = KubeClient.fromKubeconfig(await writeNodeKubeconfig(stack.server.dataDir, 'zk-node-1', stack.server.url));
      try {
        const ask = (pod: Pod, hostsAsked: string[]) => requestCertificate(node1, {
          signerName: signerName('zk-server'), commonName: pod.metadata.name!, hosts: hostsAsked, usages: CERTIFICATE_USAGES, namePrefix: 'stolen-',
          annotations: { [POD_NAMESPACE_ANNOTATION]: 'default', [POD_NAME_ANNOTATION]: pod.metadata.name!, [POD_UID_ANNOTATION]: pod.metadata.uid!, [VOLUME_ANNOTATION]: 'tls-server' },
        }, AbortSignal.timeout(20_000));
        await assert.rejects(ask(onNode2, ['zk-node-1', '127.0.14.1']), (err: unknown) => err instanceof CertificateRequestRefused && err.reason === 'PodNotBoundToNode');
        await assert.rejects(ask(onNode1, ['127.0.14.2']), (err: unknown) => err instanceof CertificateRequestRefused && err.reason === 'NotNodeAddress');
      } finally {
        await node1.close();
      }
    } catch (err) {
      t.diagnostic(stack.agentOutput().slice(-6000));
      throw err;
    }
  });

  test('certificates coming due restart the servers one at a time with new ones, and a writing client loses no write', async (t) => {
    const before = await serverPods();
    const servers = (await hosts()).split(',').map((h) => ({ host: h.split(':')[0], port: Number(h.split(':')[1]) }));
    const serialsBefore = await Promise.all(servers.map(async (s) => (await presentedCertificate(s.host, s.port, clientTls)).serialNumber));
    // Shorten the class's certificates: the servers, older than 60% of 60 s, are due at once.
    await stack.client.resource(SECRET_CLASS_API_VERSION, 'SecretClass').patch('zk-server', undefined, { spec: { certificateLifetimeSeconds: 60 } }, 'merge');

    const acknowledged: number[] = [];
    let retries = 0;
    const session = await ZooKeeperSession.connect(await hosts(), 10_000, clientTls);
    const deadline = Date.now() + 240_000;
    let replaced = false;
    try {
      for (let n = 0; Date.now() < deadline; n++) {
        // Retry a write the session lost the answer to; one that was applied exists already.
        for (;;) {
          try {
            await session.create(`/load-${n}`, Buffer.from(String(n)));
            break;
          } catch (err) {
            if (/NODE_EXISTS/.test(String(err))) break;
            if (!/CONNECTION_LOSS|OPERATION_TIMEOUT/.test(String(err)) || Date.now() > deadline) throw err;
            retries++;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        acknowledged.push(n);
        if (n % 20 === 0) {
          const now = await serverPods();
          replaced = now.length === 3 && now.every((p) => !before.some((b) => b.metadata.uid === p.metadata.uid)) && isAvailable(await clusters().get(CLUSTER, 'default'));
          if (replaced) break;
        }
      }
    } finally {
      session.close();
    }
    assert.ok(replaced, 'every server was restarted with new certificates within 240 s');
    const stored = new Set(await withZooKeeper(await hosts(), (zk) => zk.children('/'), clientTls));
    const lost = acknowledged.filter((n) => !stored.has(`load-${n}`));
    t.diagnostic(`${acknowledged.length} writes acknowledged during the restarts (${retries} retried after a lost connection), ${lost.length} lost`);
    assert.deepEqual(lost, []);
    // The servers go on restarting as their 60-second certificates come due: ask each until it answers.
    for (let i = 0; i < 3; i++) {
      const cert = await eventually(`server ${i + 1}'s certificate`, () => presentedCertificate(servers[i].host, servers[i].port, clientTls), 30_000, 250);
      assert.notEqual(cert.serialNumber, serialsBefore[i], `server ${i + 1} presents a new certificate`);
      assert.ok(Date.parse(cert.validTo) - Date.parse(cert.validFrom) <= 72_000, 'with the class\'s new lifetime');
    }
  });
});
