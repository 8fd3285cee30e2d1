// rbac.authorization.k8s.io/v1: roles (sets of permissions) and the bindings granting them.
import { Type, type Static } from '@sinclair/typebox';
import { atomicObject, describe, list, object, string } from './fields.ts';
import { LabelSelectorSchema, kindSchema } from './meta.ts';

export const PolicyRuleSchema = object('Permission to perform some verbs on some resources or URLs.', {
  verbs: list(Type.String(), 'Verbs allowed, e.g. get, list, watch, create, update, patch, delete; * for all.'),
  apiGroups: list(Type.String(), 'API groups of the resources; "" is the core group, * all groups.'),
  resources: list(Type.String(), 'Resources, e.g. pods or pods/log; * for all.'),
  resourceNames: list(Type.String(), 'Only objects with these names; all when empty.'),
  nonResourceURLs: list(Type.String(), 'URL paths such as /healthz (ClusterRoles only); a trailing * matches a prefix.'),
}, ['verbs']);
export type PolicyRule = Static<typeof PolicyRuleSchema>;

export const SubjectSchema = atomicObject('Who a binding grants the role to.', {
  kind: string('User, Group or ServiceAccount.'),
  apiGroup: string('rbac.authorization.k8s.io for User and Group; empty for ServiceAccount.'),
  name: string('Name of the subject.'),
  namespace: string('Namespace of a ServiceAccount.'),
}, ['kind', 'name']);
export type Subject = Static<typeof SubjectSchema>;

export const RoleRefSchema = atomicObject('The role a binding grants. Cannot be changed once set.', {
  apiGroup: string('Group of the role: rbac.authorization.k8s.io.'),
  kind: string('Role or ClusterRole.'),
  name: string('Name of the role.'),
}, ['apiGroup', 'kind', 'name']);
export type RoleRef = Static<typeof RoleRefSchema>;

export const RoleSchema = kindSchema('Permissions within one namespace.', {
  rules: list(PolicyRuleSchema, 'The permissions.'),
});
export type Role = Static<typeof RoleSchema>;

export const RoleBindingSchema = kindSchema('Grants a Role or ClusterRole to subjects, within the binding\'s namespace.', {
  subjects: list(SubjectSchema, 'Who is granted the role.'),
  roleRef: describe(RoleRefSchema, 'The role granted.'),
}, ['roleRef']);
export type RoleBinding = Static<typeof RoleBindingSchema>;

export const AggregationRuleSchema = object('Builds a ClusterRole\'s rules from other ClusterRoles.', {
  clusterRoleSelectors: list(LabelSelectorSchema, 'ClusterRoles whose rules are combined; a role matching any selector counts.'),
});

export const ClusterRoleSchema = kindSchema('Permissions cluster-wide, or a reusable set of namespaced ones.', {
  rules: list(PolicyRuleSchema, 'The permissions; maintained by the controller when aggregationRule is set.'),
  aggregationRule: describe(AggregationRuleSchema, 'Selects ClusterRoles to combine into this one.'),
});
export type ClusterRole = Static<typeof ClusterRoleSchema>;

export const ClusterRoleBindingSchema = kindSchema('Grants a ClusterRole to subjects across the whole cluster.', {
  subjects: list(SubjectSchema, 'Who is granted the role.'),
  roleRef: describe(RoleRefSchema, 'The ClusterRole granted.'),
}, ['roleRef']);
export type ClusterRoleBinding = Static<typeof ClusterRoleBindingSchema>;
