import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { parse as parseYaml } from 'yaml';
import { hostname } from 'node:os';
import {
  certificateHosts, createCertificateAuthority, ensurePki, servingHosts, signClientCertificate, signServingCertificate, type Pki,
} from './pki.ts';
import { noKubectl } from '../../test/support/machine-limits.ts';

const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'granary-pki-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

interface KubeconfigFile {
  'current-context': string;
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { name: string; user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
}

async function readKubeconfig(path: string) {
  const doc = parseYaml(await readFile(path, 'utf8')) as KubeconfigFile;
  const context = doc.contexts.find((c) => c.name === doc['current-context'])!.context;
  const cluster = doc.clusters.find((c) => c.name === context.cluster)!.cluster;
  const user = doc.users.find((u) => u.name === context.user)!.user;
  const decode = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  return {
    doc, server: cluster.server, ca: decode(cluster['certificate-authority-data']),
    cert: decode(user['client-certificate-data']), key: decode(user['client-key-data']),
  };
}

/** An HTTPS server that demands a client certificate from our CA and answers with its subject. */
async function startEchoServer(t: { after(fn: () => Promise<void>): void }, pki: Pki): Promise<Server> {
  const server = createServer({
    key: pki.serverKeyPem, cert: pki.serverCertPem, ca: pki.caPem, requestCert: true, rejectUnauthorized: true,
  }, (req: IncomingMessage, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, user: peer.subject.CN, groups: peer.subject.O }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

function get(url: string, tls: { ca: string; cert?: string; key?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...tls, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('first start creates a CA, serving and admin certificates with private keys readable only by the owner', async (t) => {
  const dir = await tempDir(t);
  const pki = await ensurePki(dir, { listenHost: '127.0.0.2' });
  for (const name of ['ca.key', 'server.key', 'admin.key']) assert.equal(await mode(join(dir, 'pki', name)), 0o600, name);
  assert.equal(await mode(join(dir, 'pki')), 0o700);

  const ca = new x509.X509Certificate(pki.caPem);
  const serving = new x509.X509Certificate(pki.serverCertPem);
  const admin = new x509.X509Certificate(pki.adminCertPem);
  assert.equal(ca.getExtension(x509.BasicConstraintsExtension)?.ca, true);
  assert.ok(ca.notAfter.getTime() - Date.now() > 9 * 365 * 24 * 3600e3, 'the CA lasts about ten years');
  assert.ok(await serving.verify({ publicKey: ca.publicKey, signatureOnly: true }));
  assert.ok(await admin.verify({ publicKey: ca.publicKey, signatureOnly: true }));
  assert.deepEqual(certificateHosts(serving), ['127.0.0.2', 'localhost', '127.0.0.1', '::1']);
  assert.deepEqual([...serving.getExtension(x509.ExtendedKeyUsageExtension)!.usages], [x509.ExtendedKeyUsage.serverAuth]);
  assert.equal(admin.subject, 'CN=granary:admin, O=system:masters');
  assert.deepEqual([...admin.getExtension(x509.ExtendedKeyUsageExtension)!.usages], [x509.ExtendedKeyUsage.clientAuth]);
});

test('a wildcard listen address is replaced by the host name and interface addresses', () => {
  for (const wildcard of ['0.0.0.0', '::']) {
    const hosts = servingHosts(wildcard);
    assert.ok(!hosts.includes(wildcard));
    assert.equal(hosts[0], hostname());
    for (const loopback of ['localhost', '127.0.0.1', '::1']) assert.equal(hosts.filter((h) => h === loopback).length, 1, loopback);
  }
  assert.deepEqual(servingHosts('127.0.0.3'), ['127.0.0.3', 'localhost', '127.0.0.1', '::1']);
});

test('a restart reuses the files and re-issues the serving certificate only when the host changes', async (t) => {
  const dir = await tempDir(t);
  const first = await ensurePki(dir, { listenHost: '127.0.0.1' });
  const again = await ensurePki(dir, { listenHost: '127.0.0.1' });
  assert.equal(again.caPem, first.caPem);
  assert.equal(again.serverCertPem, first.serverCertPem);
  assert.equal(again.adminCertPem, first.adminCertPem);

  // localhost is already covered, so listening on it keeps the certificate.
  assert.equal((await ensurePki(dir, { listenHost: 'localhost' })).serverCertPem, first.serverCertPem);

  const moved = await ensurePki(dir, { listenHost: 'api.granary.test' });
  assert.equal(moved.caPem, first.caPem);
  assert.equal(moved.adminCertPem, first.adminCertPem);
  assert.notEqual(moved.serverCertPem, first.serverCertPem);
  assert.ok(certificateHosts(new x509.X509Certificate(moved.serverCertPem)).includes('api.granary.test'));
  assert.equal(await readFile(join(dir, 'pki', 'server.crt'), 'utf8'), moved.serverCertPem);
});

test('a serving certificate that expires within 30 days, or was not signed by the CA, is replaced', async (t) => {
  const dir = await tempDir(t);
  const first = await ensurePki(dir, { listenHost: '127.0.0.1' });
  const shortLived = await signServingCertificate(first.ca, { hosts: ['127.0.0.1', 'localhost', '::1'], days: 10 });
  await writeFile(join(dir, 'pki', 'server.crt'), shortLived.certPem);
  await writeFile(join(dir, 'pki', 'server.key'), shortLived.keyPem);
  const renewed = await ensurePki(dir, { listenHost: '127.0.0.1' });
  assert.notEqual(renewed.serverCertPem, shortLived.certPem);
  assert.ok(new x509.X509Certificate(renewed.serverCertPem).notAfter.getTime() - Date.now() > 300 * 24 * 3600e3);

  const stranger = await signServingCertificate(await createCertificateAuthority('other-ca'), { hosts: ['127.0.0.1'], days: 365 });
  await writeFile(join(dir, 'pki', 'server.crt'), stranger.certPem);
  await writeFile(join(dir, 'pki', 'server.key'), stranger.keyPem);
  const fixed = await ensurePki(dir, { listenHost: '127.0.0.1' });
  assert.ok(await new x509.X509Certificate(fixed.serverCertPem).verify({ publicKey: fixed.ca.certificate.publicKey, signatureOnly: true }));
});

test('the admin kubeconfig reaches a TLS server with verification on, and the server reads the admin identity', async (t) => {
  const dir = await tempDir(t);
  const pki = await ensurePki(dir, { listenHost: '127.0.0.1' });
  const server = await startEchoServer(t, pki);
  const port = (server.address() as { port: number }).port;
  await pki.writeAdminKubeconfig(`https://127.0.0.1:${port}`);
  assert.equal(pki.kubeconfigPath, join(dir, 'admin.kubeconfig'));
  assert.equal(await mode(pki.kubeconfigPath), 0o600);

  const kc = await readKubeconfig(pki.kubeconfigPath);
  assert.equal(kc.doc['current-context'], 'granary');
  assert.equal(kc.server, `https://127.0.0.1:${port}`);
  const res = await get(`${kc.server}/hello`, { ca: kc.ca, cert: kc.cert, key: kc.key });
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(res.body), { path: '/hello', user: 'granary:admin', groups: 'system:masters' });

  // Without a client certificate the handshake is refused.
  await assert.rejects(get(`${kc.server}/hello`, { ca: kc.ca }));
  // And a client that trusts another CA refuses our server.
  const other = await createCertificateAuthority('other-ca');
  await assert.rejects(get(`${kc.server}/hello`, { ca: other.certPem, cert: kc.cert, key: kc.key }), /self-signed|unable to verify|certificate/);
});

test('kubectl 1.33 accepts our CA, serving certificate SANs and admin client certificate', { skip: noKubectl(KUBECTL) }, async (t) => {
  const dir = await tempDir(t);
  const pki = await ensurePki(dir, { listenHost: '127.0.0.1' });
  const server = await startEchoServer(t, pki);
  await pki.writeAdminKubeconfig(`https://127.0.0.1:${(server.address() as { port: number }).port}`);
  const { stdout } = await promisify(execFile)(KUBECTL, ['--kubeconfig', pki.kubeconfigPath, 'get', '--raw', '/x'], { timeout: 30_000 });
  assert.deepEqual(JSON.parse(stdout), { path: '/x', user: 'granary:admin', groups: 'system:masters' });
});

test('signClientCertificate signs a requester key (as for a CSR) or makes one, with groups as O', async () => {
  const ca = await createCertificateAuthority();
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const spki = x509.PemConverter.encode(await webcrypto.subtle.exportKey('spki', keys.publicKey), 'PUBLIC KEY');
  const forCsr = await signClientCertificate(ca, { commonName: 'system:node:host-1', organizations: ['system:nodes', 'granary:agents'], days: 30, publicKeyPem: spki });
  assert.equal(forCsr.keyPem, undefined);
  const cert = new x509.X509Certificate(forCsr.certPem);
  assert.equal(cert.subject, 'CN=system:node:host-1, O=system:nodes, O=granary:agents');
  assert.equal(cert.publicKey.toString('pem'), spki);
  assert.ok(await cert.verify({ publicKey: ca.certificate.publicKey, signatureOnly: true }));
  const days = (cert.notAfter.getTime() - Date.now()) / (24 * 3600e3);
  assert.ok(days > 29 && days <= 30, `valid for 30 days, got ${days}`);

  const generated = await signClientCertificate(ca, { commonName: 'a, O=system:masters', days: 1 });
  assert.ok(generated.keyPem?.includes('BEGIN PRIVATE KEY'));
  // A comma in the name is escaped, not read as a second attribute.
  const subject = new x509.X509Certificate(generated.certPem).subjectName;
  assert.deepEqual(subject.getField('CN'), ['a, O=system:masters']);
  assert.deepEqual(subject.getField('O'), []);
});
