// Authentication and RBAC authorization end to end: the real kubectl (oldest and newest installed)
// and our client against `granary apiserver`, as users with client certificates, static tokens
// from --token-auth-file, and ServiceAccount tokens from TokenRequest.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { stringify as toYaml } from 'yaml';
import { createCertificateAuthority, loadCertificateAuthority, signClientCertificate, writeKubeconfig, type CertificateAuthority } from '../../src/apiserver/pki.ts';
import { KubeClient } from '../../src/client/client.ts';
import { isForbidden, isInvalid, isUnauthorized } from '../../src/client/errors.ts';
import type { KubeObject } from '../../src/api/meta.ts';
import { startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { Kubectl, KUBECTL_VERSIONS } from '../support/kubectl.ts';
import { apiError } from '../support/api-error.ts';

const TESS_TOKEN = 'tess-static-token-8c1f2a';
/** kubectl's words for a 401 (the detail differs when discovery is the first request refused, as with Kubernetes). */
const LOG_IN = /You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/;

let server: RunningApiServer;
let dir: string;
let cluster: CertificateAuthority;

/** A kubeconfig for a user with a client certificate signed by the cluster CA (CN user, O groups). */
async function certificateUser(name: string, groups: string[] = [], authority = cluster): Promise<string> {
  const issued = await signClientCertificate(authority, { commonName: name, organizations: groups, days: 1 });
  const path = join(dir, `${name}-${authority === cluster ? 'cluster' : 'foreign'}.kubeconfig`);
  await writeKubeconfig(path, { server: server.url, caPem: cluster.certPem, certPem: issued.certPem, keyPem: issued.keyPem!, user: name });
  return path;
}

let tokenFiles = 0;
/** A kubeconfig whose user presents only a bearer token. */
function tokenUser(token: string): string {
  const path = join(dir, `token-${tokenFiles++}.kubeconfig`);
  writeFileSync(path, toYaml({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'c', cluster: { server: server.url, 'certificate-authority-data': Buffer.from(cluster.certPem).toString('base64') } }],
    users: [{ name: 'u', user: { token } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
  }), { mode: 0o600 });
  return path;
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  dir = tempDir('auth');
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(tokenFile, `${TESS_TOKEN},tess,1001,"testers,qa"\n`);
  server = await startApiServer({ args: ['--token-auth-file', tokenFile], env: { GRANARY_MIN_TOKEN_EXPIRATION_SECONDS: '1' } });
  const pki = join(server.dataDir, 'pki');
  cluster = await loadCertificateAuthority(readFileSync(join(pki, 'ca.crt'), 'utf8'), readFileSync(join(pki, 'ca.key'), 'utf8'));
});

after(async () => {
  assert.equal(await server.stop(), 0);
});

describe('without credentials', () => {
  test('everything but /livez, /readyz and /healthz answers 401 Unauthorized', async () => {
    const dispatcher = new Agent({ connect: { ca: cluster.certPem } });
    try {
      for (const path of ['/livez', '/readyz', '/healthz']) {
        const res = await request(`${server.url}${path}`, { dispatcher });
        assert.equal(res.statusCode, 200, path);
        assert.equal(await res.body.text(), 'ok');
      }
      for (const path of ['/version', '/api', '/apis', '/openapi/v2', '/metrics', '/api/v1/namespaces', '/api/v1/namespaces/default/configmaps']) {
        const res = await request(`${server.url}${path}`, { dispatcher });
        assert.equal(res.statusCode, 401, path);
        assert.deepEqual(await res.body.json(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
      }
    } finally {
      await dispatcher.close();
    }
  });

  test('our client gets 401 with no credentials, an unknown token, or a certificate from another CA', async () => {
    const anonymous = new KubeClient({ server: server.url, ca: cluster.certPem, namespace: 'default' });
    const unknown = new KubeClient({ server: server.url, ca: cluster.certPem, token: 'not-a-token', namespace: 'default' });
    const foreign = KubeClient.fromKubeconfig(await certificateUser('mallory', ['system:masters'], await createCertificateAuthority('elsewhere')));
    try {
      for (const client of [anonymous, unknown, foreign]) {
        const err = await apiError(client.request('GET', '/api/v1/namespaces'));
        assert.ok(isUnauthorized(err), err.message);
        assert.equal(err.code, 401);
      }
    } finally {
      await Promise.all([anonymous.close(), unknown.close(), foreign.close()]);
    }
  });
});

describe('our client', () => {
  test('a user without rights gets 403 with Kubernetes\' message; a RoleBinding grants in its namespace only', async () => {
    const admin = KubeClient.fromKubeconfig(server.kubeconfig);
    const erin = KubeClient.fromKubeconfig(await certificateUser('erin', ['auditors']));
    try {
      const namespaces = admin.resource('v1', 'Namespace');
      await namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'client-a' } });
      const configMaps = erin.resource('v1', 'ConfigMap');
      const denied = await apiError(configMaps.list('client-a'));
      assert.ok(isForbidden(denied));
      assert.equal(denied.message, 'configmaps is forbidden: User "erin" cannot list resource "configmaps" in API group "" in the namespace "client-a"');
      await admin.resource('rbac.authorization.k8s.io/v1', 'RoleBinding').create({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'auditors-view', namespace: 'client-a' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'auditors' }],
      } as KubeObject);
      assert.deepEqual((await configMaps.list('client-a')).items, []);
      assert.ok(isForbidden(await apiError(configMaps.list('default'))));
      const write = await apiError(configMaps.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'client-a' } }));
      assert.equal(write.message, 'configmaps is forbidden: User "erin" cannot create resource "configmaps" in API group "" in the namespace "client-a"');
    } finally {
      await Promise.all([admin.close(), erin.close()]);
    }
  });

  test('SelfSubjectAccessReview names the binding that allows; one question at a time; reviews are never stored', async () => {
    const admin = KubeClient.fromKubeconfig(server.kubeconfig);
    const frank = KubeClient.fromKubeconfig(await certificateUser('frank', ['auditors']));
    try {
      const ask = (spec: object) => frank.request<{ kind: string; status: { allowed: boolean; reason?: string } }>(
        'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec } });
      const allowed = await ask({ resourceAttributes: { namespace: 'client-a', verb: 'list', resource: 'pods' } });
      assert.deepEqual(allowed.status, { allowed: true, reason: 'RBAC: allowed by RoleBinding "auditors-view/client-a" of ClusterRole "view" to Group "auditors"' });
      assert.equal((await ask({ resourceAttributes: { namespace: 'client-a', verb: 'list', resource: 'secrets' } })).status.allowed, false);
      assert.equal((await ask({ nonResourceAttributes: { path: '/version', verb: 'get' } })).status.allowed, true);
      const both = await apiError(ask({ resourceAttributes: { verb: 'get', resource: 'pods' }, nonResourceAttributes: { path: '/version', verb: 'get' } }));
      assert.ok(isInvalid(both));
      assert.match(both.message, /exactly one of nonResourceAttributes or resourceAttributes must be specified/);
      const stored = await apiError(admin.request('GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'));
      assert.equal(stored.code, 405);
    } finally {
      await Promise.all([admin.close(), frank.close()]);
    }
  });

  test('a subresource is authorized apart from its resource: pods/status without pods', async () => {
    const admin = KubeClient.fromKubeconfig(server.kubeconfig);
    const kubelet = KubeClient.fromKubeconfig(await certificateUser('status-writer'));
    try {
      await admin.resource('v1', 'Namespace').create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'client-b' } });
      const rbac = admin.resource('rbac.authorization.k8s.io/v1', 'Role');
      await rbac.create({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'status-only', namespace: 'client-b' },
        rules: [{ apiGroups: [''], resources: ['pods/status'], verbs: ['get', 'update', 'patch'] }],
      } as KubeObject);
      await admin.resource('rbac.authorization.k8s.io/v1', 'RoleBinding').create({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'status-only', namespace: 'client-b' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'status-only' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'status-writer' }],
      } as KubeObject);
      await admin.resource('v1', 'Pod').create({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'client-b' }, spec: { containers: [{ name: 'c', image: 'busybox' }] },
      });
      const pods = kubelet.resource('v1', 'Pod');
      const patched = await pods.patch('web', 'client-b', { status: { phase: 'Running' } }, 'merge', { subresource: 'status' });
      assert.equal((patched as { status?: { phase?: string } }).status?.phase, 'Running');
      const main = await apiError(pods.patch('web', 'client-b', { metadata: { labels: { a: 'b' } } }));
      assert.equal(main.message, 'pods "web" is forbidden: User "status-writer" cannot patch resource "pods" in API group "" in the namespace "client-b"');
      assert.ok(isForbidden(await apiError(pods.get('web', 'client-b'))));
    } finally {
      await Promise.all([admin.close(), kubelet.close()]);
    }
  });

  test('a ServiceAccount token works until its ServiceAccount is deleted; TokenRequest checks expirationSeconds', async () => {
    const admin = KubeClient.fromKubeconfig(server.kubeconfig);
    try {
      await admin.resource('v1', 'ServiceAccount').create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reporter', namespace: 'default' } });
      const tokenPath = '/api/v1/namespaces/default/serviceaccounts/reporter/token';
      const review = await admin.request<{ status: { token: string; expirationTimestamp: string }; spec: { audiences: string[]; expirationSeconds: number } }>(
        'POST', tokenPath, { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} } });
      assert.equal(review.spec.expirationSeconds, 3600, 'one hour by default');
      assert.deepEqual(review.spec.audiences, ['https://kubernetes.default.svc.cluster.local']);
      assert.ok(Math.abs(Date.parse(review.status.expirationTimestamp) - Date.now() - 3600_000) < 60_000);
      const invalid = await apiError(admin.request('POST', tokenPath, { body: { kind: 'TokenRequest', spec: { expirationSeconds: 0 } } }));
      assert.ok(isInvalid(invalid));
      assert.match(invalid.message, /spec\.expirationSeconds: Invalid value: 0: may not specify a duration less than 1 seconds/);

      const reporter = new KubeClient({ server: server.url, ca: cluster.certPem, token: review.status.token, namespace: 'default' });
      try {
        const whoami = await reporter.request<{ status: { userInfo: { username: string; groups: string[] } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: { kind: 'SelfSubjectReview' } });
        assert.equal(whoami.status.userInfo.username, 'system:serviceaccount:default:reporter');
        assert.deepEqual(whoami.status.userInfo.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
        assert.ok(isForbidden(await apiError(reporter.resource('v1', 'ConfigMap').list('default'))));
        await admin.resource('v1', 'ServiceAccount').delete('reporter', 'default');
        assert.ok(isUnauthorized(await apiError(reporter.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: { kind: 'SelfSubjectReview' } }))));
      } finally {
        await reporter.close();
      }
    } finally {
      await admin.close();
    }
  });
});

for (const version of KUBECTL_VERSIONS) {
  describe(`kubectl ${version}`, () => {
    const ns = `auth-${version.replace('.', '')}`;
    let admin: Kubectl;
    let alice: Kubectl;
    let bob: Kubectl;

    before(async () => {
      admin = new Kubectl(version, server.kubeconfig);
      alice = new Kubectl(version, await certificateUser(`alice-${version}`, ['devs']));
      bob = new Kubectl(version, await certificateUser(`bob-${version}`));
      await admin.ok(['create', 'namespace', ns]);
    });

    test('a certificate from another CA is no credential, whatever groups it claims', async () => {
      const impostor = new Kubectl(version, await certificateUser(`impostor-${version}`, ['system:masters'], await createCertificateAuthority('elsewhere')));
      const r = await impostor.run(['get', 'pods', '-n', ns]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, LOG_IN);
    });

    test('a user without rights gets 403 with Kubernetes\' message, and can-i says no', async () => {
      const r = await bob.run(['get', 'configmaps', '-n', ns]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`Error from server \\(Forbidden\\): configmaps is forbidden: User "bob-${version}" cannot list resource "configmaps" in API group "" in the namespace "${ns}"`));
      const canI = await bob.run(['auth', 'can-i', 'list', 'configmaps', '-n', ns]);
      assert.equal(canI.code, 1);
      assert.equal(canI.stdout.trim(), 'no');
    });

    test('a RoleBinding to edit grants in its namespace only; can-i and can-i --list agree', async () => {
      await admin.ok(['create', 'rolebinding', 'devs-edit', '--clusterrole=edit', '--group=devs', '-n', ns]);
      assert.match(await alice.ok(['create', 'configmap', 'settings', '--from-literal=a=1', '-n', ns]), /configmap\/settings created/);
      const elsewhere = await alice.run(['create', 'configmap', 'settings', '--from-literal=a=1', '-n', 'default']);
      assert.match(elsewhere.stderr, new RegExp(`configmaps is forbidden: User "alice-${version}" cannot create resource "configmaps" in API group "" in the namespace "default"`));
      assert.equal((await alice.ok(['auth', 'can-i', 'create', 'configmaps', '-n', ns])).trim(), 'yes');
      assert.equal((await alice.run(['auth', 'can-i', 'create', 'configmaps', '-n', 'default'])).stdout.trim(), 'no');
      assert.equal((await alice.run(['auth', 'can-i', 'create', 'rolebindings', '-n', ns])).stdout.trim(), 'no', 'edit does not manage RBAC');
      const list = await alice.ok(['auth', 'can-i', '--list', '-n', ns]);
      assert.match(list, /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/m);
      assert.match(list, /^configmaps\s+\[\]\s+\[\]\s+\[create delete deletecollection patch update get list watch\]/m);
      assert.match(list, /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/m);
      assert.match(list, /^\s+\[\/api\/\*\]\s+\[\]\s+\[get\]/m);
      const defaultList = await alice.ok(['auth', 'can-i', '--list', '-n', 'default']);
      assert.doesNotMatch(defaultList, /^configmaps/m);
    });

    test('resourceNames allow the named object only, never the collection', async () => {
      await admin.ok(['create', 'configmap', 'app', '--from-literal=k=v', '-n', ns]);
      await admin.ok(['create', 'configmap', 'other', '--from-literal=k=v', '-n', ns]);
      await admin.ok(['create', 'role', 'app-config', '--verb=get', '--resource=configmaps', '--resource-name=app', '-n', ns]);
      await admin.ok(['create', 'rolebinding', 'bob-app-config', '--role=app-config', `--user=bob-${version}`, '-n', ns]);
      assert.match(await bob.ok(['get', 'configmap', 'app', '-n', ns, '-o', 'jsonpath={.data.k}']), /^v$/);
      const other = await bob.run(['get', 'configmap', 'other', '-n', ns]);
      assert.match(other.stderr, new RegExp(`configmaps "other" is forbidden: User "bob-${version}" cannot get resource "configmaps" in API group "" in the namespace "${ns}"`));
      assert.notEqual((await bob.run(['get', 'configmaps', '-n', ns])).code, 0);
      assert.equal((await bob.ok(['auth', 'can-i', 'get', 'configmaps/app', '-n', ns])).trim(), 'yes');
      assert.equal((await bob.run(['auth', 'can-i', 'get', 'configmaps/other', '-n', ns])).stdout.trim(), 'no');
      assert.equal((await bob.run(['auth', 'can-i', 'list', 'configmaps', '-n', ns])).stdout.trim(), 'no');
    });

    test('subresources are their own: pods/status is not pods', async () => {
      await admin.ok(['create', 'role', 'pod-status', '--verb=update,patch', '--resource=pods/status', '-n', ns]);
      await admin.ok(['create', 'rolebinding', 'bob-pod-status', '--role=pod-status', `--user=bob-${version}`, '-n', ns]);
      assert.equal((await bob.ok(['auth', 'can-i', 'update', 'pods', '--subresource=status', '-n', ns])).trim(), 'yes');
      assert.equal((await bob.run(['auth', 'can-i', 'update', 'pods', '-n', ns])).stdout.trim(), 'no');
      assert.equal((await bob.run(['auth', 'can-i', 'get', 'pods', '--subresource=log', '-n', ns])).stdout.trim(), 'no');
    });

    test('nonResourceURLs: a ClusterRoleBinding grants a path; others are refused it by path', async () => {
      await admin.ok(['create', 'clusterrole', `metrics-${ns}`, '--verb=get', '--non-resource-url=/metrics']);
      await admin.ok(['create', 'clusterrolebinding', `metrics-${ns}`, `--clusterrole=metrics-${ns}`, `--user=bob-${version}`]);
      assert.match(await bob.ok(['get', '--raw', '/metrics']), /apiserver_request_total/);
      assert.equal((await bob.ok(['auth', 'can-i', 'get', '/metrics'])).trim(), 'yes');
      const refused = await alice.run(['get', '--raw', '/metrics']);
      assert.match(refused.stderr, new RegExp(`forbidden: User "alice-${version}" cannot get path "/metrics"`));
      assert.equal((await alice.run(['auth', 'can-i', 'get', '/metrics'])).stdout.trim(), 'no');
      assert.equal((await alice.ok(['auth', 'can-i', 'get', '/version'])).trim(), 'yes', 'discovery is open to every authenticated user');
    });

    test('escalation is refused: no Role with rules one does not hold, no binding to a role one does not hold', async () => {
      await admin.ok(['create', 'rolebinding', 'alice-admin', '--clusterrole=admin', `--user=alice-${version}`, '-n', ns]);
      assert.match(await alice.ok(['create', 'role', 'reader', '--verb=get,list', '--resource=pods', '-n', ns]), /role.rbac.authorization.k8s.io\/reader created/);
      const role = await alice.run(['create', 'role', 'nodes', '--verb=get', '--resource=nodes', '-n', ns]);
      assert.notEqual(role.code, 0);
      assert.match(role.stderr, new RegExp(`roles.rbac.authorization.k8s.io "nodes" is forbidden: user "alice-${version}" \\(groups=\\["devs" "system:authenticated"\\]\\) is attempting to grant RBAC permissions not currently held:\\n\\{APIGroups:\\[""\\], Resources:\\["nodes"\\], Verbs:\\["get"\\]\\}`));
      const binding = await alice.run(['create', 'rolebinding', 'me-admin', '--clusterrole=cluster-admin', `--user=alice-${version}`, '-n', ns]);
      assert.notEqual(binding.code, 0);
      assert.match(binding.stderr, /rolebindings.rbac.authorization.k8s.io "me-admin" is forbidden: user .* is attempting to grant RBAC permissions not currently held/);
      assert.match(await alice.ok(['create', 'rolebinding', 'bob-view', '--clusterrole=view', `--user=bob-${version}`, '-n', ns]), /rolebinding.rbac.authorization.k8s.io\/bob-view created/);
      assert.equal((await alice.run(['auth', 'can-i', 'escalate', 'roles', '-n', ns])).stdout.trim(), 'no');
    });

    test('ClusterRole aggregation: a role labelled aggregate-to-view extends view, and leaves it when deleted', async () => {
      const leases = `leases-${ns}`;
      assert.equal((await bob.run(['auth', 'can-i', 'list', 'leases.coordination.k8s.io', '-n', ns])).stdout.trim(), 'no');
      await admin.ok(['apply', '-f', '-'], {
        input: toYaml({
          apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
          metadata: { name: leases, labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
          rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch'] }],
        }),
      });
      await eventually(async () => (await bob.run(['auth', 'can-i', 'list', 'leases.coordination.k8s.io', '-n', ns])).stdout.trim() === 'yes', 'view aggregates the new rules');
      assert.match(await admin.ok(['get', 'clusterrole', 'admin', '-o', 'yaml']), /- leases/, 'and through edit, admin too');
      await admin.ok(['delete', 'clusterrole', leases]);
      await eventually(async () => (await bob.run(['auth', 'can-i', 'list', 'leases.coordination.k8s.io', '-n', ns])).stdout.trim() === 'no', 'view drops them again');
    });

    test('a binding\'s roleRef cannot change: 422 with Kubernetes\' message; subjects can', async () => {
      await admin.ok(['create', 'rolebinding', 'fixed-role', '--clusterrole=view', `--user=bob-${version}`, '-n', ns]);
      const changed = await admin.run(['create', 'rolebinding', 'fixed-role', '--clusterrole=edit', `--user=bob-${version}`, '-n', ns, '--dry-run=client', '-o', 'yaml']);
      const applied = await admin.run(['apply', '-f', '-'], { input: changed.stdout });
      assert.notEqual(applied.code, 0);
      assert.match(applied.stderr, /The RoleBinding "fixed-role" is invalid: roleRef: Invalid value: rbac.RoleRef\{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"\}: cannot change roleRef/);
      await admin.ok(['set', 'subject', 'rolebinding', 'fixed-role', `--user=alice-${version}`, '-n', ns]);
      assert.match(await admin.ok(['get', 'rolebinding', 'fixed-role', '-n', ns, '-o', 'jsonpath={.roleRef.name} {.subjects[*].name}']), new RegExp(`^view bob-${version} alice-${version}$`));
    });

    test('static token users authenticate with their groups; a wrong token is refused', async () => {
      const tess = new Kubectl(version, tokenUser(TESS_TOKEN));
      const who = await tess.ok(['auth', 'whoami']);
      assert.match(who, /Username\s+tess/);
      assert.match(who, /Groups\s+\[testers qa system:authenticated\]/);
      assert.equal((await tess.run(['get', 'pods', '-n', ns])).code, 1);
      await admin.ok(['create', 'rolebinding', 'testers-view', '--clusterrole=view', '--group=testers', '-n', ns]);
      assert.match((await tess.run(['get', 'pods', '-n', ns])).stderr, /No resources found/);
      const wrong = await new Kubectl(version, tokenUser(`${TESS_TOKEN}x`)).run(['get', 'pods', '-n', ns]);
      assert.match(wrong.stderr, LOG_IN);
    });

    test('ServiceAccount tokens from kubectl create token: rights by binding, audience checked, expiry, revocation', async () => {
      await admin.ok(['create', 'serviceaccount', 'robot', '-n', ns]);
      await admin.ok(['create', 'rolebinding', 'robot-view', '--clusterrole=view', `--serviceaccount=${ns}:robot`, '-n', ns]);
      const token = (await admin.ok(['create', 'token', 'robot', '-n', ns])).trim();
      const robot = new Kubectl(version, tokenUser(token));
      assert.match(await robot.ok(['get', 'configmap', 'app', '-n', ns, '-o', 'name']), /configmap\/app/);
      assert.equal((await robot.ok(['auth', 'can-i', 'list', 'pods', '-n', ns])).trim(), 'yes');
      assert.equal((await robot.run(['auth', 'can-i', 'list', 'pods', '-n', 'default'])).stdout.trim(), 'no');
      assert.match((await robot.run(['get', 'secrets', '-n', ns])).stderr,
        new RegExp(`secrets is forbidden: User "system:serviceaccount:${ns}:robot" cannot list resource "secrets" in API group "" in the namespace "${ns}"`));

      const forVault = (await admin.ok(['create', 'token', 'robot', '-n', ns, '--audience=vault'])).trim();
      assert.match((await new Kubectl(version, tokenUser(forVault)).run(['get', 'pods', '-n', ns])).stderr, LOG_IN);

      const shortLived = (await admin.ok(['create', 'token', 'robot', '-n', ns, '--duration=2s'])).trim();
      const brief = new Kubectl(version, tokenUser(shortLived));
      assert.equal((await brief.ok(['auth', 'can-i', 'list', 'pods', '-n', ns])).trim(), 'yes');
      await new Promise((r) => setTimeout(r, 2_500));
      assert.match((await brief.run(['get', 'pods', '-n', ns])).stderr, LOG_IN);

      await admin.ok(['delete', 'serviceaccount', 'robot', '-n', ns]);
      assert.match((await robot.run(['get', 'pods', '-n', ns])).stderr, LOG_IN);
      await admin.ok(['create', 'serviceaccount', 'robot', '-n', ns]);
      assert.match((await robot.run(['get', 'pods', '-n', ns])).stderr, LOG_IN, 'a new ServiceAccount of the same name does not revive old tokens');
    });
  });
}
