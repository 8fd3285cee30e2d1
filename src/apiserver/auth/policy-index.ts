// Roles, ClusterRoles and their bindings, held the way the RBAC authorizer asks for them: roles by
// name, bindings by subject, so a decision looks only at the bindings naming the requesting user
// or one of the user's groups. It follows the watch cache (or is fed objects directly, in tests).
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject } from '../../api/kinds/rbac.ts';
import type { KubeObject } from '../../api/meta.ts';
import { keyPrefix } from '../registry/catalog.ts';
import type { WatchCache } from '../storage/cache.ts';
import { serviceAccountUsername, type UserInfo } from './user.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

export type PolicyKind = 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding';

const POLICY_PLURALS: Record<PolicyKind, string> = {
  Role: 'roles', ClusterRole: 'clusterroles', RoleBinding: 'rolebindings', ClusterRoleBinding: 'clusterrolebindings',
};

/** A binding naming the user (directly or through a group), with the subject that matched. */
export interface MatchedBinding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  /** The binding's namespace; empty for a ClusterRoleBinding. */
  namespace: string;
  roleRef: RoleRef;
  subject: Subject;
}

/** Bindings of one scope (the cluster, or one namespace), by the subjects they name. */
class BindingsBySubject {
  private readonly bySubject = new Map<string, Map<string, MatchedBinding>>();
  private readonly subjectKeysOf = new Map<string, string[]>();

  get size(): number {
    return this.subjectKeysOf.size;
  }

  put(binding: Omit<MatchedBinding, 'subject'>, subjects: readonly Subject[]): void {
    this.remove(binding.name);
    const keys: string[] = [];
    for (const subject of subjects) {
      const key = subjectKey(subject, binding.namespace);
      if (!key) continue;
      let bindings = this.bySubject.get(key);
      if (!bindings) this.bySubject.set(key, (bindings = new Map()));
      // A binding naming the same subject twice counts once.
      if (bindings.has(binding.name)) continue;
      bindings.set(binding.name, { ...binding, subject });
      keys.push(key);
    }
    this.subjectKeysOf.set(binding.name, keys);
  }

  remove(name: string): void {
    for (const key of this.subjectKeysOf.get(name) ?? []) {
      const bindings = this.bySubject.get(key)!;
      bindings.delete(name);
      if (bindings.size === 0) this.bySubject.delete(key);
    }
    this.subjectKeysOf.delete(name);
  }

  /** Each binding naming one of `keys`, once, with the first subject that matched. */
  matching(keys: readonly string[]): MatchedBinding[] {
    const found = new Map<string, MatchedBinding>();
    for (const key of keys) {
      for (const [name, binding] of this.bySubject.get(key) ?? []) if (!found.has(name)) found.set(name, binding);
    }
    return [...found.values()];
  }
}

export class PolicyIndex {
  private readonly roles = new Map<string, PolicyRule[]>();
  private readonly clusterRoles = new Map<string, PolicyRule[]>();
  private readonly clusterBindings = new BindingsBySubject();
  private readonly namespaceBindings = new Map<string, BindingsBySubject>();

  put(kind: PolicyKind, obj: KubeObject): void {
    const name = obj.metadata.name!;
    const namespace = obj.metadata.namespace ?? '';
    switch (kind) {
      case 'Role':
        this.roles.set(`${namespace}/${name}`, (obj as Role).rules ?? []);
        return;
      case 'ClusterRole':
        this.clusterRoles.set(name, (obj as ClusterRole).rules ?? []);
        return;
      case 'ClusterRoleBinding': {
        const binding = obj as ClusterRoleBinding;
        if (binding.roleRef) this.clusterBindings.put({ kind, name, namespace: '', roleRef: binding.roleRef }, binding.subjects ?? []);
        return;
      }
      case 'RoleBinding': {
        const binding = obj as RoleBinding;
        if (!binding.roleRef) return;
        let bindings = this.namespaceBindings.get(namespace);
        if (!bindings) this.namespaceBindings.set(namespace, (bindings = new BindingsBySubject()));
        bindings.put({ kind, name, namespace, roleRef: binding.roleRef }, binding.subjects ?? []);
      }
    }
  }

  remove(kind: PolicyKind, obj: KubeObject): void {
    const name = obj.metadata.name!;
    const namespace = obj.metadata.namespace ?? '';
    switch (kind) {
      case 'Role':
        this.roles.delete(`${namespace}/${name}`);
        return;
      case 'ClusterRole':
        this.clusterRoles.delete(name);
        return;
      case 'ClusterRoleBinding':
        this.clusterBindings.remove(name);
        return;
      case 'RoleBinding': {
        const bindings = this.namespaceBindings.get(namespace);
        bindings?.remove(name);
        if (bindings?.size === 0) this.namespaceBindings.delete(namespace);
      }
    }
  }

  /**
   * The rules a binding's roleRef grants: a ClusterRole's, or a Role's in the binding's namespace.
   * Undefined when the role does not exist (or a ClusterRoleBinding names a Role, which is invalid).
   */
  roleRules(ref: Pick<RoleRef, 'kind' | 'name' | 'apiGroup'>, bindingNamespace: string): PolicyRule[] | undefined {
    if (ref.apiGroup !== RBAC_GROUP) return undefined;
    if (ref.kind === 'ClusterRole') return this.clusterRoles.get(ref.name);
    if (ref.kind === 'Role' && bindingNamespace) return this.roles.get(`${bindingNamespace}/${ref.name}`);
    return undefined;
  }

  /** ClusterRoleBindings naming the user or one of its groups. */
  clusterBindingsFor(user: UserInfo): MatchedBinding[] {
    return this.clusterBindings.matching(userKeys(user));
  }

  /** RoleBindings in `namespace` naming the user or one of its groups. */
  namespaceBindingsFor(user: UserInfo, namespace: string): MatchedBinding[] {
    return this.namespaceBindings.get(namespace)?.matching(userKeys(user)) ?? [];
  }

  /** Loads the four kinds from the cache and keeps up with it; returns a function that stops following. */
  follow(cache: WatchCache): () => void {
    const revision = cache.currentRevision();
    const stops: (() => void)[] = [];
    for (const kind of Object.keys(POLICY_PLURALS) as PolicyKind[]) {
      const prefix = keyPrefix({ group: RBAC_GROUP, plural: POLICY_PLURALS[kind] });
      for (const entry of cache.list(prefix)) this.put(kind, entry.object);
      stops.push(cache.watch(prefix, revision, (event) => {
        if (event.type === 'DELETED') this.remove(kind, event.entry.object);
        else this.put(kind, event.entry.object);
      }));
    }
    return () => stops.forEach((stop) => stop());
  }
}

/** Subjects and users meet on these keys: a ServiceAccount subject is its user name. */
function subjectKey(subject: Subject, bindingNamespace: string): string | undefined {
  switch (subject.kind) {
    case 'User':
      return `user:${subject.name}`;
    case 'Group':
      return `group:${subject.name}`;
    case 'ServiceAccount': {
      const namespace = subject.namespace || bindingNamespace;
      return namespace ? `user:${serviceAccountUsername(namespace, subject.name)}` : undefined;
    }
    default:
      return undefined;
  }
}

function userKeys(user: UserInfo): string[] {
  return [`user:${user.username}`, ...user.groups.map((g) => `group:${g}`)];
}
