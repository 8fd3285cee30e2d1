// The RBAC authorizer: a request is allowed when some rule of a role bound to the user allows it,
// through a ClusterRoleBinding (anywhere) or a RoleBinding in the request's namespace. RBAC only
// ever grants: no matching rule means no. As in Kubernetes, an allowed decision names the binding.
import type { PolicyRule } from '../../api/kinds/rbac.ts';
import type { Attributes, Decision } from './attributes.ts';
import type { MatchedBinding, PolicyIndex } from './policy-index.ts';
import { ruleAllows } from './rules.ts';
import type { UserInfo } from './user.ts';

export class RbacAuthorizer {
  private readonly index: PolicyIndex;

  constructor(index: PolicyIndex) {
    this.index = index;
  }

  authorize(user: UserInfo, a: Attributes): Decision {
    let reason = '';
    this.visit(user, a.kind === 'resource' ? a.namespace : '', (binding, rule) => {
      if (!ruleAllows(rule, a)) return false;
      reason = `RBAC: allowed by ${describeBinding(binding)}`;
      return true;
    });
    return { allowed: reason !== '', reason };
  }

  /** Every rule the user holds in `namespace` (cluster-wide ones included; "" for cluster-wide only). */
  rulesFor(user: UserInfo, namespace: string): PolicyRule[] {
    const rules: PolicyRule[] = [];
    this.visit(user, namespace, (_binding, rule) => {
      rules.push(rule);
      return false;
    });
    return rules;
  }

  /** Calls `visitor` for each rule bound to the user until it returns true. */
  private visit(user: UserInfo, namespace: string, visitor: (binding: MatchedBinding, rule: PolicyRule) => boolean): void {
    const bindings = this.index.clusterBindingsFor(user);
    if (namespace) bindings.push(...this.index.namespaceBindingsFor(user, namespace));
    for (const binding of bindings) {
      // A binding whose role is missing grants nothing (yet): the role may be created later.
      for (const rule of this.index.roleRules(binding.roleRef, binding.namespace) ?? []) {
        if (visitor(binding, rule)) return;
      }
    }
  }
}

/** e.g. `RoleBinding "dev/team-a" of ClusterRole "edit" to Group "developers"`. */
function describeBinding(b: MatchedBinding): string {
  const name = b.kind === 'RoleBinding' ? `${b.name}/${b.namespace}` : b.name;
  const subject = b.subject.kind === 'ServiceAccount' ? `${b.subject.name}/${b.subject.namespace || b.namespace}` : b.subject.name;
  return `${b.kind} ${JSON.stringify(name)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${b.subject.kind} ${JSON.stringify(subject)}`;
}
