import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterRole, PolicyRule } from '../../api/kinds/rbac.ts';
import { aggregatedRules } from './aggregation.ts';
import { bootstrapClusterRoles } from './bootstrap-policy.ts';

const rule = (resource: string, verbs = ['get']): PolicyRule => ({ verbs, apiGroups: [''], resources: [resource] });
const clusterRole = (name: string, labels: Record<string, string>, rules: PolicyRule[], aggregationRule?: ClusterRole['aggregationRule']): ClusterRole =>
  ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels }, rules, ...(aggregationRule ? { aggregationRule } : {}) });

test('an aggregating role gathers the rules of matching roles in name order, each rule once, never its own', () => {
  const aggregating = clusterRole('monitoring', { team: 'obs' }, [rule('stale')], {
    clusterRoleSelectors: [{ matchLabels: { team: 'obs' } }, { matchExpressions: [{ key: 'extra', operator: 'Exists' }] }],
  });
  const all = [
    aggregating,
    clusterRole('z-pods', { team: 'obs' }, [rule('pods'), rule('events')]),
    clusterRole('a-nodes', { team: 'obs' }, [rule('nodes'), rule('pods')]),
    clusterRole('b-extra', { extra: 'yes' }, [rule('leases')]),
    clusterRole('other', { team: 'web' }, [rule('secrets')]),
  ];
  assert.deepEqual(aggregatedRules(aggregating, all), [rule('nodes'), rule('pods'), rule('events'), rule('leases')]);
});

test('no selector, or an invalid one, gathers nothing', () => {
  const none = clusterRole('none', {}, [], { clusterRoleSelectors: [] });
  // Bodies arrive as JSON, so an operator outside the enum can reach the controller.
  const badSelector = { matchExpressions: [{ key: 'x', operator: 'Sometimes' }] } as unknown as { matchLabels: Record<string, string> };
  const bad = clusterRole('bad', {}, [], { clusterRoleSelectors: [badSelector] });
  const all = [none, bad, clusterRole('r', { x: 'y' }, [rule('pods')])];
  assert.deepEqual(aggregatedRules(none, all), []);
  assert.deepEqual(aggregatedRules(bad, all), []);
});

test('the default roles chain view into edit into admin, and view holds no secrets', () => {
  const roles = bootstrapClusterRoles();
  // Settle as the controller does: recompute every aggregating role until nothing changes.
  for (let pass = 0; pass < 5; pass++) {
    for (const role of roles) if (role.aggregationRule) role.rules = aggregatedRules(role, roles);
  }
  const rulesOf = (name: string) => roles.find((r) => r.metadata.name === name)!.rules!;
  const grants = (name: string, verb: string, resource: string) =>
    rulesOf(name).some((r) => r.verbs.includes(verb) && (r.resources ?? []).includes(resource));
  assert.equal(grants('view', 'list', 'pods'), true);
  assert.equal(grants('view', 'get', 'secrets'), false);
  assert.equal(grants('edit', 'get', 'secrets'), true);
  assert.equal(grants('edit', 'list', 'pods'), true, 'edit includes view');
  assert.equal(grants('edit', 'create', 'rolebindings'), false);
  assert.equal(grants('admin', 'create', 'rolebindings'), true);
  assert.equal(grants('admin', 'create', 'serviceaccounts/token'), true, 'admin includes edit');
});
