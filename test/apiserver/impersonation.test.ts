// Impersonation as Kubernetes does it, through the real kubectl (--as, --as-group, --as-uid),
// oldest and newest installed: `kubectl auth can-i --as` answers for the impersonated user, each
// part of the impersonation needs the impersonate verb on its own resource (403 otherwise), and
// the audit log records both identities.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import { startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { Kubectl, KUBECTL_VERSIONS } from '../support/kubectl.ts';
import { apiCaller } from '../support/http-api.ts';
import { eventually } from '../support/eventually.ts';
import { readKubeconfig } from '../../bench/support.ts';

const ALICE_TOKEN = 'alice-token-0123456789abcdef';

/** A kubeconfig for alice, who authenticates with her token alone. */
function aliceKubeconfig(dir: string, adminKubeconfig: string): string {
  const creds = readKubeconfig(adminKubeconfig);
  const path = join(dir, 'alice.kubeconfig');
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'alice',
    clusters: [{ name: 'granary', cluster: { server: creds.server, 'certificate-authority-data': Buffer.from(creds.ca).toString('base64') } }],
    users: [{ name: 'alice', user: { token: ALICE_TOKEN } }],
    contexts: [{ name: 'alice', context: { cluster: 'granary', user: 'alice' } }],
  }));
  return path;
}

describe('impersonation', () => {
  let server: RunningApiServer;
  let dir: string;
  let aliceConfig: string;

  before(async () => {
    dir = tempDir('impersonation');
    writeFileSync(join(dir, 'tokens.csv'), `${ALICE_TOKEN},alice,alice-uid,"devs"\n`);
    server = await startApiServer({ listen: '127.0.20.1:0', args: ['--token-auth-file', join(dir, 'tokens.csv'), '--audit-log-path', join(dir, 'audit.log')] });
    aliceConfig = aliceKubeconfig(dir, server.kubeconfig);
    const admin = new Kubectl('1.33', server.kubeconfig);
    await admin.ok(['create', 'namespace', 'team']);
    await admin.ok(['create', 'serviceaccount', 'robot', '-n', 'team']);
    await admin.ok(['create', 'rolebinding', 'robot-view', '--clusterrole=view', '--serviceaccount=team:robot', '-n', 'team']);
    await admin.ok(['create', 'clusterrole', 'impersonate-bob', '--verb=impersonate', '--resource=users', '--resource-name=bob']);
    await admin.ok(['create', 'clusterrolebinding', 'alice-as-bob', '--clusterrole=impersonate-bob', '--user=alice']);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  for (const version of KUBECTL_VERSIONS) {
    describe(`kubectl ${version}`, () => {
      let admin: Kubectl;
      let alice: Kubectl;
      const whoami = async (k: Kubectl, ...args: string[]) => JSON.parse(await k.ok(['auth', 'whoami', '-o', 'json', ...args])).status.userInfo;
      before(() => {
        admin = new Kubectl(version, server.kubeconfig);
        alice = new Kubectl(version, aliceConfig);
      });

      test('auth can-i --as answers for the impersonated user, not for the admin', async () => {
        assert.equal((await admin.run(['auth', 'can-i', 'list', 'secrets'])).stdout.trim(), 'yes');
        const someone = await admin.run(['auth', 'can-i', 'list', 'secrets', '--as', 'someone']);
        assert.deepEqual([someone.code, someone.stdout.trim()], [1, 'no']);
        assert.equal((await admin.run(['auth', 'can-i', 'list', 'secrets', '--as', 'someone', '--as-group', 'system:masters'])).stdout.trim(), 'yes');
        const denied = await admin.run(['get', 'secrets', '--as', 'someone']);
        assert.notEqual(denied.code, 0);
        assert.match(denied.stderr, /secrets is forbidden: User "someone" cannot list resource "secrets" in API group "" in the namespace "default"/);
        assert.deepEqual(await whoami(admin, '--as', 'someone', '--as-group', 'devs', '--as-uid', 'u-42'),
          { username: 'someone', uid: 'u-42', groups: ['devs', 'system:authenticated'] });
      });

      test('a ServiceAccount is impersonated with its own groups and rights', async () => {
        const sa = 'system:serviceaccount:team:robot';
        assert.deepEqual(await whoami(admin, '--as', sa),
          { username: sa, groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'] });
        assert.equal((await admin.run(['auth', 'can-i', 'list', 'pods', '-n', 'team', '--as', sa])).stdout.trim(), 'yes');
        assert.equal((await admin.run(['auth', 'can-i', 'list', 'pods', '-n', 'default', '--as', sa])).stdout.trim(), 'no');
        assert.match(await admin.ok(['get', 'serviceaccounts', '-n', 'team', '--as', sa]), /robot/);
      });

      test('impersonating without the impersonate right is 403, part by part', async () => {
        assert.equal((await whoami(alice)).username, 'alice');
        // Discovery itself is refused to a forbidden impersonation, and client-go reports a refused
        // discovery as "unknown" (as against Kubernetes); with discovery cached, kubectl shows the 403.
        const fresh = await new Kubectl(version, aliceConfig).run(['get', 'pods', '--as', 'carol']);
        assert.match(fresh.stderr, /Error from server \(Forbidden\)/);
        await alice.ok(['api-resources']);
        const carol = await alice.run(['get', 'pods', '--as', 'carol']);
        assert.notEqual(carol.code, 0);
        assert.match(carol.stderr, /Error from server \(Forbidden\): users "carol" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope/);
        assert.deepEqual(await whoami(alice, '--as', 'bob'), { username: 'bob', groups: ['system:authenticated'] }, 'nothing of alice\'s groups');
        const masters = await alice.run(['get', 'pods', '--as', 'bob', '--as-group', 'system:masters']);
        assert.match(masters.stderr, /groups "system:masters" is forbidden: User "alice" cannot impersonate resource "groups" in API group "" at the cluster scope/);
        const uid = await alice.run(['get', 'pods', '--as', 'bob', '--as-uid', 'u-1']);
        assert.match(uid.stderr, /uids\.authentication\.k8s\.io "u-1" is forbidden: User "alice" cannot impersonate resource "uids" in API group "authentication\.k8s\.io" at the cluster scope/);
      });
    });
  }

  test('extra fields need impersonate on userextras/<key>; groups without a user are refused; the audit log has both users', async () => {
    const creds = readKubeconfig(server.kubeconfig);
    const agent = new Agent({ connect: { ca: creds.ca } });
    const { call } = apiCaller(creds.server, agent);
    const asAlice = { authorization: `Bearer ${ALICE_TOKEN}` };
    const review = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
    const withExtra = { ...asAlice, 'impersonate-user': 'bob', 'impersonate-extra-scopes': 'view', 'impersonate-extra-example.com%2Fteam': 'db' };
    const refused = await call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', review, withExtra);
    assert.deepEqual([refused.status, refused.body.message],
      [403, 'userextras.authentication.k8s.io "view" is forbidden: User "alice" cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope']);
    const admin = new Kubectl('1.33', server.kubeconfig);
    await admin.ok(['create', 'clusterrole', 'impersonate-extras', '--verb=impersonate', '--resource=userextras.authentication.k8s.io/scopes,userextras.authentication.k8s.io/example.com/team']);
    await admin.ok(['create', 'clusterrolebinding', 'alice-extras', '--clusterrole=impersonate-extras', '--user=alice']);
    const allowed = await call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', review, withExtra);
    assert.deepEqual(allowed.body.status.userInfo, { username: 'bob', groups: ['system:authenticated'], extra: { scopes: ['view'], 'example.com/team': ['db'] } });
    const noUser = await call('GET', '/api/v1/namespaces', undefined, { ...asAlice, 'impersonate-group': 'devs' });
    assert.deepEqual([noUser.status, noUser.body.reason], [500, 'InternalError']);
    await agent.close();
    // Audit events are written as responses complete: wait for the one of the review with extras.
    const events = () => readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const impersonated = await eventually('the review as bob with extras in the audit log', async () => events().find((e) =>
      e.requestURI === '/apis/authentication.k8s.io/v1/selfsubjectreviews' && e.responseStatus.code === 201 && e.impersonatedUser?.extra), 5000);
    assert.deepEqual([impersonated.user.username, impersonated.impersonatedUser.username], ['alice', 'bob']);
    assert.deepEqual(impersonated.impersonatedUser.extra, { scopes: ['view'], 'example.com/team': ['db'] });
    const forbidden = events().find((e) => e.responseStatus.code === 403 && e.user.username === 'alice' && e.requestURI === '/apis/authentication.k8s.io/v1/selfsubjectreviews');
    assert.ok(forbidden, 'a refused impersonation is logged with the requester');
    assert.equal(forbidden.impersonatedUser, undefined);
  });
});
