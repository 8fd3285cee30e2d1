import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PolicyRule, Subject } from '../../api/kinds/rbac.ts';
import type { KubeObject } from '../../api/meta.ts';
import { requestInfo } from '../http/request-info.ts';
import { forbidden, requestAttributes, type Attributes } from './attributes.ts';
import { PolicyIndex, RBAC_GROUP } from './policy-index.ts';
import { RbacAuthorizer } from './rbac-authorizer.ts';
import type { UserInfo } from './user.ts';

const alice: UserInfo = { username: 'alice', groups: ['devs', 'system:authenticated'] };
const builder: UserInfo = { username: 'system:serviceaccount:ci:builder', groups: ['system:serviceaccounts', 'system:authenticated'] };

function role(kind: 'Role' | 'ClusterRole', name: string, rules: PolicyRule[], namespace?: string): KubeObject {
  return { apiVersion: `${RBAC_GROUP}/v1`, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, rules };
}

function binding(kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, roleRef: { kind: string; name: string }, subjects: Subject[], namespace?: string): KubeObject {
  return { apiVersion: `${RBAC_GROUP}/v1`, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, roleRef: { apiGroup: RBAC_GROUP, ...roleRef }, subjects };
}

const user = (name: string): Subject => ({ kind: 'User', apiGroup: RBAC_GROUP, name });
const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RBAC_GROUP, name });

function attributes(method: string, path: string): Attributes {
  const url = new URL(path, 'https://x');
  return requestAttributes(requestInfo(method, url.pathname, url.searchParams), method);
}

function setup() {
  const index = new PolicyIndex();
  const rbac = new RbacAuthorizer(index);
  index.put('ClusterRole', role('ClusterRole', 'pod-reader', [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }]));
  index.put('ClusterRole', role('ClusterRole', 'health', [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] }]));
  index.put('Role', role('Role', 'cm-writer', [{ verbs: ['create', 'update'], apiGroups: [''], resources: ['configmaps'] }], 'team-a'));
  return { index, rbac };
}

test('a RoleBinding grants in its own namespace only', () => {
  const { index, rbac } = setup();
  index.put('RoleBinding', binding('RoleBinding', 'alice-reads', { kind: 'ClusterRole', name: 'pod-reader' }, [user('alice')], 'team-a'));
  assert.deepEqual(rbac.authorize(alice, attributes('GET', '/api/v1/namespaces/team-a/pods')),
    { allowed: true, reason: 'RBAC: allowed by RoleBinding "alice-reads/team-a" of ClusterRole "pod-reader" to User "alice"' });
  assert.equal(rbac.authorize(alice, attributes('GET', '/api/v1/namespaces/team-b/pods')).allowed, false);
  assert.equal(rbac.authorize(alice, attributes('GET', '/api/v1/pods')).allowed, false, 'listing across namespaces is a cluster-scope request');
  assert.equal(rbac.authorize(alice, attributes('DELETE', '/api/v1/namespaces/team-a/pods/x')).allowed, false);
});

test('a ClusterRoleBinding grants everywhere, including across namespaces; groups match through the user', () => {
  const { index, rbac } = setup();
  index.put('ClusterRoleBinding', binding('ClusterRoleBinding', 'devs-read', { kind: 'ClusterRole', name: 'pod-reader' }, [group('devs')]));
  assert.equal(rbac.authorize(alice, attributes('GET', '/api/v1/pods?watch=true')).allowed, true);
  const decision = rbac.authorize(alice, attributes('GET', '/api/v1/namespaces/x/pods/p'));
  assert.equal(decision.reason, 'RBAC: allowed by ClusterRoleBinding "devs-read" of ClusterRole "pod-reader" to Group "devs"');
  assert.equal(rbac.authorize({ username: 'bob', groups: ['system:authenticated'] }, attributes('GET', '/api/v1/pods')).allowed, false);
});

test('a RoleBinding to a Role uses the Role of its own namespace', () => {
  const { index, rbac } = setup();
  index.put('RoleBinding', binding('RoleBinding', 'w', { kind: 'Role', name: 'cm-writer' }, [user('alice')], 'team-a'));
  index.put('RoleBinding', binding('RoleBinding', 'w', { kind: 'Role', name: 'cm-writer' }, [user('alice')], 'team-b'));
  assert.equal(rbac.authorize(alice, attributes('POST', '/api/v1/namespaces/team-a/configmaps')).allowed, true);
  assert.equal(rbac.authorize(alice, attributes('POST', '/api/v1/namespaces/team-b/configmaps')).allowed, false, 'team-b has no Role cm-writer');
  index.put('Role', role('Role', 'cm-writer', [{ verbs: ['create'], apiGroups: [''], resources: ['configmaps'] }], 'team-b'));
  assert.equal(rbac.authorize(alice, attributes('POST', '/api/v1/namespaces/team-b/configmaps')).allowed, true, 'a role created after its binding takes effect');
});

test('a ClusterRoleBinding naming a Role grants nothing', () => {
  const { index, rbac } = setup();
  index.put('ClusterRoleBinding', binding('ClusterRoleBinding', 'bad', { kind: 'Role', name: 'cm-writer' }, [user('alice')]));
  assert.equal(rbac.authorize(alice, attributes('POST', '/api/v1/namespaces/team-a/configmaps')).allowed, false);
});

test('ServiceAccount subjects match the account user; an omitted namespace is the binding\'s', () => {
  const { index, rbac } = setup();
  index.put('RoleBinding', binding('RoleBinding', 'sa', { kind: 'ClusterRole', name: 'pod-reader' }, [{ kind: 'ServiceAccount', name: 'builder' }], 'ci'));
  assert.equal(rbac.authorize(builder, attributes('GET', '/api/v1/namespaces/ci/pods')).reason,
    'RBAC: allowed by RoleBinding "sa/ci" of ClusterRole "pod-reader" to ServiceAccount "builder/ci"');
  index.put('ClusterRoleBinding', binding('ClusterRoleBinding', 'sa-no-ns', { kind: 'ClusterRole', name: 'health' }, [{ kind: 'ServiceAccount', name: 'builder' }]));
  assert.equal(rbac.authorize(builder, attributes('GET', '/healthz')).allowed, false, 'a ClusterRoleBinding needs the namespace spelled out');
  index.put('ClusterRoleBinding', binding('ClusterRoleBinding', 'sa-no-ns', { kind: 'ClusterRole', name: 'health' }, [{ kind: 'ServiceAccount', name: 'builder', namespace: 'ci' }]));
  assert.equal(rbac.authorize(builder, attributes('GET', '/healthz')).allowed, true);
});

test('non-resource URLs are granted by ClusterRoleBindings only', () => {
  const { index, rbac } = setup();
  index.put('RoleBinding', binding('RoleBinding', 'h', { kind: 'ClusterRole', name: 'health' }, [user('alice')], 'team-a'));
  assert.equal(rbac.authorize(alice, attributes('GET', '/healthz')).allowed, false);
  index.put('ClusterRoleBinding', binding('ClusterRoleBinding', 'h', { kind: 'ClusterRole', name: 'health' }, [user('alice')]));
  assert.equal(rbac.authorize(alice, attributes('GET', '/healthz')).allowed, true);
  assert.equal(rbac.authorize(alice, attributes('GET', '/apis/rbac.authorization.k8s.io/v1')).allowed, true, '/apis/{group}/{version} is discovery, a URL');
  assert.equal(rbac.authorize(alice, attributes('GET', '/metrics')).allowed, false);
});

test('removing a binding or its role takes the rights away; updating a binding replaces its subjects', () => {
  const { index, rbac } = setup();
  const b = binding('RoleBinding', 'r', { kind: 'ClusterRole', name: 'pod-reader' }, [user('alice')], 'team-a');
  index.put('RoleBinding', b);
  const get = attributes('GET', '/api/v1/namespaces/team-a/pods/p');
  assert.equal(rbac.authorize(alice, get).allowed, true);
  index.put('RoleBinding', binding('RoleBinding', 'r', { kind: 'ClusterRole', name: 'pod-reader' }, [user('carol')], 'team-a'));
  assert.equal(rbac.authorize(alice, get).allowed, false);
  index.put('RoleBinding', b);
  index.remove('ClusterRole', role('ClusterRole', 'pod-reader', []));
  assert.equal(rbac.authorize(alice, get).allowed, false);
  index.put('ClusterRole', role('ClusterRole', 'pod-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
  assert.equal(rbac.authorize(alice, get).allowed, true);
  index.remove('RoleBinding', b);
  assert.equal(rbac.authorize(alice, get).allowed, false);
});

test('a namespace is its own namespace: a RoleBinding there may grant reading it', () => {
  const { index, rbac } = setup();
  index.put('ClusterRole', role('ClusterRole', 'ns-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['namespaces'] }]));
  index.put('RoleBinding', binding('RoleBinding', 'ns', { kind: 'ClusterRole', name: 'ns-reader' }, [user('alice')], 'team-a'));
  assert.equal(rbac.authorize(alice, attributes('GET', '/api/v1/namespaces/team-a')).allowed, true);
  assert.equal(rbac.authorize(alice, attributes('GET', '/api/v1/namespaces/team-b')).allowed, false);
});

test('rulesFor lists cluster-wide rules and those of the namespace asked about', () => {
  const { index, rbac } = setup();
  index.put('ClusterRoleBinding', binding('ClusterRoleBinding', 'h', { kind: 'ClusterRole', name: 'health' }, [group('devs')]));
  index.put('RoleBinding', binding('RoleBinding', 'w', { kind: 'Role', name: 'cm-writer' }, [user('alice')], 'team-a'));
  assert.deepEqual(rbac.rulesFor(alice, 'team-a'), [
    { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] },
    { verbs: ['create', 'update'], apiGroups: [''], resources: ['configmaps'] },
  ]);
  assert.deepEqual(rbac.rulesFor(alice, 'team-b'), [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] }]);
});

test('403 messages are Kubernetes\' own', () => {
  const cases: [Attributes, string][] = [
    [attributes('GET', '/api/v1/namespaces/default/configmaps'), 'configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "default"'],
    [attributes('PUT', '/api/v1/namespaces/default/pods/web/status'), 'pods "web" is forbidden: User "alice" cannot update resource "pods/status" in API group "" in the namespace "default"'],
    [attributes('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles'), 'clusterroles.rbac.authorization.k8s.io is forbidden: User "alice" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope'],
    [attributes('GET', '/metrics'), 'forbidden: User "alice" cannot get path "/metrics"'],
  ];
  for (const [a, message] of cases) {
    const err = forbidden(alice, a);
    assert.equal(err.code, 403);
    assert.equal(err.reason, 'Forbidden');
    assert.equal(err.message, message);
  }
  // As Go writes StatusDetails: empty fields (the core group "") are left out.
  assert.deepEqual(forbidden(alice, cases[1][0]).toStatus().details, { name: 'web', kind: 'pods' });
  assert.deepEqual(forbidden(alice, cases[3][0]).toStatus().details, {});
});
