import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PolicyRule } from '../../api/kinds/rbac.ts';
import type { KubeObject } from '../../api/meta.ts';
import { ApiError } from '../errors.ts';
import type { Attributes } from './attributes.ts';
import { EscalationGuard } from './escalation.ts';
import { PolicyIndex, RBAC_GROUP } from './policy-index.ts';
import { RbacAuthorizer } from './rbac-authorizer.ts';
import { isPrivileged, type UserInfo } from './user.ts';

const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };
const root: UserInfo = { username: 'root', groups: ['system:masters', 'system:authenticated'] };

function setup(aliceRules: PolicyRule[], clusterWide = false) {
  const index = new PolicyIndex();
  const rbac = new RbacAuthorizer(index);
  const authorize = (u: UserInfo, a: Attributes) => (isPrivileged(u) ? { allowed: true, reason: '' } : rbac.authorize(u, a));
  const guard = new EscalationGuard(authorize, rbac, index);
  index.put('ClusterRole', { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: { name: 'alice-rules' }, rules: aliceRules });
  index.put('ClusterRole', {
    apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: { name: 'secret-reader' },
    rules: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }],
  });
  const subjects = [{ kind: 'User', apiGroup: RBAC_GROUP, name: 'alice' }];
  const roleRef = { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'alice-rules' };
  if (clusterWide) index.put('ClusterRoleBinding', { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'alice' }, roleRef, subjects });
  else index.put('RoleBinding', { apiVersion: `${RBAC_GROUP}/v1`, kind: 'RoleBinding', metadata: { name: 'alice', namespace: 'team-a' }, roleRef, subjects });
  return { index, guard };
}

const manageRbac: PolicyRule = { verbs: ['create', 'update', 'patch'], apiGroups: [RBAC_GROUP], resources: ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'] };
const readPods: PolicyRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };

const roleWith = (rules: PolicyRule[], namespace = 'team-a', extra: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: `${RBAC_GROUP}/v1`, kind: 'Role', metadata: { name: 'r', namespace }, rules, ...extra });

function refusal(fn: () => void): ApiError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError);
    return err;
  }
  assert.fail('the write was allowed');
}

test('a Role with rules the writer holds there may be written; one with more is refused with the rules missing', () => {
  const { guard } = setup([manageRbac, readPods]);
  const check = guard.checkFor(alice, { group: RBAC_GROUP, plural: 'roles' })!;
  check(roleWith([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]), undefined);
  const err = refusal(() => check(roleWith([{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods', 'secrets'] }]), undefined));
  assert.equal(err.code, 403);
  assert.equal(err.message, [
    'roles.rbac.authorization.k8s.io "r" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:',
    '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
    '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}',
  ].join('\n'));
  // Rules held through a RoleBinding in team-a do not count in team-b.
  refusal(() => check(roleWith([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], 'team-b'), undefined));
});

test('a ClusterRole needs the rules cluster-wide; the aggregationRule needs every permission', () => {
  const { guard: namespaced } = setup([manageRbac, readPods]);
  const clusterRole = (extra: Record<string, unknown>): KubeObject => ({ apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: { name: 'c' }, ...extra });
  refusal(() => namespaced.checkFor(alice, { group: RBAC_GROUP, plural: 'clusterroles' })!(clusterRole({ rules: [readPods] }), undefined));
  const { guard } = setup([manageRbac, readPods], true);
  const check = guard.checkFor(alice, { group: RBAC_GROUP, plural: 'clusterroles' })!;
  check(clusterRole({ rules: [readPods] }), undefined);
  const err = refusal(() => check(clusterRole({ aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: 'y' } }] } }), undefined));
  assert.equal(err.message, 'clusterroles.rbac.authorization.k8s.io "c" is forbidden: must have cluster-admin privileges to use the aggregationRule');
});

test('the escalate verb on the role lets a writer grant what they do not hold', () => {
  const { guard } = setup([manageRbac, { verbs: ['escalate'], apiGroups: [RBAC_GROUP], resources: ['roles'], resourceNames: ['r'] }]);
  const check = guard.checkFor(alice, { group: RBAC_GROUP, plural: 'roles' })!;
  check(roleWith([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]), undefined);
  refusal(() => check({ ...roleWith([{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]), metadata: { name: 'other', namespace: 'team-a' } }, undefined));
});

test('an update that changes no rules, selectors or labels is not checked; one that adds a label is', () => {
  const { guard } = setup([manageRbac]);
  const check = guard.checkFor(alice, { group: RBAC_GROUP, plural: 'roles' })!;
  const existing = roleWith([{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]);
  check({ ...existing, metadata: { ...existing.metadata, annotations: { note: 'x' } } }, existing);
  refusal(() => check({ ...existing, metadata: { ...existing.metadata, labels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } } }, existing));
});

test('binding a role needs its rules where the binding applies, or the bind verb on it; a missing role cannot be bound', () => {
  const { guard } = setup([manageRbac, readPods]);
  const check = guard.checkFor(alice, { group: RBAC_GROUP, plural: 'rolebindings' })!;
  const bindingTo = (name: string, namespace = 'team-a'): KubeObject => ({
    apiVersion: `${RBAC_GROUP}/v1`, kind: 'RoleBinding', metadata: { name: 'b', namespace },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name }, subjects: [{ kind: 'User', apiGroup: RBAC_GROUP, name: 'dave' }],
  });
  check(bindingTo('alice-rules'), undefined);
  const err = refusal(() => check(bindingTo('secret-reader'), undefined));
  assert.match(err.message, /^rolebindings\.rbac\.authorization\.k8s\.io "b" is forbidden: user "alice" .* not currently held:\n\{APIGroups:\[""\], Resources:\["secrets"\], Verbs:\["get"\]\}$/);
  assert.equal(refusal(() => check(bindingTo('nope'), undefined)).message,
    'rolebindings.rbac.authorization.k8s.io "b" is forbidden: clusterroles.rbac.authorization.k8s.io "nope" not found');
  refusal(() => check(bindingTo('alice-rules', 'team-b'), undefined));

  const { guard: binder } = setup([manageRbac, { verbs: ['bind'], apiGroups: [RBAC_GROUP], resources: ['clusterroles'], resourceNames: ['secret-reader'] }]);
  binder.checkFor(alice, { group: RBAC_GROUP, plural: 'rolebindings' })!(bindingTo('secret-reader'), undefined);
});

test('system:masters and writes to other resources are not checked', () => {
  const { guard } = setup([]);
  assert.equal(guard.checkFor(root, { group: RBAC_GROUP, plural: 'clusterroles' }), undefined);
  assert.equal(guard.checkFor(alice, { group: '', plural: 'configmaps' }), undefined);
  assert.equal(guard.checkFor(alice, { group: 'example.com', plural: 'roles' }), undefined);
});
