// Certificates from the platform, end to end: a real `granary apiserver`, the secrets operator,
// and two `granary agent`s (process runtime) under their nodes' own credentials on 127.0.14.21 and
// .22. A pod with a secrets.granary.dev CSI volume gets, before its container starts, a key made
// on its node (and nowhere else: not in any API object), a certificate for its node's name and
// address from the class's CA, the trust bundle, and PKCS#12 stores Java and OpenSSL read; the
// certificate is renewed in place before it expires. Through the API, with a node's credential:
// a request for another node's pod, another node's address or a pod that does not exist is denied.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create as createTar } from 'tar';
import { REPO_ROOT, startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { eventually } from '../support/eventually.ts';
import { TestRepository } from '../support/package-repository.ts';
import { KubeClient } from '../../src/client/client.ts';
import { createLogger } from '../../src/common/log.ts';
import { writeNodeKubeconfig } from '../../src/apiserver/auth/node-credentials.ts';
import { PACKAGE_REPOSITORY_CRD } from '../../src/agent/packages/repository-resource.ts';
import { installCrds } from '../../src/cli/crds.ts';
import { secretsOperator } from '../../src/operators/secrets/index.ts';
import { CertificateRequestRefused, requestCertificate } from '../../src/runtime/certificate-requests.ts';
import {
  CERTIFICATE_USAGES, POD_NAME_ANNOTATION, POD_NAMESPACE_ANNOTATION, POD_UID_ANNOTATION, SECRET_CLASS_API_VERSION, SECRET_CLASS_CRD, signerName,
  VOLUME_ANNOTATION,
} from '../../src/runtime/secret-class.ts';
import { STORE_PASSWORD } from '../../src/common/pkcs12.ts';

const NODES = [{ name: 'host-a', ip: '127.0.14.21' }, { name: 'host-b', ip: '127.0.14.22' }];

describe('certificates for pods (secrets.granary.dev volumes)', () => {
  let server: RunningApiServer;
  let admin: KubeClient;
  let repository: TestRepository;
  const stop = new AbortController();
  let operator: Promise<void>;
  const agents: { process: ChildProcess; root: string; output: string; kubeconfig: string }[] = [];

  const podSpec = (name: string, node: string, secretClass: string) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: {
      nodeName: node, terminationGracePeriodSeconds: 2,
      volumes: [{ name: 'tls', csi: { driver: 'secrets.granary.dev', volumeAttributes: { secretClass } } }],
      containers: [{ name: 'main', image: 'idle:1.0', command: ['{{packageroot}}/bin/idle'], volumeMounts: [{ name: 'tls', mountPath: '{{configroot}}/tls' }] }],
    },
  });
  const volumeDir = (agent: number, uid: string) => join(agents[agent].root, 'pods', uid, 'volumes', 'tls');

  before(async () => {
    server = await startApiServer();
    admin = KubeClient.fromKubeconfig(server.kubeconfig);
    repository = new TestRepository();
    await repository.start();
    const work = tempDir('idle-package');
    mkdirSync(join(work, 'bin'));
    writeFileSync(join(work, 'bin', 'idle'), '#!/bin/sh\nexec sleep 3600\n');
    chmodSync(join(work, 'bin', 'idle'), 0o755);
    await createTar({ gzip: true, file: join(work, 'idle.tar.gz'), cwd: work, portable: true }, ['bin']);
    repository.publish('idle', '1.0', readFileSync(join(work, 'idle.tar.gz')));
    await installCrds(admin, [PACKAGE_REPOSITORY_CRD, SECRET_CLASS_CRD]);
    await admin.resource('packages.granary.dev/v1alpha1', 'PackageRepository').create({ metadata: { name: 'test' }, spec: { http: { url: repository.url } } } as never);
    await admin.resource(SECRET_CLASS_API_VERSION, 'SecretClass').create({ metadata: { name: 'short' }, spec: { certificateLifetimeSeconds: 20, extraNames: ['zk.example.com'] } } as never);
    operator = secretsOperator.run(admin, createLogger('secrets-operator'), stop.signal);
    for (const node of NODES) {
      const root = tempDir(`certs-${node.name}`);
      chmodSync(root, 0o755);
      const kubeconfig = await writeNodeKubeconfig(server.dataDir, node.name, server.url);
      const child = spawn(process.execPath, [join(REPO_ROOT, 'src/cli/main.ts'), 'agent', '--kubeconfig', kubeconfig, '--node-name', node.name,
        '--node-ip', node.ip, '--port', '0', '--runtime', 'process', '--root', root], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GRANARY_LOG_LEVEL: 'info' } });
      const agent = { process: child, root, output: '', kubeconfig };
      child.stdout!.on('data', (d: Buffer) => (agent.output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (agent.output += d.toString()));
      agents.push(agent);
    }
  });

  after(async () => {
    const pods = admin.resource('v1', 'Pod');
    for (const p of (await pods.list('default')).items) await pods.delete(p.metadata.name!, 'default').catch(() => undefined);
    await eventually('pods gone', async () => ((await pods.list('default')).items.length === 0 ? true : undefined), 30_000).catch(() => undefined);
    for (const a of agents) {
      const exited = new Promise((r) => a.process.once('exit', r));
      a.process.kill('SIGTERM');
      await exited;
    }
    stop.abort();
    await operator;
    await admin.close();
    await repository.stop();
    await server.stop();
  });

  const running = (name: string) => eventually(`pod ${name} Running`, async () => {
    const pod = await admin.resource('v1', 'Pod').get(name, 'default') as any;
    return pod.status?.phase === 'Running' ? pod : undefined;
  }, 60_000, 250);

  test('a pod gets a key made on its node and a certificate for its node from the class CA, in PEM and PKCS#12, renewed before it expires', async (t) => {
    try {
      await admin.resource('v1', 'Pod').create(podSpec('short-lived', 'host-a', 'short') as never);
      await admin.resource('v1', 'Pod').create(podSpec('default-class', 'host-b', 'tls') as never);
      const pod = await running('short-lived');
      const dir = volumeDir(0, pod.metadata.uid);
      const cert = new X509Certificate(readFileSync(join(dir, 'tls.crt')));
      assert.equal(cert.subject, 'CN=short-lived');
      assert.deepEqual(cert.subjectAltName?.split(', ').sort(), ['DNS:host-a', 'DNS:zk.example.com', 'IP Address:127.0.14.21']);
      const left = Date.parse(cert.validTo) - Date.now();
      assert.ok(left <= 20_000 && left > 10_000, `the class's lifetime, 20 s, not ${left} ms`);
      const klass = await admin.resource(SECRET_CLASS_API_VERSION, 'SecretClass').get('short') as any;
      assert.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), klass.status.trustBundle);
      assert.ok(cert.verify(new X509Certificate(klass.status.trustBundle).publicKey), 'signed by the class CA');
      assert.equal(statSync(join(dir, 'tls.key')).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, 'keystore.p12')).mode & 0o777, 0o600);
      // The stores as Java and OpenSSL read them.
      const keystore = execFileSync('keytool', ['-list', '-keystore', join(dir, 'keystore.p12'), '-storepass', STORE_PASSWORD, '-storetype', 'PKCS12'], { encoding: 'utf8' });
      assert.match(keystore, /PrivateKeyEntry/);
      const truststore = execFileSync('keytool', ['-list', '-keystore', join(dir, 'truststore.p12'), '-storepass', STORE_PASSWORD, '-storetype', 'PKCS12'], { encoding: 'utf8' });
      assert.match(truststore, /trustedCertEntry/);
      execFileSync('openssl', ['pkcs12', '-in', join(dir, 'keystore.p12'), '-passin', `pass:${STORE_PASSWORD}`, '-noout']);

      // The key is on the node only: no API object holds it, not the request, not a Secret.
      const keyBody = readFileSync(join(dir, 'tls.key'), 'utf8').replace(/-----[A-Z ]+-----|\s/g, '');
      const everything = JSON.stringify([
        (await admin.resource('certificates.k8s.io/v1', 'CertificateSigningRequest').list()).items,
        (await admin.resource('v1', 'Secret').list()).items,
        (await admin.resource('v1', 'ConfigMap').list()).items,
      ]);
      assert.ok(!everything.includes(keyBody.slice(60, 120)), 'the private key (PEM) is in no API object');
      assert.ok(!everything.includes(readFileSync(join(dir, 'tls.key')).toString('base64').slice(60, 120)), 'nor base64 of it');

      const other = await running('default-class');
      const otherCert = new X509Certificate(readFileSync(join(volumeDir(1, other.metadata.uid), 'tls.crt')));
      assert.deepEqual(otherCert.subjectAltName?.split(', ').sort(), ['DNS:host-b', 'IP Address:127.0.14.22']);

      // Renewed in place 70-90% through its life; the container keeps running.
      const renewed = await eventually('the renewed certificate', async () => {
        const next = new X509Certificate(readFileSync(join(dir, 'tls.crt')));
        return next.serialNumber !== cert.serialNumber ? next : undefined;
      }, 30_000, 250);
      assert.ok(Date.parse(renewed.validTo) > Date.parse(cert.validTo));
      const renewedKey = readFileSync(join(dir, 'tls.key'), 'utf8');
      assert.ok(!renewedKey.includes(keyBody.slice(60, 120)), 'a new key with the new certificate');
      const after = await admin.resource('v1', 'Pod').get('short-lived', 'default') as any;
      assert.equal(after.status.containerStatuses[0].restartCount, 0);
    } catch (err) {
      t.diagnostic(agents.map((a) => a.output.slice(-4000)).join('\n-----\n'));
      throw err;
    }
  });

  test('a node cannot get a certificate for another node\'s pod, another node\'s address or a pod that does not exist (denied, through the API)', async () => {
    const nodeA = KubeClient.fromKubeconfig(agents[0].kubeconfig);
    try {
      await admin.resource('v1', 'Pod').create(podSpec('on-b', 'host-b', 'tls') as never);
      await admin.resource('v1', 'Pod').create(podSpec('on-a', 'host-a', 'tls') as never);
      const onB = await running('on-b');
      const onA = await running('on-a');
      const ask = (pod: any, hosts: string[]) => requestCertificate(nodeA, {
        signerName: signerName('tls'), commonName: pod.metadata.name, hosts, usages: CERTIFICATE_USAGES, namePrefix: 'test-',
        annotations: { [POD_NAMESPACE_ANNOTATION]: 'default', [POD_NAME_ANNOTATION]: pod.metadata.name, [POD_UID_ANNOTATION]: pod.metadata.uid, [VOLUME_ANNOTATION]: 'tls' },
      }, AbortSignal.timeout(20_000));
      const denied = async (promise: Promise<unknown>, reason: string, message: RegExp) => {
        await assert.rejects(promise, (err: unknown) => {
          assert.ok(err instanceof CertificateRequestRefused, String(err));
          assert.equal(err.reason, reason);
          assert.match(err.message, message);
          return true;
        });
      };
      await denied(ask(onB, ['host-a', '127.0.14.21']), 'PodNotBoundToNode', /pod default\/on-b is not bound to node host-a \(it is bound to host-b\)/);
      await denied(ask(onA, ['host-a', '127.0.14.22']), 'NotNodeAddress', /node host-a may not have a certificate for 127\.0\.14\.22/);
      await denied(ask(onA, ['host-b']), 'NotNodeAddress', /may not have a certificate for host-b/);
      await denied(ask({ metadata: { name: 'no-such-pod', uid: 'x' } }, ['host-a']), 'PodNotFound', /does not exist/);
      await denied(ask({ metadata: { name: 'on-a', uid: 'another-uid' } }, ['host-a']), 'PodNotFound', /does not exist/);
      // The same request for its own pod and its own names is issued.
      const issued = await ask(onA, ['host-a', '127.0.14.21']);
      assert.match(new X509Certificate(issued.certPem).subjectAltName!, /IP Address:127\.0\.14\.21/);
      // The denials are on the requests for anyone to see.
      const csrs = (await admin.resource('certificates.k8s.io/v1', 'CertificateSigningRequest').list()).items as any[];
      const deniedCsrs = csrs.filter((c) => c.status?.conditions?.some((cond: any) => cond.type === 'Denied'));
      assert.equal(deniedCsrs.length, 5);
      assert.ok(deniedCsrs.every((c) => c.spec.username === 'system:node:host-a'));
    } finally {
      await nodeA.close();
    }
  });
});
