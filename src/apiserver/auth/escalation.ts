// Escalation prevention on RBAC writes, as in Kubernetes. A user may create or change a Role or
// ClusterRole only with rules they hold themselves where the role applies, unless allowed the
// `escalate` verb on it; and may bind a role only if they hold its rules where the binding applies,
// unless allowed the `bind` verb on it. Setting a ClusterRole's aggregationRule, which can gather
// any rules, needs every permission. Members of system:masters are exempt.
import { isDeepStrictEqual } from 'node:util';
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding } from '../../api/kinds/rbac.ts';
import type { KubeObject } from '../../api/meta.ts';
import { quote, type Authorize } from './attributes.ts';
import { errors } from '../errors.ts';
import { RBAC_GROUP, type PolicyIndex } from './policy-index.ts';
import type { RbacAuthorizer } from './rbac-authorizer.ts';
import { describeRules, uncoveredRules } from './rules.ts';
import { isPrivileged, type UserInfo } from './user.ts';

/** Refuses (throws a 403 ApiError) a write that would store `obj` in place of `old`. */
export type WriteCheck = (obj: KubeObject, old: KubeObject | undefined) => void;

/** A Role reads as a ClusterRole without an aggregationRule. */
type RoleObject = Role & Pick<ClusterRole, 'aggregationRule'>;
type BindingObject = RoleBinding | ClusterRoleBinding;

const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

export class EscalationGuard {
  private readonly authorize: Authorize;
  private readonly rbac: RbacAuthorizer;
  private readonly index: PolicyIndex;

  constructor(authorize: Authorize, rbac: RbacAuthorizer, index: PolicyIndex) {
    this.authorize = authorize;
    this.rbac = rbac;
    this.index = index;
  }

  /** The check a write by `user` to `resource` must pass; undefined when there is none. */
  checkFor(user: UserInfo, resource: { group: string; plural: string }): WriteCheck | undefined {
    if (resource.group !== RBAC_GROUP || isPrivileged(user)) return undefined;
    switch (resource.plural) {
      case 'roles':
      case 'clusterroles':
        return (obj, old) => this.checkRole(user, resource.plural, obj as RoleObject, old as RoleObject | undefined);
      case 'rolebindings':
      case 'clusterrolebindings':
        return (obj, old) => this.checkBinding(user, resource.plural, obj as BindingObject, old as BindingObject | undefined);
      default:
        return undefined;
    }
  }

  private checkRole(user: UserInfo, plural: string, role: RoleObject, old: RoleObject | undefined): void {
    // Only what can grant something is checked: rules, and (for aggregation) the selectors and labels.
    const grant = (r: RoleObject) => [r.rules ?? [], r.aggregationRule, r.metadata.labels ?? {}];
    if (old && isDeepStrictEqual(grant(role), grant(old))) return;
    const namespace = plural === 'roles' ? role.metadata.namespace ?? '' : '';
    const name = role.metadata.name ?? '';
    if (this.allowedTo(user, 'escalate', plural, namespace, name)) return;
    const held = this.rbac.rulesFor(user, namespace);
    const aggregationSet = role.aggregationRule !== undefined && !isDeepStrictEqual(role.aggregationRule, old?.aggregationRule);
    if (aggregationSet && uncoveredRules(held, FULL_AUTHORITY).length > 0) {
      throw errors.forbidden(plural, RBAC_GROUP, name, 'must have cluster-admin privileges to use the aggregationRule');
    }
    const missing = uncoveredRules(held, role.rules ?? []);
    if (missing.length > 0) throw errors.forbidden(plural, RBAC_GROUP, name, notHeld(user, missing));
  }

  private checkBinding(user: UserInfo, plural: string, binding: BindingObject, old: BindingObject | undefined): void {
    const grant = (b: BindingObject) => [b.roleRef, b.subjects ?? []];
    if (old && isDeepStrictEqual(grant(binding), grant(old))) return;
    const ref = binding.roleRef;
    if (!ref) return;
    const namespace = plural === 'rolebindings' ? binding.metadata.namespace ?? '' : '';
    const name = binding.metadata.name ?? '';
    const rolePlural = ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
    if (this.allowedTo(user, 'bind', rolePlural, namespace, ref.name, ref.apiGroup)) return;
    const rules = this.index.roleRules(ref, namespace);
    if (!rules) throw errors.forbidden(plural, RBAC_GROUP, name, `${rolePlural}.${RBAC_GROUP} ${quote(ref.name)} not found`);
    const missing = uncoveredRules(this.rbac.rulesFor(user, namespace), rules);
    if (missing.length > 0) throw errors.forbidden(plural, RBAC_GROUP, name, notHeld(user, missing));
  }

  private allowedTo(user: UserInfo, verb: string, resource: string, namespace: string, name: string, apiGroup = RBAC_GROUP): boolean {
    return this.authorize(user, { kind: 'resource', verb, apiGroup, apiVersion: 'v1', resource, subresource: '', namespace, name }).allowed;
  }
}

function notHeld(user: UserInfo, missing: PolicyRule[]): string {
  const groups = `[${user.groups.map(quote).join(' ')}]`;
  return `user ${quote(user.username)} (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n${describeRules(missing)}`;
}
