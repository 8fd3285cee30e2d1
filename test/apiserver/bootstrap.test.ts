// Joining nodes end to end, against `granary apiserver`: bootstrap tokens from `granary token
// create` (Secrets of type bootstrap.kubernetes.io/token) authenticate as system:bootstrap:<id>
// until they expire; certificates.k8s.io/v1 CertificateSigningRequests through our client and the
// real kubectl (oldest and newest installed: get csr, certificate approve and deny); the
// control plane's approver approves exactly the node client certificates a bootstrap token (a new
// node) or the node itself (a renewal) asks for, leaving everything else Pending; its signer
// issues Approved requests with the cluster CA and fails those it may not sign.
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { KubeClient } from '../../src/client/client.ts';
import { isUnauthorized } from '../../src/client/errors.ts';
import { loadConnection } from '../../src/client/kubeconfig.ts';
import type { KubeObject } from '../../src/api/meta.ts';
import type { CertificateSigningRequest } from '../../src/api/kinds/certificates.ts';
import { REPO_ROOT, startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { eventually } from '../support/eventually.ts';
import { Kubectl, KUBECTL_VERSIONS } from '../support/kubectl.ts';
import { apiError } from '../support/api-error.ts';

x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);

const KUBELET_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
const CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
type Csr = KubeObject & CertificateSigningRequest;

let server: RunningApiServer;
let admin: KubeClient;
let token: string;
let bootstrap: KubeClient;
let bootstrapKubeconfig: string;

const run = promisify(execFile);

async function granary(...args: string[]): Promise<string> {
  return (await run(process.execPath, [join(REPO_ROOT, 'src/cli/main.ts'), ...args])).stdout;
}

function tokenClient(bearer: string): KubeClient {
  const admin = loadConnection({ kubeconfig: server.kubeconfig });
  return new KubeClient({ server: admin.server, ca: admin.ca, token: bearer, namespace: 'default' });
}

async function whoami(client: KubeClient): Promise<{ username: string; groups: string[] }> {
  const review = await client.request<{ status: { userInfo: { username: string; groups: string[] } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: { kind: 'SelfSubjectReview' } });
  return review.status.userInfo;
}

/** A new key pair and a PEM certificate request for `subject` (e.g. "CN=system:node:n1, O=system:nodes"). */
async function certificateRequest(subject: string, sans: string[] = []): Promise<{ pem: string; keyPem: string }> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject, keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans.map((value) => ({ type: 'dns' as const, value })))] : [],
  });
  const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { pem: request.toString('pem'), keyPem };
}

function csr(name: string, pem: string, spec: Partial<CertificateSigningRequest['spec']> = {}): Csr {
  return {
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name },
    spec: { request: Buffer.from(pem).toString('base64'), signerName: KUBELET_SIGNER, usages: ['digital signature', 'client auth'], ...spec },
  } as Csr;
}

function csrs(client: KubeClient) {
  return client.resource<Csr>('certificates.k8s.io/v1', 'CertificateSigningRequest');
}

function condition(obj: Csr, type: string) {
  return obj.status?.conditions?.find((c) => c.type === type);
}

/** The CSR once its certificate is issued (or it failed). */
function settled(name: string): Promise<Csr> {
  return eventually(`CSR ${name} issued or failed`, async () => {
    const obj = await csrs(admin).get(name);
    return obj.status?.certificate || condition(obj, 'Failed') ? obj : undefined;
  });
}

function issuedCertificate(obj: Csr): X509Certificate {
  assert.ok(obj.status?.certificate, `no certificate in ${JSON.stringify(obj.status)}`);
  return new X509Certificate(Buffer.from(obj.status.certificate, 'base64').toString('utf8'));
}

before(async () => {
  server = await startApiServer({ args: ['--node-certificate-duration', '2h'] });
  admin = KubeClient.fromKubeconfig(server.kubeconfig);
  token = (await granary('token', 'create', '--data-dir', server.dataDir, '--description', 'for tests')).trim();
  bootstrap = tokenClient(token);
  bootstrapKubeconfig = join(tempDir('bootstrap'), 'bootstrap.kubeconfig');
  await granary('token', 'create', '--kubeconfig', server.kubeconfig, '--print-kubeconfig', '--out', bootstrapKubeconfig);
});

after(async () => {
  await Promise.all([admin?.close(), bootstrap?.close()]);
  assert.equal(await server.stop(), 0);
});

describe('bootstrap tokens', () => {
  test('granary token create makes a bootstrap.kubernetes.io/token Secret in kube-system and prints <id>.<secret>', async () => {
    assert.match(token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const [id, secret] = token.split('.');
    const stored = await admin.resource<KubeObject & { type: string; data: Record<string, string> }>('v1', 'Secret').get(`bootstrap-token-${id}`, 'kube-system');
    const data = Object.fromEntries(Object.entries(stored.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    assert.equal(stored.type, 'bootstrap.kubernetes.io/token');
    assert.equal(data['token-id'], id);
    assert.equal(data['token-secret'], secret);
    assert.equal(data['usage-bootstrap-authentication'], 'true');
    assert.equal(data.description, 'for tests');
    const expires = Date.parse(data.expiration);
    assert.ok(expires > Date.now() + 23 * 3600_000 && expires <= Date.now() + 24 * 3600_000, data.expiration);
    assert.equal(statSync(bootstrapKubeconfig).mode & 0o777, 0o600);
  });

  test('authenticate as system:bootstrap:<id> in group system:bootstrappers, which may handle CSRs and nothing else', async () => {
    const id = token.split('.')[0];
    assert.deepEqual(await whoami(bootstrap), { username: `system:bootstrap:${id}`, groups: ['system:bootstrappers', 'system:authenticated'] });
    await csrs(bootstrap).list();
    const refused = await apiError(bootstrap.resource('v1', 'Secret').list('kube-system'));
    assert.equal(refused.code, 403);
    for (const version of KUBECTL_VERSIONS) {
      const kubectl = new Kubectl(version, bootstrapKubeconfig);
      assert.match(await kubectl.ok(['auth', 'whoami']), /system:bootstrap:[a-z0-9]{6}/);
      assert.equal((await kubectl.ok(['auth', 'can-i', 'create', 'certificatesigningrequests'])).trim(), 'yes');
      assert.equal((await kubectl.run(['auth', 'can-i', 'get', 'secrets', '-n', 'kube-system'])).stdout.trim(), 'no');
    }
  });

  test('with extra groups, which must be under system:bootstrappers:', async () => {
    const out = (await granary('token', 'create', '--data-dir', server.dataDir, '--groups', 'system:bootstrappers:rack-1')).trim();
    const client = tokenClient(out);
    assert.deepEqual((await whoami(client)).groups, ['system:bootstrappers', 'system:bootstrappers:rack-1', 'system:authenticated']);
    await client.close();
    await assert.rejects(granary('token', 'create', '--data-dir', server.dataDir, '--groups', 'system:masters'), /not a bootstrap group/);
    // Written by hand, such a token is refused outright.
    await admin.resource('v1', 'Secret').create(secret('badgrp', 'badgroup00000000', { 'auth-extra-groups': 'system:masters' }));
    assert.ok(isUnauthorized(await apiError(whoami(tokenClient('badgrp.badgroup00000000')))));
  });

  test('are refused (401) with a wrong secret, unmarked for authentication, deleted, or once expired (and then deleted)', async () => {
    const [id] = token.split('.');
    assert.ok(isUnauthorized(await apiError(whoami(tokenClient(`${id}.0000000000000000`)))));
    await admin.resource('v1', 'Secret').create(secret('unused', 'unused0000000000', { 'usage-bootstrap-authentication': 'false' }));
    assert.ok(isUnauthorized(await apiError(whoami(tokenClient('unused.unused0000000000')))));
    await admin.resource('v1', 'Secret').create(secret('expird', 'expired000000000', { expiration: '2020-01-01T00:00:00Z' }));
    assert.ok(isUnauthorized(await apiError(whoami(tokenClient('expird.expired000000000')))));

    // Valid for a few seconds: works, then stops working on its own.
    await admin.resource('v1', 'Secret').create(secret('soonxx', 'soon000000000000', { expiration: new Date(Date.now() + 3000).toISOString() }));
    const soon = tokenClient('soonxx.soon000000000000');
    assert.equal((await whoami(soon)).username, 'system:bootstrap:soonxx');
    await eventually('the token to expire', async () => (isUnauthorized(await apiError(whoami(soon))) ? true : undefined));
    // The control plane deletes expired tokens, as Kubernetes' token cleaner.
    await eventually('the expired token Secret to be deleted', async () => {
      const err = await apiError(admin.resource('v1', 'Secret').get('bootstrap-token-soonxx', 'kube-system'));
      return err.code === 404 ? true : undefined;
    });

    await admin.resource('v1', 'Secret').create(secret('gonexx', 'gone000000000000', {}));
    const gone = tokenClient('gonexx.gone000000000000');
    assert.equal((await whoami(gone)).username, 'system:bootstrap:gonexx');
    await admin.resource('v1', 'Secret').delete('bootstrap-token-gonexx', 'kube-system');
    assert.ok(isUnauthorized(await apiError(whoami(gone))));
    await Promise.all([soon.close(), gone.close()]);
  });
});

function secret(id: string, tokenSecret: string, more: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' }, type: 'bootstrap.kubernetes.io/token',
    stringData: { 'token-id': id, 'token-secret': tokenSecret, 'usage-bootstrap-authentication': 'true', ...more },
  } as KubeObject;
}

describe('certificate signing requests', () => {
  test('a bootstrap token gets a node certificate approved and issued; the server records who asked, whatever the body says', async () => {
    const { pem, keyPem } = await certificateRequest('CN=system:node:node-1, O=system:nodes');
    const created = await csrs(bootstrap).create({ ...csr('node-1-first', pem), spec: { ...csr('x', pem).spec, username: 'system:admin', groups: ['system:masters'] } });
    const id = token.split('.')[0];
    assert.equal(created.spec.username, `system:bootstrap:${id}`);
    assert.deepEqual(created.spec.groups, ['system:bootstrappers', 'system:authenticated']);
    const issued = await settled('node-1-first');
    assert.deepEqual(condition(issued, 'Approved') && { reason: condition(issued, 'Approved')!.reason, status: condition(issued, 'Approved')!.status }, { reason: 'AutoApproved', status: 'True' });
    assert.ok(condition(issued, 'Approved')!.lastUpdateTime);
    const cert = issuedCertificate(issued);
    assert.equal(cert.subject, 'CN=system:node:node-1\nO=system:nodes');
    assert.ok(cert.checkIssued(new X509Certificate(loadConnection({ kubeconfig: server.kubeconfig }).ca!)));
    // The server's cap (--node-certificate-duration 2h) applies when the request names no duration.
    const lifetime = Date.parse(cert.validTo) - Date.now();
    assert.ok(lifetime > 1.9 * 3600_000 && lifetime <= 2 * 3600_000, cert.validTo);

    const node = new KubeClient({ ...loadConnection({ kubeconfig: server.kubeconfig }), cert: Buffer.from(issued.status!.certificate!, 'base64').toString(), key: keyPem, token: undefined });
    assert.deepEqual(await whoami(node), { username: 'system:node:node-1', groups: ['system:nodes', 'system:authenticated'] });

    // Renewal: the node asks for itself with its own credential, and gets it; expirationSeconds is honoured.
    const renewal = await certificateRequest('CN=system:node:node-1, O=system:nodes');
    await csrs(node).create(csr('node-1-renewal', renewal.pem, { expirationSeconds: 600 }));
    const renewed = await settled('node-1-renewal');
    assert.match(condition(renewed, 'Approved')!.message ?? '', /self kubelet client certificate/);
    const renewedLifetime = Date.parse(issuedCertificate(renewed).validTo) - Date.now();
    assert.ok(renewedLifetime > 500_000 && renewedLifetime <= 600_000, issuedCertificate(renewed).validTo);

    // A node asking for another node's certificate is left for a person to decide.
    const other = await certificateRequest('CN=system:node:node-2, O=system:nodes');
    await csrs(node).create(csr('node-1-for-node-2', other.pem));
    const marker = await certificateRequest('CN=system:node:node-3, O=system:nodes');
    await csrs(bootstrap).create(csr('node-3', marker.pem));
    await settled('node-3');
    assert.equal((await csrs(admin).get('node-1-for-node-2')).status?.conditions, undefined);
    await node.close();
  });

  test('a bootstrap token gets nothing for an invalid node name or a subject that is not a node: Pending, and Failed even if approved', async () => {
    const cases: [string, string, string[], Partial<CertificateSigningRequest['spec']>][] = [
      ['bad-name', 'CN=system:node:Not_A_Name, O=system:nodes', [], {}],
      ['not-a-node', 'CN=alice, O=system:nodes', [], {}],
      ['masters', 'CN=system:node:node-4, O=system:masters', [], {}],
      ['two-orgs', 'CN=system:node:node-4, O=system:nodes, O=system:masters', [], {}],
      ['with-san', 'CN=system:node:node-4, O=system:nodes', ['evil.example.com'], {}],
      ['server-auth', 'CN=system:node:node-4, O=system:nodes', [], { usages: ['digital signature', 'server auth'] }],
    ];
    for (const [name, subject, sans, spec] of cases) {
      const { pem } = await certificateRequest(subject, sans);
      await csrs(bootstrap).create(csr(name, pem, spec));
    }
    const { pem } = await certificateRequest('CN=system:node:node-5, O=system:nodes');
    await csrs(bootstrap).create(csr('node-5', pem));
    await settled('node-5');
    for (const [name] of cases) assert.equal((await csrs(admin).get(name)).status?.conditions, undefined, `${name} should be Pending`);

    const kubectl = new Kubectl('1.33', server.kubeconfig);
    await kubectl.ok(['certificate', 'approve', ...cases.map(([name]) => name)]);
    for (const [name] of cases) {
      const failed = await settled(name);
      assert.equal(failed.status?.certificate, undefined, name);
      assert.equal(condition(failed, 'Failed')?.reason, 'SignerValidationFailure', name);
    }
  });

  for (const version of KUBECTL_VERSIONS) {
    test(`kubectl ${version}: get csr, certificate approve and deny`, async () => {
      const kubectl = new Kubectl(version, server.kubeconfig);
      const alice = await certificateRequest('CN=alice, O=devs');
      const bob = await certificateRequest('CN=bob');
      const manifest = (name: string, pem: string) => JSON.stringify(csr(name, pem, { signerName: CLIENT_SIGNER, expirationSeconds: 3600, usages: ['client auth'] }));
      await new Kubectl(version, bootstrapKubeconfig).ok(['create', '-f', '-'], { input: manifest(`alice-${version}`, alice.pem) });
      await kubectl.ok(['create', '-f', '-'], { input: manifest(`bob-${version}`, bob.pem) });

      const table = await kubectl.ok(['get', 'csr', `alice-${version}`, `bob-${version}`]);
      assert.match(table, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\n/);
      assert.match(table, new RegExp(`alice-${version}\\s+\\S+\\s+kubernetes.io/kube-apiserver-client\\s+system:bootstrap:[a-z0-9]{6}\\s+60m\\s+Pending`));
      assert.match(table, new RegExp(`bob-${version}\\s+\\S+\\s+kubernetes.io/kube-apiserver-client\\s+granary:admin\\s+60m\\s+Pending`));

      assert.match(await kubectl.ok(['certificate', 'approve', `alice-${version}`]), /approved/);
      assert.match(await kubectl.ok(['certificate', 'deny', `bob-${version}`]), /denied/);
      const approved = await settled(`alice-${version}`);
      assert.equal(issuedCertificate(approved).subject, 'CN=alice\nO=devs');
      assert.equal(condition(approved, 'Approved')?.reason, 'KubectlApprove');
      const denied = await csrs(admin).get(`bob-${version}`);
      assert.equal(condition(denied, 'Denied')?.reason, 'KubectlDeny');
      assert.equal(denied.status?.certificate, undefined);
      assert.match(await kubectl.ok(['get', 'csr', `alice-${version}`, `bob-${version}`]), new RegExp(`alice-${version}.*Approved,Issued\\n(.|\\n)*bob-${version}.*Denied`));

      // Approved and Denied exclude each other; kubectl says so.
      const both = await kubectl.run(['certificate', 'approve', `bob-${version}`]);
      assert.notEqual(both.code, 0);
      assert.match(both.stderr, /Denied/);
      assert.match(await kubectl.ok(['get', 'csr', '--field-selector', `spec.signerName=${CLIENT_SIGNER}`, '-o', 'name']), new RegExp(`certificatesigningrequest.certificates.k8s.io/alice-${version}`));
    });
  }

  test('the spec is immutable, approval goes only through the approval subresource, and conditions stay', async () => {
    const { pem } = await certificateRequest('CN=carol');
    const created = await csrs(admin).create(csr('carol', pem, { signerName: 'example.com/custom', usages: ['client auth'] }));
    const updated = await csrs(admin).update({ ...created, spec: { ...created.spec, signerName: 'example.com/other', usages: ['server auth'] } });
    assert.equal(updated.spec.signerName, 'example.com/custom');
    assert.deepEqual(updated.spec.usages, ['client auth']);
    const patched = await csrs(admin).patch('carol', undefined, { spec: { expirationSeconds: 7200 } });
    assert.equal(patched.spec.expirationSeconds, undefined);

    // Through status, an Approved condition is dropped; through approval it is taken.
    const viaStatus = await csrs(admin).patch('carol', undefined, { status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Sneaky' }] } }, 'merge', { subresource: 'status' });
    assert.equal(condition(viaStatus, 'Approved'), undefined);
    const viaApproval = await csrs(admin).patch('carol', undefined, { status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Fine' }] } }, 'merge', { subresource: 'approval' });
    assert.equal(condition(viaApproval, 'Approved')?.reason, 'Fine');
    const removed = await apiError(csrs(admin).patch('carol', undefined, { status: { conditions: [] } }, 'merge', { subresource: 'approval' }));
    assert.equal(removed.code, 422);
    assert.match(removed.message, /updates may not remove a condition of type "Approved"/);
    // Nobody signs example.com/custom here: it stays Approved without a certificate.
    assert.equal((await csrs(admin).get('carol')).status?.certificate, undefined);
  });

  test('approving needs `approve` on the signer and issuing needs `sign`, beyond the right to update CSRs', async () => {
    const rbac = (kind: string, body: Record<string, unknown>) => admin.resource(`rbac.authorization.k8s.io/v1`, kind).create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, ...body } as KubeObject);
    await admin.resource('v1', 'ServiceAccount').create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'approver', namespace: 'default' } });
    await rbac('ClusterRole', { metadata: { name: 'csr-updater' }, rules: [{ apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests', 'certificatesigningrequests/approval', 'certificatesigningrequests/status'], verbs: ['get', 'list', 'update', 'patch'] }] });
    await rbac('ClusterRoleBinding', { metadata: { name: 'approver-updates' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'csr-updater' }, subjects: [{ kind: 'ServiceAccount', name: 'approver', namespace: 'default' }] });
    const issued = await admin.request<{ status: { token: string } }>('POST', '/api/v1/namespaces/default/serviceaccounts/approver/token', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} } });
    const approver = tokenClient(issued.status.token);
    const { pem } = await certificateRequest('CN=erin');
    await csrs(admin).create(csr('erin', pem, { signerName: 'example.com/team', usages: ['client auth'] }));
    const approve = () => csrs(approver).patch('erin', undefined, { status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Checked' }] } }, 'merge', { subresource: 'approval' });

    const refused = await apiError(approve());
    assert.equal(refused.code, 403);
    assert.equal(refused.message, 'certificatesigningrequests.certificates.k8s.io "erin" is forbidden: user not permitted to approve requests with signerName "example.com/team"');
    // As in Kubernetes, the right may name the signer or its domain with /*.
    await rbac('ClusterRole', { metadata: { name: 'team-approver' }, rules: [{ apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: ['example.com/*'], verbs: ['approve'] }] });
    await rbac('ClusterRoleBinding', { metadata: { name: 'approver-approves' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'team-approver' }, subjects: [{ kind: 'ServiceAccount', name: 'approver', namespace: 'default' }] });
    assert.equal(condition(await eventually('approve to be allowed', async () => approve().catch(() => undefined)), 'Approved')?.reason, 'Checked');

    const certificate = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
    const sign = await apiError(csrs(approver).patch('erin', undefined, { status: { certificate } }, 'merge', { subresource: 'status' }));
    assert.equal(sign.code, 403);
    assert.match(sign.message, /user not permitted to sign requests with signerName "example.com\/team"/);
    await approver.close();
  });

  test('validation: a PEM certificate request, a qualified signerName, known usages, at least 600 seconds', async () => {
    const { pem } = await certificateRequest('CN=dave');
    const invalid = async (obj: Csr, pattern: RegExp) => {
      const err = await apiError(csrs(admin).create(obj));
      assert.equal(err.code, 422, err.message);
      assert.match(err.message, pattern);
    };
    await invalid(csr('v1', 'not a request'), /spec.request: Invalid value/);
    await invalid(csr('v2', pem, { signerName: 'nosigner' }), /spec.signerName: Invalid value/);
    await invalid(csr('v3', pem, { usages: ['flying'] }), /spec.usages\[0\]: Unsupported value: "flying"/);
    await invalid(csr('v4', pem, { usages: [] }), /spec.usages: Required value/);
    await invalid(csr('v5', pem, { expirationSeconds: 599 }), /spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds/);
  });
});
