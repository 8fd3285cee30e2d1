import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PolicyRule } from '../../api/kinds/rbac.ts';
import type { Attributes } from './attributes.ts';
import { describeRules, ruleAllows, uncoveredRules } from './rules.ts';

function resource(verb: string, resource: string, opts: { group?: string; subresource?: string; name?: string; namespace?: string } = {}): Attributes {
  return {
    kind: 'resource', verb, apiGroup: opts.group ?? '', apiVersion: 'v1', resource,
    subresource: opts.subresource ?? '', namespace: opts.namespace ?? 'default', name: opts.name ?? '',
  };
}

const path = (verb: string, p: string): Attributes => ({ kind: 'nonresource', verb, path: p });

test('verbs match exactly or through *', () => {
  const rule: PolicyRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
  assert.equal(ruleAllows(rule, resource('get', 'pods')), true);
  assert.equal(ruleAllows(rule, resource('list', 'pods')), true);
  assert.equal(ruleAllows(rule, resource('delete', 'pods')), false);
  assert.equal(ruleAllows({ ...rule, verbs: ['*'] }, resource('escalate', 'pods')), true);
});

test('API groups match exactly or through *; "" is the core group only', () => {
  const core: PolicyRule = { verbs: ['get'], apiGroups: [''], resources: ['leases'] };
  assert.equal(ruleAllows(core, resource('get', 'leases')), true);
  assert.equal(ruleAllows(core, resource('get', 'leases', { group: 'coordination.k8s.io' })), false);
  assert.equal(ruleAllows({ ...core, apiGroups: ['*'] }, resource('get', 'leases', { group: 'coordination.k8s.io' })), true);
  assert.equal(ruleAllows({ verbs: ['get'], resources: ['leases'] }, resource('get', 'leases')), false, 'no apiGroups matches nothing');
});

test('a subresource is named resource/subresource; */sub matches it on any resource; the resource alone does not', () => {
  const pods: PolicyRule = { verbs: ['get', 'update'], apiGroups: [''], resources: ['pods'] };
  assert.equal(ruleAllows(pods, resource('update', 'pods')), true);
  assert.equal(ruleAllows(pods, resource('update', 'pods', { subresource: 'status' })), false);
  const status: PolicyRule = { verbs: ['update'], apiGroups: [''], resources: ['pods/status'] };
  assert.equal(ruleAllows(status, resource('update', 'pods', { subresource: 'status' })), true);
  assert.equal(ruleAllows(status, resource('update', 'pods')), false);
  const anyStatus: PolicyRule = { verbs: ['update'], apiGroups: ['*'], resources: ['*/status'] };
  assert.equal(ruleAllows(anyStatus, resource('update', 'nodes', { subresource: 'status' })), true);
  assert.equal(ruleAllows(anyStatus, resource('update', 'nodes')), false);
  assert.equal(ruleAllows(anyStatus, resource('update', 'nodes', { subresource: 'binding' })), false);
  assert.equal(ruleAllows({ ...pods, resources: ['*'] }, resource('get', 'pods', { subresource: 'log' })), true, '* includes subresources');
  assert.equal(ruleAllows({ ...pods, resources: ['pods/*'] }, resource('get', 'pods', { subresource: 'log' })), false, 'pods/* is not a wildcard in Kubernetes');
});

test('resourceNames restrict to named objects, so they never allow a collection request', () => {
  const rule: PolicyRule = { verbs: ['get', 'list', 'update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['app-config'] };
  assert.equal(ruleAllows(rule, resource('get', 'configmaps', { name: 'app-config' })), true);
  assert.equal(ruleAllows(rule, resource('update', 'configmaps', { name: 'other' })), false);
  assert.equal(ruleAllows(rule, resource('list', 'configmaps')), false);
});

test('nonResourceURLs match exactly or by a prefix ending in *, and never resources', () => {
  const rule: PolicyRule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
  assert.equal(ruleAllows(rule, path('get', '/healthz')), true);
  assert.equal(ruleAllows(rule, path('get', '/healthz/etcd')), false);
  assert.equal(ruleAllows(rule, path('get', '/apis/apps/v1')), true);
  assert.equal(ruleAllows(rule, path('get', '/apis')), false, '/apis/* needs the slash');
  assert.equal(ruleAllows(rule, path('post', '/healthz')), false);
  assert.equal(ruleAllows({ verbs: ['*'], nonResourceURLs: ['*'] }, path('delete', '/anything')), true);
  assert.equal(ruleAllows({ verbs: ['get'], apiGroups: ['*'], resources: ['*'] }, path('get', '/healthz')), false);
  assert.equal(ruleAllows(rule, resource('get', 'healthz')), false);
});

test('uncoveredRules: a rule is covered piece by piece, each piece by a single held rule', () => {
  const held: PolicyRule[] = [
    { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'configmaps'] },
    { verbs: ['update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] },
    { verbs: ['get'], apiGroups: [''], resources: ['*/status'] },
    { verbs: ['get'], nonResourceURLs: ['/logs/*'] },
  ];
  assert.deepEqual(uncoveredRules(held, [{ verbs: ['get'], apiGroups: [''], resources: ['pods', 'configmaps'] }]), []);
  assert.deepEqual(uncoveredRules(held, [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }]),
    [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]);
  // A named grant covers the same name only, never the whole collection.
  assert.deepEqual(uncoveredRules(held, [{ verbs: ['update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }]), []);
  assert.deepEqual(uncoveredRules(held, [{ verbs: ['update'], apiGroups: [''], resources: ['configmaps'] }]),
    [{ verbs: ['update'], apiGroups: [''], resources: ['configmaps'] }]);
  assert.deepEqual(uncoveredRules(held, [{ verbs: ['get'], apiGroups: [''], resources: ['pods/status', 'nodes/status'] }]), []);
  assert.deepEqual(uncoveredRules(held, [{ verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }]),
    [{ verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }]);
  assert.deepEqual(uncoveredRules(held, [{ verbs: ['get'], nonResourceURLs: ['/logs/kube', '/metrics'] }]),
    [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }]);
});

test('uncoveredRules: * covers anything, but a specific grant does not cover *', () => {
  const admin: PolicyRule[] = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];
  assert.deepEqual(uncoveredRules(admin, [{ verbs: ['escalate'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles/x'] }, { verbs: ['get'], nonResourceURLs: ['/x'] }]), []);
  assert.deepEqual(uncoveredRules([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }]),
    [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }]);
});

test('describeRules prints rules as Kubernetes does, merging pieces that differ only in verbs', () => {
  const text = describeRules([
    { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
    { verbs: ['list'], apiGroups: [''], resources: ['pods'] },
    { verbs: ['get'], nonResourceURLs: ['/metrics'] },
    { verbs: ['update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] },
  ]);
  assert.equal(text, [
    '{APIGroups:[""], Resources:["configmaps"], ResourceNames:["a"], Verbs:["update"]}',
    '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}',
    '{NonResourceURLs:["/metrics"], Verbs:["get"]}',
  ].join('\n'));
});
